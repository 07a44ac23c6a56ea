/**
 * Every string a person reads goes through here. Each capability defines its own strings
 * with defineStrings(en, fr, es); the French and Spanish tables must name every English key
 * (the type checker refuses a missing one), so the three languages stay complete.
 *
 * Counts use plural(): a table holds `KEY_one` and `KEY_other` (and `KEY_many`, `KEY_few`...
 * where a language needs them), and Intl.PluralRules picks the form, so French says
 * "0 séance" / "1 séance" / "2 séances" while English and Spanish say "0 sessions".
 */
export const LOCALES = ["en", "fr", "es"] as const;
export type Locale = (typeof LOCALES)[number];

export const LOCALE_NAMES: Record<Locale, string> = { en: "English", fr: "Français", es: "Español" };

/** The BCP 47 tag each language formats dates and numbers with (en-GB: day before month, 24 h). */
export const INTL_TAGS: Record<Locale, string> = { en: "en-GB", fr: "fr-FR", es: "es-ES" };

export type Strings<T extends Record<string, string>> = (locale: Locale) => { readonly [K in keyof T]: string };

export function defineStrings<const T extends Record<string, string>>(
  en: T,
  fr: { readonly [K in keyof T]: string },
  es: { readonly [K in keyof T]: string },
): Strings<T> {
  return (locale) => (locale === "fr" ? fr : locale === "es" ? es : en);
}

/** Fills {name} placeholders. Values are plain text; escaping happens in html``. */
export function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

const pluralRules = new Map<Locale, Intl.PluralRules>();

/**
 * The form of `KEY` for the count n in this language, with {n} filled (and any other params).
 * A table missing `KEY_one` or `KEY_other` does not type-check; a rarer category a language
 * uses (French "many" for a million) falls back to `KEY_other`.
 */
export function plural<K extends string>(
  locale: Locale,
  table: { readonly [P in `${K}_one` | `${K}_other`]: string },
  key: K,
  n: number,
  params: Record<string, string | number> = {},
): string {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(INTL_TAGS[locale])));
  const forms = table as unknown as Record<string, string | undefined>;
  const template = forms[`${key}_${rules.select(n)}`] ?? forms[`${key}_other`]!;
  return fill(template, { n, ...params });
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
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { dateStyle: "medium", timeStyle: "short" }).format(ms);
}
