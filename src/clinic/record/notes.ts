import { createHash } from "node:crypto";
import type { Hearth } from "../../context.ts";
import type { StoredSignature } from "./signing.ts";

/**
 * Session notes: a group note per session and an individual note per attending member, written
 * on a template (DAP, SOAP, BIRP; the group note has its own). A note is a draft until its
 * author signs it with a passkey assertion over the SHA-256 of its canonical form; from then on
 * it never changes (the code refuses, and triggers in 0071 refuse the columns that say what and
 * whose it is), and takes signed addenda. The text is sealed; each opening is audited.
 */
export const TEMPLATES = ["dap", "soap", "birp", "group"] as const;
export type Template = (typeof TEMPLATES)[number];
export type FieldId =
  | "attendance" | "theme" | "interventions" | "process"
  | "data" | "assessment" | "plan" | "subjective" | "objective" | "behavior" | "intervention" | "response";

export const TEMPLATE_FIELDS: Record<Template, readonly FieldId[]> = {
  group: ["attendance", "theme", "interventions", "process"],
  dap: ["attendance", "data", "assessment", "plan"],
  soap: ["attendance", "subjective", "objective", "assessment", "plan"],
  birp: ["attendance", "behavior", "intervention", "response", "plan"],
};
export const FIELD_MAX = 20_000;

export function isTemplate(v: unknown): v is Template {
  return typeof v === "string" && (TEMPLATES as readonly string[]).includes(v);
}

export interface NoteMeta {
  id: number;
  sessionId: number;
  groupId: number;
  personId: number | null;
  template: Template;
  createdBy: number;
  createdAt: number;
  updatedAt: number;
  signedAt: number | null;
  signedBy: number | null;
  contentHash: string | null;
  releasedAt: number | null;
}

export interface Note extends NoteMeta {
  fields: Partial<Record<FieldId, string>>;
}

export interface Addendum {
  id: number;
  noteId: number;
  text: string;
  createdBy: number;
  createdAt: number;
  contentHash: string;
}

const META = `id, session_id AS sessionId, group_id AS groupId, person_id AS personId, template, created_by AS createdBy,
  created_at AS createdAt, updated_at AS updatedAt, signed_at AS signedAt, signed_by AS signedBy, content_hash AS contentHash, released_at AS releasedAt`;

function audit(hearth: Hearth, actorId: number, action: string, noteId: number, ownerId: number | null, outcome: "ok" | "denied" = "ok"): void {
  hearth.audit.append({ actor: `person:${actorId}`, action, subject: `clinical_note:${noteId}`, ownerId, outcome });
}

/** Ids and state only: nothing is opened, nothing audited. */
export function noteMeta(hearth: Hearth, id: number): NoteMeta | null {
  return hearth.db.query<NoteMeta, [number]>(`SELECT ${META} FROM clinical_notes WHERE id = ?`).get(id) ?? null;
}

export function notesOfSession(hearth: Hearth, sessionId: number): NoteMeta[] {
  return hearth.db.query<NoteMeta, [number]>(`SELECT ${META} FROM clinical_notes WHERE session_id = ? ORDER BY id`).all(sessionId);
}

export function releasedNotesOf(hearth: Hearth, personId: number): NoteMeta[] {
  return hearth.db
    .query<NoteMeta, [number]>(`SELECT ${META} FROM clinical_notes WHERE person_id = ? AND released_at IS NOT NULL AND signed_at IS NOT NULL ORDER BY signed_at`)
    .all(personId);
}

function cleanFields(template: Template, fields: Partial<Record<string, string>>): Partial<Record<FieldId, string>> {
  const out: Partial<Record<FieldId, string>> = {};
  for (const f of TEMPLATE_FIELDS[template]) out[f] = (fields[f] ?? "").replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]/gu, "").trim();
  return out;
}

export async function createNote(
  hearth: Hearth,
  n: { sessionId: number; groupId: number; personId: number | null; template: Template; by: number; fields?: Partial<Record<FieldId, string>> },
): Promise<number> {
  const sealed = await hearth.vault.seal(JSON.stringify({ fields: cleanFields(n.template, n.fields ?? {}) }));
  const now = hearth.now();
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [number, number, number | null, string, Uint8Array, number, number, number]>(
        "INSERT INTO clinical_notes (session_id, group_id, person_id, template, content, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(n.sessionId, n.groupId, n.personId, n.template, sealed, n.by, now, now)!.id;
    audit(hearth, n.by, "clinical_note.created", id, n.personId);
    return id;
  }).immediate();
}

/**
 * Opens a note for `actorId` (who the caller has checked may read it): audited, unless the caller
 * audits the whole reading itself (an export is one "record.exported" row naming the patient).
 */
export async function readNote(hearth: Hearth, actorId: number, id: number, opts: { audited?: boolean } = {}): Promise<Note | null> {
  const meta = noteMeta(hearth, id);
  if (!meta) return null;
  const row = hearth.db.query<{ content: Uint8Array }, [number]>("SELECT content FROM clinical_notes WHERE id = ?").get(id)!;
  const { fields } = await hearth.vault.openJson<{ fields: Note["fields"] }>(row.content);
  if (opts.audited !== false) audit(hearth, actorId, "clinical_note.read", id, meta.personId);
  return { ...meta, fields };
}

/** Saves a draft's text. False when the note is signed (then nothing changes). */
export async function saveDraft(hearth: Hearth, actorId: number, id: number, fields: Partial<Record<string, string>>): Promise<boolean> {
  const meta = noteMeta(hearth, id);
  if (!meta) return false;
  if (meta.signedAt !== null) {
    audit(hearth, actorId, "clinical_note.edit_refused", id, meta.personId, "denied");
    return false;
  }
  // Fields not sent keep their text: a partial save never blanks what was written.
  const row = hearth.db.query<{ content: Uint8Array }, [number]>("SELECT content FROM clinical_notes WHERE id = ?").get(id)!;
  const before = (await hearth.vault.openJson<{ fields: Note["fields"] }>(row.content)).fields;
  const merged = { ...before, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
  const sealed = await hearth.vault.seal(JSON.stringify({ fields: cleanFields(meta.template, merged) }));
  const changed = hearth.db.query("UPDATE clinical_notes SET content = ?, updated_at = ? WHERE id = ? AND signed_at IS NULL").run(sealed, hearth.now(), id).changes === 1;
  audit(hearth, actorId, changed ? "clinical_note.updated" : "clinical_note.edit_refused", id, meta.personId, changed ? "ok" : "denied");
  return changed;
}

/**
 * The canonical form a signature covers: a fixed-order JSON array of what the note is (its ids,
 * its template) and says (each field of its template, in the template's order).
 */
export function canonicalNote(n: Pick<Note, "id" | "sessionId" | "groupId" | "personId" | "template" | "fields">): string {
  return JSON.stringify(["hearth-note-v1", n.id, n.sessionId, n.groupId, n.personId, n.template, TEMPLATE_FIELDS[n.template].map((f) => [f, n.fields[f] ?? ""])]);
}

/** An addendum's canonical form names the note and the hash it was signed with. */
export function canonicalAddendum(noteId: number, noteHash: string, text: string): string {
  return JSON.stringify(["hearth-addendum-v1", noteId, noteHash, text]);
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function insertSignature(hearth: Hearth, noteId: number, addendumId: number | null, sig: StoredSignature): void {
  hearth.db
    .query(
      `INSERT INTO note_signatures (note_id, addendum_id, passkey_id, signed_by, signed_at, content_hash, challenge, client_data_json, authenticator_data, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(noteId, addendumId, sig.passkeyId, sig.signedBy, hearth.now(), sig.contentHash, sig.challenge, sig.clientDataJSON, sig.authenticatorData, sig.signature);
}

/**
 * Marks a draft signed with its verified signature, if its text still hashes to what was signed.
 * False when it was signed meanwhile or changed since the signing began.
 */
export async function signNote(hearth: Hearth, id: number, sig: StoredSignature): Promise<boolean> {
  const note = await readNote(hearth, sig.signedBy, id);
  if (!note || note.signedAt !== null || sha256Hex(canonicalNote(note)) !== sig.contentHash) return false;
  return hearth.db.transaction(() => {
    const ok = hearth.db
      .query("UPDATE clinical_notes SET signed_at = ?, signed_by = ?, content_hash = ? WHERE id = ? AND signed_at IS NULL AND updated_at = ?")
      .run(hearth.now(), sig.signedBy, sig.contentHash, id, note.updatedAt).changes === 1;
    if (!ok) return false;
    insertSignature(hearth, id, null, sig);
    audit(hearth, sig.signedBy, "clinical_note.signed", id, note.personId);
    return true;
  }).immediate();
}

export async function addAddendum(hearth: Hearth, noteId: number, text: string, sig: StoredSignature): Promise<number | null> {
  const meta = noteMeta(hearth, noteId);
  if (!meta?.contentHash || sha256Hex(canonicalAddendum(noteId, meta.contentHash, text)) !== sig.contentHash) return null;
  const sealed = await hearth.vault.seal(JSON.stringify({ text }));
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [number, Uint8Array, number, number, string]>(
        "INSERT INTO note_addenda (note_id, content, created_by, created_at, content_hash) VALUES (?, ?, ?, ?, ?) RETURNING id",
      )
      .get(noteId, sealed, sig.signedBy, hearth.now(), sig.contentHash)!.id;
    insertSignature(hearth, noteId, id, sig);
    audit(hearth, sig.signedBy, "clinical_note.addendum_signed", noteId, meta.personId);
    return id;
  }).immediate();
}

/** A note's addenda, opened (the caller audited the note's reading). */
export async function addendaOf(hearth: Hearth, noteId: number): Promise<Addendum[]> {
  const rows = hearth.db
    .query<{ id: number; content: Uint8Array; createdBy: number; createdAt: number; contentHash: string }, [number]>(
      "SELECT id, content, created_by AS createdBy, created_at AS createdAt, content_hash AS contentHash FROM note_addenda WHERE note_id = ? ORDER BY id",
    )
    .all(noteId);
  const out: Addendum[] = [];
  for (const r of rows) out.push({ id: r.id, noteId, text: (await hearth.vault.openJson<{ text: string }>(r.content)).text, createdBy: r.createdBy, createdAt: r.createdAt, contentHash: r.contentHash });
  return out;
}

/** Lets the member the note is about read it. Only a signed individual note. */
export function releaseNote(hearth: Hearth, actorId: number, id: number): boolean {
  const meta = noteMeta(hearth, id);
  if (!meta || meta.personId === null || meta.signedAt === null) return false;
  const ok = hearth.db.query("UPDATE clinical_notes SET released_at = ?, released_by = ? WHERE id = ? AND released_at IS NULL").run(hearth.now(), actorId, id).changes === 1;
  if (ok) audit(hearth, actorId, "clinical_note.released", id, meta.personId);
  return ok;
}
