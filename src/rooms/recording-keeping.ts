import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Hearth } from "../context.ts";
import { log } from "../log.ts";
import { recordingsDir } from "./recording-record.ts";

/**
 * How long a group's recordings are kept (migration 0065: 30 days unless its facilitators say
 * otherwise), deleting one, and the sweeper that deletes those whose time ran out. A deleted
 * recording's file is gone; its row stays with when it went, so the record still says it existed.
 */

export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 3650;
const DAY_MS = 24 * 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 60 * 1000;

export interface KeptRecording {
  id: number;
  sessionId: number;
  groupId: number;
  personId: number | null;
  file: string;
  startedAt: number;
  durationMs: number;
  bytes: number;
  /** 1 once sealed shut; 0 while written, or left by a worker that died. */
  finished: number;
  deletedAt: number | null;
}

const SELECT = `SELECT f.id, f.session_id AS sessionId, s.group_id AS groupId, f.person_id AS personId, f.file, f.started_at AS startedAt,
  f.duration_ms AS durationMs, f.bytes, f.finished, f.deleted_at AS deletedAt FROM recording_files f JOIN group_sessions s ON s.id = f.session_id`;

export function retentionDays(hearth: Hearth, groupId: number): number {
  return hearth.db.query<{ days: number }, [number]>("SELECT days FROM recording_retention WHERE group_id = ?").get(groupId)?.days ?? DEFAULT_RETENTION_DAYS;
}

/** A whole number of days within bounds, or null. */
export function checkRetention(raw: string): number | null {
  if (!/^[0-9]{1,4}$/.test(raw.trim())) return null;
  const days = Number(raw.trim());
  return days >= 1 && days <= MAX_RETENTION_DAYS ? days : null;
}

export function setRetention(hearth: Hearth, actorId: number, groupId: number, days: number): void {
  hearth.db.transaction(() => {
    hearth.db.query("INSERT INTO recording_retention (group_id, days) VALUES (?, ?) ON CONFLICT (group_id) DO UPDATE SET days = excluded.days").run(groupId, days);
    hearth.audit.append({ actor: `person:${actorId}`, action: "recording.retention_set", subject: `group:${groupId}`, ownerId: null, outcome: "ok" });
  }).immediate();
}

/** When a recording's time runs out. */
export function keptUntil(hearth: Hearth, r: KeptRecording): number {
  return r.startedAt + retentionDays(hearth, r.groupId) * DAY_MS;
}

/** The session's recordings, deleted ones included (ids, times, sizes: nothing sealed). */
export function recordingsOf(hearth: Hearth, sessionId: number): KeptRecording[] {
  return hearth.db.query<KeptRecording, [number]>(`${SELECT} WHERE f.session_id = ? ORDER BY f.id`).all(sessionId);
}

/** One recording of that group's session, still kept; null otherwise (a wrong id never tells which part was wrong). */
export function keptRecording(hearth: Hearth, groupId: number, sessionId: number, id: number): KeptRecording | null {
  const r = hearth.db.query<KeptRecording, [number, number, number]>(`${SELECT} WHERE f.id = ? AND f.session_id = ? AND s.group_id = ?`).get(id, sessionId, groupId);
  return r && r.deletedAt === null && keptUntil(hearth, r) > hearth.now() ? r : null;
}

export function recordingPath(hearth: Hearth, r: { file: string }): string {
  return join(recordingsDir(hearth), `${r.file}.age`);
}

/** Deletes the file, then marks the row; `by` null is the sweeper. Audited either way. */
export async function deleteRecording(hearth: Hearth, r: KeptRecording, by: number | null): Promise<void> {
  await rm(recordingPath(hearth, r), { force: true });
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE recording_files SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL").run(hearth.now(), r.id);
    hearth.audit.append({ actor: by === null ? "system" : `person:${by}`, action: by === null ? "recording.expired" : "recording.deleted", subject: `recording_file:${r.id}`, ownerId: r.personId, outcome: "ok" });
  }).immediate();
}

/** Deletes every recording kept past its group's retention; returns how many. */
export async function deleteExpired(hearth: Hearth): Promise<number> {
  const now = hearth.now();
  let n = 0;
  for (const r of hearth.db.query<KeptRecording, []>(`${SELECT} WHERE f.deleted_at IS NULL`).all()) {
    if (keptUntil(hearth, r) > now) continue;
    await deleteRecording(hearth, r, null);
    n++;
  }
  return n;
}

const sweepers = new WeakMap<Hearth, ReturnType<typeof setInterval>>();

/** Deletes expired recordings every hour (once per appliance; the timer never keeps the process up). */
export function startRecordingSweeper(hearth: Hearth, everyMs = SWEEP_EVERY_MS): void {
  if (sweepers.has(hearth)) return;
  const sweep = () =>
    deleteExpired(hearth).catch((err: Error) => {
      // Database closed (shutdown) or busy: the next round tries again.
      log.warn("recording sweep failed", { kind: err.name });
    });
  const timer = setInterval(sweep, everyMs);
  timer.unref?.();
  sweepers.set(hearth, timer);
}
