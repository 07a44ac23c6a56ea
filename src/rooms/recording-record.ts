import { join } from "node:path";
import type { Hearth } from "../context.ts";
import type { RecordedFile } from "./recorder.ts";
import type { EndReason } from "./recording-consent.ts";

/**
 * The consent record of recording a session (migration 0063): requests, every answer with the
 * exact words it answered (sealed, as it names the person), and when recording was allowed to
 * run. Ids and times stay plain; every change is audited.
 */

export interface ConsentTerms {
  /** The name they were known by in the room. */
  name: string;
  locale: string;
  /** The question exactly as it was put to them. */
  text: string;
}

export type StoredAnswer = "yes" | "no" | "withdrawn";

export function openRequest(hearth: Hearth, sessionId: number, askedBy: number, at: number): number {
  return hearth.db.transaction(() => {
    const { id } = hearth.db
      .query<{ id: number }, [number, number, number]>("INSERT INTO recording_requests (session_id, asked_by, asked_at) VALUES (?, ?, ?) RETURNING id")
      .get(sessionId, askedBy, at)!;
    hearth.audit.append({ actor: `person:${askedBy}`, action: "recording.asked", subject: `recording_request:${id}`, ownerId: null, outcome: "ok" });
    return id;
  }).immediate();
}

export async function saveAnswer(hearth: Hearth, requestId: number, personId: number, answer: StoredAnswer, at: number, terms: ConsentTerms): Promise<void> {
  const sealed = await hearth.vault.sealJson(terms);
  hearth.db.transaction(() => {
    hearth.db
      .query("INSERT INTO recording_answers (request_id, person_id, answer, answered_at, terms) VALUES (?, ?, ?, ?, ?)")
      .run(requestId, personId, answer, at, sealed);
    hearth.audit.append({ actor: `person:${personId}`, action: `recording.${answer === "yes" ? "consented" : answer === "no" ? "refused" : "withdrawn"}`, subject: `recording_request:${requestId}`, ownerId: personId, outcome: "ok" });
  }).immediate();
}

export function endRequest(hearth: Hearth, requestId: number, reason: EndReason | "interrupted", at: number, by: number | null): void {
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE recording_requests SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL").run(at, reason, requestId);
    hearth.db.query("UPDATE recording_parts SET stopped_at = ? WHERE request_id = ? AND stopped_at IS NULL").run(at, requestId);
    hearth.audit.append({ actor: by === null ? "system" : `person:${by}`, action: `recording.request_${reason}`, subject: `recording_request:${requestId}`, ownerId: null, outcome: "ok" });
  }).immediate();
}

/** A part begins (the one before it, if still open, ends at the same moment). */
export function startPart(hearth: Hearth, requestId: number, part: number, at: number): void {
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE recording_parts SET stopped_at = ? WHERE request_id = ? AND stopped_at IS NULL").run(at, requestId);
    hearth.db.query("INSERT INTO recording_parts (request_id, part, started_at) VALUES (?, ?, ?)").run(requestId, part, at);
  }).immediate();
}

export function stopPart(hearth: Hearth, requestId: number, at: number): void {
  hearth.db.query("UPDATE recording_parts SET stopped_at = ? WHERE request_id = ? AND stopped_at IS NULL").run(at, requestId);
}

/**
 * A room starting for a session whose earlier room went away (a restart of the appliance) with
 * a request still open: nobody's consent carries over to the new room; the request ends.
 */
export function interruptOpen(hearth: Hearth, sessionId: number, at: number): void {
  hearth.db.transaction(() => {
    const open = hearth.db.query<{ id: number }, [number]>("SELECT id FROM recording_requests WHERE session_id = ? AND ended_at IS NULL").all(sessionId);
    for (const { id } of open) endRequest(hearth, id, "interrupted", at, null);
  }).immediate();
}

export interface ConsentRecordRow {
  requestId: number;
  askedBy: number;
  askedAt: number;
  endedAt: number | null;
  endReason: string | null;
  answers: { personId: number; answer: StoredAnswer; answeredAt: number; terms: ConsentTerms }[];
  parts: { part: number; startedAt: number; stoppedAt: number | null }[];
}

/** A session's consent record, opened for `readerId` (each answer read is audited as a read of that person's data). */
export async function consentRecord(hearth: Hearth, readerId: number, sessionId: number): Promise<ConsentRecordRow[]> {
  const requests = hearth.db
    .query<{ id: number; asked_by: number; asked_at: number; ended_at: number | null; end_reason: string | null }, [number]>(
      "SELECT id, asked_by, asked_at, ended_at, end_reason FROM recording_requests WHERE session_id = ? ORDER BY id",
    )
    .all(sessionId);
  const out: ConsentRecordRow[] = [];
  for (const r of requests) {
    const rows = hearth.db
      .query<{ id: number; person_id: number; answer: StoredAnswer; answered_at: number; terms: Uint8Array }, [number]>(
        "SELECT id, person_id, answer, answered_at, terms FROM recording_answers WHERE request_id = ? ORDER BY answered_at, id",
      )
      .all(r.id);
    const answers = [];
    for (const a of rows) {
      const terms = await hearth.vault.openJson<ConsentTerms>(a.terms);
      hearth.audit.append({ actor: `person:${readerId}`, action: "recording.consent_read", subject: `recording_answer:${a.id}`, ownerId: a.person_id, outcome: "ok" });
      answers.push({ personId: a.person_id, answer: a.answer, answeredAt: a.answered_at, terms });
    }
    const parts = hearth.db
      .query<{ part: number; started_at: number; stopped_at: number | null }, [number]>("SELECT part, started_at, stopped_at FROM recording_parts WHERE request_id = ? ORDER BY id")
      .all(r.id)
      .map((p) => ({ part: p.part, startedAt: p.started_at, stoppedAt: p.stopped_at }));
    out.push({ requestId: r.id, askedBy: r.asked_by, askedAt: r.asked_at, endedAt: r.ended_at, endReason: r.end_reason, answers, parts });
  }
  return out;
}

/** Where the recorder writes: the sealed files of every session (the backup carries the folder). */
export function recordingsDir(hearth: Hearth): string {
  return join(hearth.config.dataDir, "recordings");
}

/**
 * A file the recorder opened (its row, so a worker dying mid-part leaves nothing unknown), or
 * sealed shut (its duration and size). Linked to its session, request, part and person.
 */
export function saveFile(hearth: Hearth, sessionId: number, personId: number | null, file: RecordedFile): void {
  hearth.db.transaction(() => {
    const { id } = hearth.db
      .query<{ id: number }, [number, number, number, number | null, string, number, number, number, number]>(
        `INSERT INTO recording_files (session_id, request_id, part, person_id, file, started_at, duration_ms, bytes, finished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (file) DO UPDATE SET duration_ms = excluded.duration_ms, bytes = excluded.bytes, finished = excluded.finished RETURNING id`,
      )
      .get(sessionId, file.request, file.part, personId, file.file, file.startedAt, file.durationMs, file.bytes, file.finished ? 1 : 0)!;
    hearth.audit.append({ actor: "system", action: file.finished ? "recording.file_written" : "recording.file_opened", subject: `recording_file:${id}`, ownerId: personId, outcome: "ok" });
  }).immediate();
}

export interface RecordingFileRow {
  id: number;
  requestId: number;
  part: number;
  personId: number | null;
  file: string;
  startedAt: number;
  durationMs: number;
  bytes: number;
  finished: boolean;
}

/** The session's recording files; `finished` only once sealed shut (an open one, or one a dead worker left, is not). */
export function filesOf(hearth: Hearth, sessionId: number): RecordingFileRow[] {
  return hearth.db
    .query<Omit<RecordingFileRow, "finished"> & { finished: number }, [number]>(
      "SELECT id, request_id AS requestId, part, person_id AS personId, file, started_at AS startedAt, duration_ms AS durationMs, bytes, finished FROM recording_files WHERE session_id = ? ORDER BY id",
    )
    .all(sessionId)
    .map((r) => ({ ...r, finished: r.finished === 1 }));
}
