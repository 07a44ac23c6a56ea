/**
 * Every string a person reads goes through here. Each capability defines its own strings
 * with defineStrings(en, fr); the French table must name every English key (the type
 * checker refuses a missing one), so both languages stay complete.
 */
export const LOCALES = ["en", "fr"] as const;
export type Locale = (typeof LOCALES)[number];

export const LOCALE_NAMES: Record<Locale, string> = { en: "English", fr: "Français" };

export type Strings<T extends Record<string, string>> = (locale: Locale) => { readonly [K in keyof T]: string };

export function defineStrings<const T extends Record<string, string>>(
  en: T,
  fr: { readonly [K in keyof T]: string },
  // Spanish is being completed (issue 15); new strings pass all three from the start.
  es?: { readonly [K in keyof T]: string },
): Strings<T> {
  return (locale) => (locale === "fr" ? fr : en);
}

/** Fills {name} placeholders. Values are plain text; escaping happens in html``. */
export function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** Picks the language: an explicit choice first, then the browser's Accept-Language. */
export function negotiateLocale(choice: string | undefined, acceptLanguage: string | null): Locale {
  if (isLocale(choice)) return choice;
  for (const part of (acceptLanguage ?? "").split(",")) {
    const tag = part.split(";")[0]!.trim().slice(0, 2).toLowerCase();
    if (isLocale(tag)) return tag;
  }
  return "en";
}

export function formatDateTime(locale: Locale, ms: number): string {
  return new Intl.DateTimeFormat(locale === "fr" ? "fr-FR" : "en-GB", { dateStyle: "medium", timeStyle: "short" }).format(ms);
}
