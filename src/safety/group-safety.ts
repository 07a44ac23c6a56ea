import type { Hearth } from "../context.ts";
import { normalize } from "./lexicon.ts";

/**
 * A group's safety settings, set by its clinicians: whether members must say where they are
 * before they knock, and the group's code word (sealed). Typed in chat, the code word alerts the
 * facilitators and is never shown to the group (src/rooms/safety.ts).
 */
export const CODE_WORD_MAX = 40;

export interface GroupSafety {
  locationRequired: boolean;
  hasCodeWord: boolean;
}

interface Row {
  location_required: number;
  code_word: Uint8Array | null;
}

function row(hearth: Hearth, groupId: number): Row | null {
  return hearth.db.query<Row, [number]>("SELECT location_required, code_word FROM group_safety WHERE group_id = ?").get(groupId);
}

export function groupSafety(hearth: Hearth, groupId: number): GroupSafety {
  const r = row(hearth, groupId);
  return { locationRequired: r?.location_required === 1, hasCodeWord: !!r?.code_word };
}

export function locationRequired(hearth: Hearth, groupId: number): boolean {
  return row(hearth, groupId)?.location_required === 1;
}

export function setLocationRequired(hearth: Hearth, actorId: number, groupId: number, required: boolean): void {
  hearth.db.transaction(() => {
    hearth.db
      .query(
        `INSERT INTO group_safety (group_id, location_required, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id) DO UPDATE SET location_required = excluded.location_required, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      )
      .run(groupId, required ? 1 : 0, actorId, hearth.now());
    hearth.audit.append({ actor: `person:${actorId}`, action: required ? "group.location_required" : "group.location_optional", subject: `group:${groupId}`, outcome: "ok" });
  }).immediate();
}

/** A code word as it is compared: normalized like chat text, so "Blue Heron!" matches "blue heron". */
export function checkCodeWord(raw: string): { ok: true; value: string } | { ok: false; problem: "codeWordEmpty" | "codeWordTooLong" } {
  const value = normalize(raw);
  if (!/\p{L}/u.test(value)) return { ok: false, problem: "codeWordEmpty" };
  if (raw.trim().length > CODE_WORD_MAX) return { ok: false, problem: "codeWordTooLong" };
  return { ok: true, value };
}

/** Sets (or with null, clears) the code word. */
export async function setCodeWord(hearth: Hearth, actorId: number, groupId: number, word: string | null): Promise<void> {
  const sealed = word === null ? null : await hearth.vault.seal(word);
  hearth.db.transaction(() => {
    hearth.db
      .query(
        `INSERT INTO group_safety (group_id, code_word, updated_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id) DO UPDATE SET code_word = excluded.code_word, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      )
      .run(groupId, sealed, actorId, hearth.now());
    hearth.audit.append({ actor: `person:${actorId}`, action: word === null ? "group.code_word_cleared" : "group.code_word_set", subject: `group:${groupId}`, outcome: "ok" });
  }).immediate();
}

/** The normalized code word, for the room that screens chat (opened once per room, not audited per message). */
export async function codeWordOf(hearth: Hearth, groupId: number): Promise<string | null> {
  const sealed = row(hearth, groupId)?.code_word;
  return sealed ? hearth.vault.openText(sealed) : null;
}

/** True when the normalized text holds the normalized code word as whole words. */
export function saysCodeWord(text: string, codeWord: string): boolean {
  const t = ` ${normalize(text)} `;
  return codeWord.length > 0 && t.includes(` ${codeWord} `);
}
