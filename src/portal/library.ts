import { join } from "node:path";
import { rm } from "node:fs/promises";
import type { Hearth } from "../context.ts";
import { groupRoleOf, isCarerOf, type Role } from "../identity/policy.ts";
import { groupIdsOf, partIn } from "../clinic/groups.ts";
import { MaterialError, openSealedStream, sealFileStream } from "../clinic/materials/store.ts";

/**
 * The content library: the clinic's articles (Markdown) and files (PDF, audio, video), tagged,
 * and recommended to patients one by one or to a whole group. Files go through the materials'
 * code (clinic/materials/store.ts): streamed, typed from content, sealed with a key of their
 * own; the limit is raised for video. Every clinician may browse and recommend the library; a
 * patient sees an item only while it is recommended to them or to a group they are a member of
 * (mayOpen). Reading is recorded only while the clinic turns it on (readingTracked), and then
 * the patient is told on every library page.
 */
export const LIBRARY_MAX_BYTES = 500 * 1024 * 1024;
export const TITLE_MAX = 120;
export const BODY_MAX = 100_000;
export const TAGS_MAX = 8;
export const TAG_MAX = 30;

/** The file types the library serves (a subset of the materials' types): what a page can play or show. */
export const LIBRARY_TYPES: Record<string, "pdf" | "audio" | "video"> = {
  "application/pdf": "pdf",
  "audio/mpeg": "audio",
  "audio/mp4": "audio",
  "audio/x-m4a": "audio",
  "video/mp4": "video",
};

export class LibraryError extends Error {
  constructor(readonly field: "title" | "body" | "tags" | "file" | "target", readonly reason: "invalid" | "too-large" | "type" | "empty") {
    super(`${field}: ${reason}`);
  }
}

export interface LibraryItem {
  id: number;
  kind: "article" | "file";
  title: string;
  body: string | null;
  tags: string[];
  mime: string | null;
  bytes: number | null;
  addedAt: number;
}

interface Row {
  id: number;
  kind: "article" | "file";
  title: string;
  body: string | null;
  tags: string;
  mime: string | null;
  bytes: number | null;
  added_at: number;
}

const COLUMNS = "id, kind, title, body, tags, mime, bytes, added_at";
const dirOf = (hearth: Hearth) => join(hearth.config.dataDir, "library");
const toItem = (r: Row): LibraryItem => ({ id: r.id, kind: r.kind, title: r.title, body: r.body, tags: JSON.parse(r.tags) as string[], mime: r.mime, bytes: r.bytes, addedAt: r.added_at });

function cleanTitle(title: string): string {
  const clean = title.replace(/[\p{Cc}\s]+/gu, " ").trim();
  if (!clean || clean.length > TITLE_MAX) throw new LibraryError("title", "invalid");
  return clean;
}

/** "sleep, Anxiety ,sleep" → ["sleep", "anxiety"]: lower case, no repeats, each short, a few at most. */
export function parseTags(text: string): string[] {
  const tags = [...new Set(text.split(",").map((t) => t.replace(/[\p{Cc}\s]+/gu, " ").trim().toLowerCase()).filter(Boolean))];
  if (tags.length > TAGS_MAX || tags.some((t) => t.length > TAG_MAX)) throw new LibraryError("tags", "invalid");
  return tags;
}

export function addArticle(hearth: Hearth, by: number, input: { title: string; body: string; tags: string[] }): number {
  const title = cleanTitle(input.title);
  const body = input.body.replace(/\r\n?/g, "\n");
  if (!body.trim() || body.length > BODY_MAX) throw new LibraryError("body", "invalid");
  const id = hearth.db
    .query<{ id: number }, [string, string, string, number, number]>("INSERT INTO library_items (kind, title, body, tags, added_by, added_at) VALUES ('article', ?, ?, ?, ?, ?) RETURNING id")
    .get(title, body, JSON.stringify(input.tags), by, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${by}`, action: "library.added", subject: `library:${id}`, ownerId: null, outcome: "ok" });
  return id;
}

/** Streams a file into the library, sealed; refused (nothing kept) if too large, empty, or not a PDF, audio or video file. */
export async function addLibraryFile(hearth: Hearth, by: number, input: { title: string; tags: string[]; source: ReadableStream<Uint8Array> }): Promise<number> {
  const title = cleanTitle(input.title);
  let file;
  try {
    file = await sealFileStream(hearth, dirOf(hearth), input.source, LIBRARY_MAX_BYTES);
  } catch (err) {
    if (err instanceof MaterialError) throw new LibraryError("file", err.reason === "invalid" ? "type" : err.reason);
    throw err;
  }
  if (!LIBRARY_TYPES[file.mime]) {
    await rm(join(dirOf(hearth), file.blob), { force: true });
    throw new LibraryError("file", "type");
  }
  const id = hearth.db
    .query<{ id: number }, [string, string, Uint8Array, string, string, number, number, number]>(
      "INSERT INTO library_items (kind, title, tags, file_key, blob, mime, bytes, added_by, added_at) VALUES ('file', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .get(title, JSON.stringify(input.tags), file.sealedKey, file.blob, file.mime, file.bytes, by, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${by}`, action: "library.added", subject: `library:${id}`, ownerId: null, outcome: "ok" });
  return id;
}

export function setTags(hearth: Hearth, by: number, id: number, tags: string[]): boolean {
  const done = hearth.db.query("UPDATE library_items SET tags = ? WHERE id = ? AND removed_at IS NULL").run(JSON.stringify(tags), id).changes === 1;
  if (done) hearth.audit.append({ actor: `person:${by}`, action: "library.tagged", subject: `library:${id}`, ownerId: null, outcome: "ok" });
  return done;
}

export function itemById(hearth: Hearth, id: number): LibraryItem | null {
  const r = hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM library_items WHERE id = ? AND removed_at IS NULL`).get(id);
  return r ? toItem(r) : null;
}

/** The whole library, newest first, optionally one tag's items: what a clinician browses. */
export function libraryItems(hearth: Hearth, tag?: string): LibraryItem[] {
  const all = hearth.db.query<Row, []>(`SELECT ${COLUMNS} FROM library_items WHERE removed_at IS NULL ORDER BY id DESC`).all().map(toItem);
  return tag ? all.filter((i) => i.tags.includes(tag)) : all;
}

const RECOMMENDED = `SELECT ${COLUMNS} FROM library_items WHERE removed_at IS NULL AND id IN (
  SELECT item_id FROM library_assignments WHERE patient_id = ?1
  UNION SELECT item_id FROM library_assignments WHERE group_id IN (SELECT value FROM json_each(?2)))`;

/** What is recommended to this patient, themself or through a group they are a member of (audited: it is about them). */
export function recommendedFor(hearth: Hearth, viewerId: number, patientId: number): LibraryItem[] {
  const groups = JSON.stringify(groupIdsOf(hearth.db, patientId, ["member"]));
  const rows = hearth.db.query<Row, [number, string]>(`${RECOMMENDED} ORDER BY id DESC`).all(patientId, groups);
  hearth.audit.append({ actor: `person:${viewerId}`, action: "library.listed", subject: `person:${patientId}`, ownerId: patientId, outcome: "ok" });
  return rows.map(toItem);
}

/**
 * May this person open this item? Any clinician (the library is the clinic's); a patient only
 * while it is recommended to them or to a group they are a member of; nobody else.
 */
export function mayOpen(hearth: Hearth, viewer: { id: number; role: Role }, itemId: number): boolean {
  if (viewer.role === "clinician") return itemById(hearth, itemId) !== null;
  if (viewer.role !== "patient") return false;
  const groups = JSON.stringify(groupIdsOf(hearth.db, viewer.id, ["member"]));
  return hearth.db.query<{ id: number }, [number, string, number]>(`SELECT id FROM (${RECOMMENDED}) WHERE id = ?3`).get(viewer.id, groups, itemId) !== null;
}

/** Recommends an item to a patient the clinician cares for, or to a group they run; refused otherwise. */
export function assign(hearth: Hearth, by: number, itemId: number, to: { patientId: number } | { groupId: number }): void {
  if (!itemById(hearth, itemId)) throw new LibraryError("target", "invalid");
  if ("patientId" in to) {
    if (!isCarerOf(hearth, by, to.patientId)) throw new LibraryError("target", "invalid");
    hearth.db
      .query("INSERT INTO library_assignments (item_id, patient_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(itemId, to.patientId, by, hearth.now());
    hearth.audit.append({ actor: `person:${by}`, action: "library.assigned", subject: `library:${itemId}`, ownerId: to.patientId, outcome: "ok" });
    return;
  }
  // The clinic's own membership query (not the policy provider, which `hearth demo` runs without).
  if (partIn(hearth.db, to.groupId, by) !== "clinician") throw new LibraryError("target", "invalid");
  hearth.db
    .query("INSERT INTO library_assignments (item_id, group_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
    .run(itemId, to.groupId, by, hearth.now());
  hearth.audit.append({ actor: `person:${by}`, action: "library.assigned", subject: `library:${itemId}`, ownerId: null, outcome: "ok" });
}

/** Stops recommending an item to a patient or a group, under the same rule as recommending it. */
export function unassign(hearth: Hearth, by: number, itemId: number, to: { patientId: number } | { groupId: number }): boolean {
  const patient = "patientId" in to;
  if (patient ? !isCarerOf(hearth, by, to.patientId) : partIn(hearth.db, to.groupId, by) !== "clinician") throw new LibraryError("target", "invalid");
  const done = hearth.db
    .query(`DELETE FROM library_assignments WHERE item_id = ? AND ${patient ? "patient_id" : "group_id"} = ?`)
    .run(itemId, patient ? to.patientId : to.groupId).changes === 1;
  if (done) hearth.audit.append({ actor: `person:${by}`, action: "library.recommendation_removed", subject: `library:${itemId}`, ownerId: patient ? to.patientId : null, outcome: "ok" });
  return done;
}

/** Takes an item out of the library (kept, as materials are, for the audit trail; nobody reaches it any more). */
export function removeItem(hearth: Hearth, by: number, itemId: number): boolean {
  const done = hearth.db.query("UPDATE library_items SET removed_at = ? WHERE id = ? AND removed_at IS NULL").run(hearth.now(), itemId).changes === 1;
  if (done) hearth.audit.append({ actor: `person:${by}`, action: "library.removed", subject: `library:${itemId}`, ownerId: null, outcome: "ok" });
  return done;
}

/** To whom an item is recommended, limited to the patients and groups this clinician cares for or runs. */
export function assignmentsSeenBy(hearth: Hearth, clinicianId: number, itemId: number): { patientIds: number[]; groupIds: number[] } {
  const rows = hearth.db.query<{ patient_id: number | null; group_id: number | null }, [number]>("SELECT patient_id, group_id FROM library_assignments WHERE item_id = ? ORDER BY id").all(itemId);
  return {
    patientIds: rows.flatMap((r) => (r.patient_id !== null && isCarerOf(hearth, clinicianId, r.patient_id) ? [r.patient_id] : [])),
    groupIds: rows.flatMap((r) => (r.group_id !== null && groupRoleOf(hearth, clinicianId, r.group_id) === "clinician" ? [r.group_id] : [])),
  };
}

// ---- Reading, only while the clinic tracks it. ----

export function readingTracked(hearth: Hearth): boolean {
  return hearth.db.query<{ value: string }, []>("SELECT value FROM clinic_settings WHERE key = 'library_reading_tracked'").get()?.value === "on";
}

export function setReadingTracked(hearth: Hearth, adminId: number, on: boolean): void {
  hearth.db
    .query("INSERT INTO clinic_settings (key, value) VALUES ('library_reading_tracked', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    .run(on ? "on" : "off");
  hearth.audit.append({ actor: `person:${adminId}`, action: on ? "library.tracking-on" : "library.tracking-off", subject: "clinic", ownerId: null, outcome: "ok" });
}

/** Notes that a patient opened an item, only while the clinic tracks reading; false when nothing was written. */
export function noteRead(hearth: Hearth, patientId: number, itemId: number): boolean {
  if (!readingTracked(hearth)) return false;
  const now = hearth.now();
  hearth.db
    .query("INSERT INTO library_reads (item_id, patient_id, first_read_at, last_read_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET last_read_at = excluded.last_read_at, times = times + 1")
    .run(itemId, patientId, now, now);
  return true;
}

/** Who of this clinician's patients opened the item, and when last (audited per patient shown). */
export function readsSeenBy(hearth: Hearth, clinicianId: number, itemId: number): { patientId: number; lastReadAt: number; times: number }[] {
  const rows = hearth.db
    .query<{ patient_id: number; last_read_at: number; times: number }, [number]>("SELECT patient_id, last_read_at, times FROM library_reads WHERE item_id = ? ORDER BY last_read_at DESC")
    .all(itemId)
    .filter((r) => isCarerOf(hearth, clinicianId, r.patient_id));
  for (const r of rows) hearth.audit.append({ actor: `person:${clinicianId}`, action: "library.reads_listed", subject: `library:${itemId}`, ownerId: r.patient_id, outcome: "ok" });
  return rows.map((r) => ({ patientId: r.patient_id, lastReadAt: r.last_read_at, times: r.times }));
}

/** A file item's plaintext as a stream from its start (see library-range.ts for ranges); null when it is not a file. */
export async function openLibraryFile(hearth: Hearth, itemId: number): Promise<{ stream: ReadableStream<Uint8Array>; mime: string; bytes: number; title: string } | null> {
  const r = hearth.db
    .query<{ title: string; file_key: Uint8Array; blob: string; mime: string; bytes: number }, [number]>(
      "SELECT title, file_key, blob, mime, bytes FROM library_items WHERE id = ? AND kind = 'file' AND removed_at IS NULL",
    )
    .get(itemId);
  if (!r) return null;
  return { stream: await openSealedStream(hearth, dirOf(hearth), r.blob, r.file_key), mime: r.mime, bytes: r.bytes, title: r.title };
}

export interface LibraryRecord {
  /** Items recommended to the patient themself ("you") or to a group they are a member of ("group"). */
  recommended: { itemId: number; title: string; kind: "article" | "file"; to: "you" | "group"; recommendedAt: string; removedFromLibrary: boolean }[];
  /** What they opened while the clinic recorded reading: first and last time, and how often. */
  reading: { itemId: number; title: string; kind: "article" | "file"; firstReadAt: string; lastReadAt: string; times: number }[];
}

/**
 * What the library keeps about one patient, for their own "my data" download (its export is
 * audited there): only rows naming this patient or one of their groups, never another's reads.
 */
export function libraryRecordOf(hearth: Hearth, patientId: number): LibraryRecord {
  const iso = (ms: number) => new Date(ms).toISOString();
  const groups = JSON.stringify(groupIdsOf(hearth.db, patientId, ["member"]));
  const recommended = hearth.db
    .query<{ item_id: number; title: string; kind: "article" | "file"; patient_id: number | null; assigned_at: number; removed_at: number | null }, [number, string]>(
      `SELECT a.item_id, i.title, i.kind, a.patient_id, a.assigned_at, i.removed_at FROM library_assignments a JOIN library_items i ON i.id = a.item_id
       WHERE a.patient_id = ?1 OR a.group_id IN (SELECT value FROM json_each(?2)) ORDER BY a.assigned_at, a.id`,
    )
    .all(patientId, groups)
    .map((r) => ({ itemId: r.item_id, title: r.title, kind: r.kind, to: r.patient_id === null ? ("group" as const) : ("you" as const), recommendedAt: iso(r.assigned_at), removedFromLibrary: r.removed_at !== null }));
  const reading = hearth.db
    .query<{ item_id: number; title: string; kind: "article" | "file"; first_read_at: number; last_read_at: number; times: number }, [number]>(
      "SELECT r.item_id, i.title, i.kind, r.first_read_at, r.last_read_at, r.times FROM library_reads r JOIN library_items i ON i.id = r.item_id WHERE r.patient_id = ? ORDER BY r.first_read_at",
    )
    .all(patientId)
    .map((r) => ({ itemId: r.item_id, title: r.title, kind: r.kind, firstReadAt: iso(r.first_read_at), lastReadAt: iso(r.last_read_at), times: r.times }));
  return { recommended, reading };
}
