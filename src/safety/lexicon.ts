import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
// Embedded in the binary (bun build --compile), like the migrations.
import en from "./lexicon/en.txt" with { type: "text" };
import fr from "./lexicon/fr.txt" with { type: "text" };
import es from "./lexicon/es.txt" with { type: "text" };

/**
 * The crisis-language lexicon: plain phrase lists shipped per language (src/safety/lexicon/*.txt)
 * plus the clinic's own additions in `<data dir>/crisis-lexicon.txt` (same format, any language).
 * A phrase matches whole words in order, after both sides are normalized the same way; a word
 * ending in `*` matches any word that starts with it ("suicid*": suicide, suicidal, suicidaire).
 * Every language's list is checked whatever the writer's language: people write in the language
 * they are in, not the one their screen is set to.
 */
export const SHIPPED: Record<string, string> = { en, fr, es };
export const CLINIC_FILE = "crisis-lexicon.txt";

/** Lower case, no accents, no punctuation: "Je n'en PEUX plus…" becomes "je n en peux plus". */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export function parsePhrases(file: string): string[] {
  return file
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      // `*` survives normalization so it can mark a stem.
      const words = l.split(/\s+/).map((w) => (w.endsWith("*") ? `${normalize(w.slice(0, -1))}*` : normalize(w)));
      return words.join(" ").replace(/\s+/g, " ").trim();
    })
    .filter((p) => p.replace(/\*/g, "").trim().length > 0);
}

function phraseRegex(phrase: string): RegExp {
  // Normalized text holds letters, digits and single spaces only, so the pattern is word-exact.
  const words = phrase.split(" ").map((w) => (w.endsWith("*") ? `${escape(w.slice(0, -1))}[\\p{L}\\p{N}]*` : escape(w)));
  return new RegExp(`(?:^| )${words.join(" ")}(?= |$)`, "u");
}

function escape(word: string): string {
  return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export class Lexicon {
  readonly #patterns: RegExp[];

  constructor(readonly phrases: readonly string[]) {
    this.#patterns = [...new Set(phrases)].map(phraseRegex);
  }

  /** True when the text holds any phrase. Which phrase is never reported: it is the person's words. */
  matches(text: string): boolean {
    const t = normalize(text);
    if (!t) return false;
    return this.#patterns.some((p) => p.test(t));
  }

  get size(): number {
    return this.#patterns.length;
  }
}

/** The shipped lists plus the clinic's file, read again when the file changes. */
export function lexiconFor(dataDir: string): Lexicon {
  const path = join(dataDir, CLINIC_FILE);
  let stamp = "";
  try {
    if (existsSync(path)) {
      const st = Bun.file(path);
      stamp = `${st.size}:${st.lastModified}`;
    }
  } catch {
    stamp = "";
  }
  const cached = cache.get(dataDir);
  if (cached && cached.stamp === stamp) return cached.lexicon;
  const phrases = Object.values(SHIPPED).flatMap(parsePhrases);
  if (stamp) phrases.push(...parsePhrases(readFileSync(path, "utf8")));
  const lexicon = new Lexicon(phrases);
  cache.set(dataDir, { stamp, lexicon });
  return lexicon;
}

const cache = new Map<string, { stamp: string; lexicon: Lexicon }>();
