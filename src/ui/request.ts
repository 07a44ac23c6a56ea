import type { PageContext, TextSize, Theme } from "./page.ts";
import { negotiateLocale } from "./i18n.ts";

/** Reads one cookie from a request without pulling in a cookie library. */
export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export const PREF_COOKIES = { lang: "hearth_lang", text: "hearth_text", theme: "hearth_theme" } as const;

/**
 * The reading preferences of whoever sent this request. They live in plain cookies:
 * they say nothing about anyone's health, and pages must render right on the first paint.
 */
export function pageFor(request: Request): PageContext {
  const text = readCookie(request, PREF_COOKIES.text);
  const theme = readCookie(request, PREF_COOKIES.theme);
  return {
    locale: negotiateLocale(readCookie(request, PREF_COOKIES.lang), request.headers.get("accept-language")),
    textSize: (text === "large" ? "large" : "normal") satisfies TextSize,
    theme: (theme === "light" || theme === "dark" ? theme : "auto") satisfies Theme,
  };
}

export function isHtmx(request: Request): boolean {
  return request.headers.get("hx-request") === "true";
}
