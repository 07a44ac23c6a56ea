import type { Hearth } from "../../context.ts";
import { allOccurrences, isZone, occurrences, ruleOf, RecurrenceError, type Recurrence } from "./recurrence.ts";

/**
 * A group's schedules and the changes to single occurrences (cancel, move, other facilitator).
 * Only ids, times and the rule are stored: nothing here says who is in the group or why.
 * Changing one occurrence never touches the rule, so the rest of the series stays as it was.
 */
export interface Schedule {
  id: number;
  groupId: number;
  recurrence: Recurrence;
  zone: string;
  createdAt: number;
}

export interface PlannedSession {
  scheduleId: number;
  groupId: number;
  /** The occurrence's identity within its rule (floating local start). */
  wall: number;
  startsAt: number;
  endsAt: number;
  zone: string;
  cancelled: boolean;
  moved: boolean;
  facilitatorId: number | null;
  /** When this occurrence was last changed on its own (ms), or null. */
  changedAt: number | null;
}

export const DEFAULT_ZONE = "UTC";

export function clinicZone(hearth: Hearth): string {
  return hearth.db.query<{ value: string }, []>("SELECT value FROM clinic_settings WHERE key = 'zone'").get()?.value ?? DEFAULT_ZONE;
}

/** Sets the clinic's zone (only checks it when `checkOnly`). */
export function setClinicZone(hearth: Hearth, actorId: number, zone: string, checkOnly = false): void {
  if (!isZone(zone)) throw new RecurrenceError("zone", "must be a time zone like America/Toronto");
  if (checkOnly) return;
  hearth.db.query("INSERT INTO clinic_settings (key, value) VALUES ('zone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(zone);
  hearth.audit.append({ actor: `person:${actorId}`, action: "clinic.zone_set", subject: "clinic", ownerId: null, outcome: "ok" });
}

/** Minutes before its start that a scheduled session opens by itself (the waiting room). */
export const DEFAULT_OPEN_LEAD_MIN = 10;

export function openLeadMinutes(hearth: Hearth): number {
  const v = Number(hearth.db.query<{ value: string }, []>("SELECT value FROM clinic_settings WHERE key = 'open_lead_min'").get()?.value);
  return Number.isInteger(v) && v >= 0 && v <= 120 ? v : DEFAULT_OPEN_LEAD_MIN;
}

export function setOpenLeadMinutes(hearth: Hearth, actorId: number, minutes: number): void {
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 120) throw new RecurrenceError("durationMin", "must be 0 to 120 minutes");
  hearth.db.query("INSERT INTO clinic_settings (key, value) VALUES ('open_lead_min', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(minutes));
  hearth.audit.append({ actor: `person:${actorId}`, action: "clinic.open_lead_set", subject: "clinic", ownerId: null, outcome: "ok" });
}

/** Groups that have a schedule running (the scheduler looks only at these). */
export function scheduledGroupIds(hearth: Hearth): number[] {
  return hearth.db.query<{ group_id: number }, []>("SELECT DISTINCT group_id FROM schedules WHERE archived_at IS NULL").all().map((r) => r.group_id);
}

export function createSchedule(hearth: Hearth, actorId: number | null, groupId: number, r: Recurrence): number {
  ruleOf(r); // throws RecurrenceError naming the field
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [number, string, string, number | null, number]>(
        "INSERT INTO schedules (group_id, recurrence, zone, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
      )
      .get(groupId, JSON.stringify(r), r.zone, actorId, hearth.now())!.id;
    hearth.audit.append({ actor: actorId === null ? "system" : `person:${actorId}`, action: "schedule.created", subject: `group:${groupId}`, ownerId: null, outcome: "ok" });
    return id;
  }).immediate();
}

/**
 * Changes a schedule's rule. Changes made to single occurrences stay with the occurrences that
 * still exist under the new rule (they are keyed by their wall-clock start).
 */
export function updateSchedule(hearth: Hearth, actorId: number, scheduleId: number, r: Recurrence): void {
  ruleOf(r);
  const s = scheduleById(hearth, scheduleId);
  if (!s) throw new RecurrenceError("startsOn", "this schedule does not exist");
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE schedules SET recurrence = ?, zone = ? WHERE id = ?").run(JSON.stringify(r), r.zone, scheduleId);
    hearth.audit.append({ actor: `person:${actorId}`, action: "schedule.changed", subject: `group:${s.groupId}`, ownerId: null, outcome: "ok" });
  }).immediate();
}

/** Ends a schedule: no more sessions from it (those already held stay in the record). */
export function archiveSchedule(hearth: Hearth, actorId: number, scheduleId: number): boolean {
  const s = scheduleById(hearth, scheduleId);
  if (!s) return false;
  hearth.db.query("UPDATE schedules SET archived_at = ? WHERE id = ?").run(hearth.now(), scheduleId);
  hearth.audit.append({ actor: `person:${actorId}`, action: "schedule.archived", subject: `group:${s.groupId}`, ownerId: null, outcome: "ok" });
  return true;
}

interface Row {
  id: number;
  group_id: number;
  recurrence: string;
  zone: string;
  created_at: number;
}
const toSchedule = (r: Row): Schedule => ({ id: r.id, groupId: r.group_id, recurrence: JSON.parse(r.recurrence), zone: r.zone, createdAt: r.created_at });

export function schedulesOf(hearth: Hearth, groupIds: number[]): Schedule[] {
  if (!groupIds.length) return [];
  return hearth.db
    .query<Row, number[]>(`SELECT id, group_id, recurrence, zone, created_at FROM schedules WHERE archived_at IS NULL AND group_id IN (${groupIds.map(() => "?").join(",")}) ORDER BY id`)
    .all(...groupIds)
    .map(toSchedule);
}

export function scheduleById(hearth: Hearth, id: number): Schedule | null {
  const r = hearth.db.query<Row, [number]>("SELECT id, group_id, recurrence, zone, created_at FROM schedules WHERE id = ? AND archived_at IS NULL").get(id);
  return r ? toSchedule(r) : null;
}

interface ChangeRow {
  schedule_id: number;
  wall: number;
  changed_at: number;
  cancelled: number;
  moved_to: number | null;
  facilitator_id: number | null;
}

/**
 * The planned sessions of these groups that start in [from, to) (after moves), cancelled ones
 * included and marked, in start order.
 */
export function plannedSessions(hearth: Hearth, groupIds: number[], from: number, to: number): PlannedSession[] {
  const out: PlannedSession[] = [];
  const changesQ = hearth.db.query<ChangeRow, [number]>("SELECT schedule_id, wall, cancelled, moved_to, facilitator_id, changed_at FROM schedule_changes WHERE schedule_id = ?");
  for (const s of schedulesOf(hearth, groupIds)) {
    const changes = new Map(changesQ.all(s.id).map((c) => [c.wall, c]));
    const durationMs = s.recurrence.durationMin * 60_000;
    // A move can bring an occurrence into the window from anywhere: widen by the moves.
    const seen = new Set<number>();
    const emit = (wall: number, startsAt: number) => {
      if (seen.has(wall)) return;
      seen.add(wall);
      const c = changes.get(wall);
      const at = c?.moved_to ?? startsAt;
      if (at < from || at >= to) return;
      out.push({ scheduleId: s.id, groupId: s.groupId, wall, startsAt: at, endsAt: at + durationMs, zone: s.zone, cancelled: c?.cancelled === 1, moved: c?.moved_to != null, facilitatorId: c?.facilitator_id ?? null, changedAt: c?.changed_at ?? null });
    };
    for (const o of occurrences(s.recurrence, from, to)) emit(o.wall, o.startsAt);
    const moved = [...changes.values()].filter((c) => c.moved_to !== null && c.moved_to >= from && c.moved_to < to);
    if (moved.length) for (const o of allOccurrences(s.recurrence)) if (changes.get(o.wall)?.moved_to != null) emit(o.wall, o.startsAt);
  }
  return out.sort((a, b) => a.startsAt - b.startsAt || a.scheduleId - b.scheduleId);
}

function change(hearth: Hearth, actorId: number, scheduleId: number, wall: number, set: { cancelled?: boolean; movedTo?: number | null; facilitatorId?: number | null }): void {
  const s = scheduleById(hearth, scheduleId);
  if (!s) throw new RecurrenceError("startsOn", "this schedule does not exist");
  if (!allOccurrences(s.recurrence).some((o) => o.wall === wall)) throw new RecurrenceError("startsOn", "this schedule has no session at that time");
  const now = hearth.now();
  hearth.db.transaction(() => {
    hearth.db.query("INSERT INTO schedule_changes (schedule_id, wall, changed_by, changed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING").run(scheduleId, wall, actorId, now);
    if (set.cancelled !== undefined) hearth.db.query("UPDATE schedule_changes SET cancelled = ? WHERE schedule_id = ? AND wall = ?").run(set.cancelled ? 1 : 0, scheduleId, wall);
    if (set.movedTo !== undefined) hearth.db.query("UPDATE schedule_changes SET moved_to = ? WHERE schedule_id = ? AND wall = ?").run(set.movedTo, scheduleId, wall);
    if (set.facilitatorId !== undefined) hearth.db.query("UPDATE schedule_changes SET facilitator_id = ? WHERE schedule_id = ? AND wall = ?").run(set.facilitatorId, scheduleId, wall);
    hearth.db.query("UPDATE schedule_changes SET changed_by = ?, changed_at = ? WHERE schedule_id = ? AND wall = ?").run(actorId, now, scheduleId, wall);
    hearth.audit.append({ actor: `person:${actorId}`, action: "schedule.occurrence_changed", subject: `group:${s.groupId}`, ownerId: null, outcome: "ok" });
  }).immediate();
}

export function cancelOccurrence(hearth: Hearth, actorId: number, scheduleId: number, wall: number, cancelled = true): void {
  change(hearth, actorId, scheduleId, wall, { cancelled });
}

export function moveOccurrence(hearth: Hearth, actorId: number, scheduleId: number, wall: number, startsAt: number): void {
  change(hearth, actorId, scheduleId, wall, { movedTo: startsAt });
}

export function refacilitateOccurrence(hearth: Hearth, actorId: number, scheduleId: number, wall: number, facilitatorId: number | null): void {
  change(hearth, actorId, scheduleId, wall, { facilitatorId });
}
