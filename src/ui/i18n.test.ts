import { describe, expect, test } from "bun:test";
import { defineStrings, formatDateTime, LOCALES, negotiateLocale, plural, type Locale } from "./i18n.ts";

const counts = defineStrings(
  { seats_one: "{n} seat left in {group}", seats_other: "{n} seats left in {group}" },
  { seats_one: "{n} place restante dans {group}", seats_other: "{n} places restantes dans {group}" },
  { seats_one: "Queda {n} plaza en {group}", seats_other: "Quedan {n} plazas en {group}" },
);

describe("plural forms follow each language's rules (Intl.PluralRules)", () => {
  const cases: [Locale, number, string][] = [
    ["en", 0, "0 seats left in Tuesday"],
    ["en", 1, "1 seat left in Tuesday"],
    ["en", 2, "2 seats left in Tuesday"],
    // French counts zero as singular; Spanish and English do not.
    ["fr", 0, "0 place restante dans Tuesday"],
    ["fr", 1, "1 place restante dans Tuesday"],
    ["fr", 2, "2 places restantes dans Tuesday"],
    ["es", 0, "Quedan 0 plazas en Tuesday"],
    ["es", 1, "Queda 1 plaza en Tuesday"],
    ["es", 5, "Quedan 5 plazas en Tuesday"],
  ];
  for (const [locale, n, want] of cases) {
    test(`${locale} ${n}`, () => expect(plural(locale, counts(locale), "seats", n, { group: "Tuesday" })).toBe(want));
  }
  test("a category the table lacks (French 'many' for a million) falls back to _other", () => {
    expect(new Intl.PluralRules("fr-FR").select(1_000_000)).toBe("many");
    expect(plural("fr", counts("fr"), "seats", 1_000_000, { group: "G" })).toBe("1000000 places restantes dans G");
  });
});

describe("Spanish is a locale like the others", () => {
  test("LOCALES offers it", () => expect([...LOCALES]).toEqual(["en", "fr", "es"]));
  test("a Mexican or Spanish browser gets Spanish; a stored choice wins", () => {
    expect(negotiateLocale(undefined, "es-MX,es;q=0.9,en;q=0.5")).toBe("es");
    expect(negotiateLocale(undefined, "de-DE, es-ES;q=0.8")).toBe("es");
    expect(negotiateLocale("fr", "es-ES")).toBe("fr");
    expect(negotiateLocale("xx", "pt-BR")).toBe("en");
  });
  test("dates are written in Spanish", () => {
    const when = Date.UTC(2026, 11, 6, 15, 30);
    expect(formatDateTime("es", when)).toMatch(/dic/);
    expect(formatDateTime("fr", when)).toMatch(/déc/);
  });
  test("defineStrings answers in the language asked", () => {
    expect(counts("es").seats_one).toStartWith("Queda");
    expect(counts("fr").seats_one).toContain("place");
    expect(counts("en").seats_one).toContain("seat");
  });
});

/**
 * The type checker proves every key exists in every language; this proves the Spanish is
 * Spanish: in every strings table of the app, few Spanish values may equal the English ones
 * (brand names, units and short codes are the same in both).
 */
describe("every strings table of the app has a real Spanish translation", async () => {
  const root = new URL("../..", import.meta.url).pathname;
  const tables: [file: string, name: string][] = [];
  for (const dir of ["src", "web"]) {
    for await (const f of new Bun.Glob("**/*.ts").scan({ cwd: root + dir })) {
      if (f.endsWith(".test.ts")) continue;
      const text = await Bun.file(`${root}${dir}/${f}`).text();
      for (const m of text.matchAll(/^export const (\w+) = defineStrings\(/gm)) tables.push([`${dir}/${f}`, m[1]!]);
    }
  }
  test("the tables are found", () => expect(tables.length).toBeGreaterThanOrEqual(9));
  for (const [file, name] of tables) {
    test(`${file} ${name}`, async () => {
      const fn = ((await import(root + file)) as Record<string, (l: Locale) => Record<string, string>>)[name]!;
      const [en, fr, es] = [fn("en"), fn("fr"), fn("es")];
      expect(es).not.toBe(en);
      expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
      // Sentences, not codes: "{d} d {h} h {m} min" or "Chromebook (ChromeOS)" may stay as they are.
      const sentences = Object.keys(en).filter((k) => en[k]!.length > 14 && en[k] !== fr[k]);
      const same = sentences.filter((k) => es[k] === en[k]);
      expect(same.length, `${name}: Spanish equal to English: ${same.join(", ")}`).toBeLessThanOrEqual(Math.floor(sentences.length / 10));
    });
  }
});
