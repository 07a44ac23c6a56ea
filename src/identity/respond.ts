import { fill } from "../ui/i18n.ts";
import { identityStrings } from "./strings.ts";
import type { Locale } from "../ui/i18n.ts";

/** Small response helpers shared by identity's routes. */
export function json(data: unknown, status = 200, cookies: string[] = [], headers: Record<string, string> = {}): Response {
  const h = new Headers({ "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  for (const c of cookies) h.append("set-cookie", c);
  return new Response(JSON.stringify(data), { status, headers: h });
}

export function redirect(location: string, cookies: string[] = []): Response {
  const h = new Headers({ location });
  for (const c of cookies) h.append("set-cookie", c);
  return new Response(null, { status: 303, headers: h });
}

/** A JSON refusal for a ceremony that must wait (429 with Retry-After). */
export function tooManyJson(locale: Locale, waitMs: number): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return json({ error: fill(identityStrings(locale).tooManyTries, { s: seconds }) }, 429, [], { "retry-after": String(seconds) });
}

/** Only a path on this site, so a crafted link cannot send someone elsewhere after sign-in. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : "/";
}

/** A language cookie, so a person's preferred language follows them after sign-in. */
export function languageCookie(lang: string, secure: boolean): string {
  return `hearth_lang=${lang}; Path=/; Max-Age=${365 * 24 * 3600}; SameSite=Lax${secure ? "; Secure" : ""}`;
}
