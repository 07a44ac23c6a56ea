import type { Hearth } from "../context.ts";
import { readContacts } from "../identity/people.ts";

/**
 * "Where are you today": what a member tells the facilitators before they are admitted, for one
 * session only. Sealed in session_whereabouts with that session's record; each facilitator's
 * view of it is audited (owner: the member), and nobody else reads it.
 */
export interface Whereabouts {
  location: string;
  phone: string;
  emergencyContact: string;
}

export const WHERE_LIMITS = { location: 300, phone: 40, emergencyContact: 200 } as const;
const PHONE = /^\+?[0-9][0-9 ().-]{4,38}$/;

export type WhereProblem = "locationTooLong" | "phoneInvalid" | "contactTooLong" | "locationMissing" | "phoneMissing";

function line(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, " ").trim();
}

export function checkWhereabouts(raw: Partial<Whereabouts>, required: boolean): { ok: true; value: Whereabouts } | { ok: false; problem: WhereProblem; field: keyof Whereabouts } {
  const value = { location: line(raw.location ?? ""), phone: line(raw.phone ?? ""), emergencyContact: line(raw.emergencyContact ?? "") };
  if (value.location.length > WHERE_LIMITS.location) return { ok: false, problem: "locationTooLong", field: "location" };
  if (value.phone && (value.phone.length > WHERE_LIMITS.phone || !PHONE.test(value.phone))) return { ok: false, problem: "phoneInvalid", field: "phone" };
  if (value.emergencyContact.length > WHERE_LIMITS.emergencyContact) return { ok: false, problem: "contactTooLong", field: "emergencyContact" };
  if (required && !value.location) return { ok: false, problem: "locationMissing", field: "location" };
  if (required && !value.phone) return { ok: false, problem: "phoneMissing", field: "phone" };
  return { ok: true, value };
}

export async function saveWhereabouts(hearth: Hearth, sessionId: number, personId: number, w: Whereabouts): Promise<void> {
  const sealed = await hearth.vault.sealJson(w);
  hearth.db.transaction(() => {
    hearth.db
      .query(
        `INSERT INTO session_whereabouts (session_id, person_id, answer, given_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (session_id, person_id) DO UPDATE SET answer = excluded.answer, given_at = excluded.given_at`,
      )
      .run(sessionId, personId, sealed, hearth.now());
    hearth.audit.append({ actor: `person:${personId}`, action: "whereabouts.given", subject: `group_session:${sessionId}`, ownerId: personId, outcome: "ok" });
  }).immediate();
}

export function hasAnswered(hearth: Hearth, sessionId: number, personId: number): boolean {
  return hearth.db.query("SELECT 1 FROM session_whereabouts WHERE session_id = ? AND person_id = ?").get(sessionId, personId) !== null;
}

/** Reads one member's answer for `readerId`, audited as a view of the member's data. */
export async function readWhereabouts(hearth: Hearth, readerId: number, sessionId: number, personId: number): Promise<(Whereabouts & { givenAt: number }) | null> {
  const row = hearth.db
    .query<{ answer: Uint8Array; given_at: number }, [number, number]>("SELECT answer, given_at FROM session_whereabouts WHERE session_id = ? AND person_id = ?")
    .get(sessionId, personId);
  if (!row) return null;
  const w = await hearth.vault.openJson<Whereabouts>(row.answer);
  if (readerId !== personId) hearth.audit.append({ actor: readerId ? `person:${readerId}` : "system", action: "whereabouts.read", subject: `group_session:${sessionId}`, ownerId: personId, outcome: "ok" });
  return { ...w, givenAt: row.given_at };
}

/** Who answered for a session (ids and times only). */
export function answeredIn(hearth: Hearth, sessionId: number): { personId: number; givenAt: number }[] {
  return hearth.db
    .query<{ person_id: number; given_at: number }, [number]>("SELECT person_id, given_at FROM session_whereabouts WHERE session_id = ? ORDER BY given_at")
    .all(sessionId)
    .map((r) => ({ personId: r.person_id, givenAt: r.given_at }));
}

/** What the form starts with: this session's answer, or the member's own profile (their usual place, emergency contact, a phone-like reminder contact). */
export async function prefill(hearth: Hearth, sessionId: number, personId: number): Promise<Whereabouts> {
  const given = await readWhereabouts(hearth, personId, sessionId, personId);
  if (given) return { location: given.location, phone: given.phone, emergencyContact: given.emergencyContact };
  const c = await readContacts(hearth, personId, personId);
  return { location: c.usualLocation, phone: PHONE.test(c.reminderContact.trim()) ? c.reminderContact.trim() : "", emergencyContact: c.emergencyContact };
}
