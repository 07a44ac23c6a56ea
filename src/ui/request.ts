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

/** What identity's guard learned about a request (viewer, CSRF token, navigation): merged into every page. */
const attached = new WeakMap<Request, Partial<PageContext>>();

export function attachPageContext(request: Request, extra: Partial<PageContext>): void {
  attached.set(request, { ...attached.get(request), ...extra });
}

export const PREF_COOKIES = { lang: "hearth_lang", text: "hearth_text", theme: "hearth_theme" } as const;

/**
 * The reading preferences of whoever sent this request, plus who they are when signed in
 * (identity attaches that before any handler runs, so error pages get it too). They live in plain cookies:
 * they say nothing about anyone's health, and pages must render right on the first paint.
 */
export function pageFor(request: Request): PageContext {
  const text = readCookie(request, PREF_COOKIES.text);
  const theme = readCookie(request, PREF_COOKIES.theme);
  return {
    locale: negotiateLocale(readCookie(request, PREF_COOKIES.lang), request.headers.get("accept-language")),
    textSize: (text === "large" ? "large" : "normal") satisfies TextSize,
    theme: (theme === "light" || theme === "dark" ? theme : "auto") satisfies Theme,
    ...attached.get(request),
  };
}

export function isHtmx(request: Request): boolean {
  return request.headers.get("hx-request") === "true";
}
