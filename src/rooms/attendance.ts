import type { Db } from "../store/db.ts";

/** How a visit to a session's room ended (see migration 0030). */
export type VisitOutcome = "left" | "declined" | "removed" | "sent-back" | "ended" | "dropped";

/**
 * How often this process writes down that the visits it holds open are still open. A crash loses
 * at most this much of anyone's presence (attendance is within a minute, as billing needs).
 */
export const HEARTBEAT_MS = 30_000;

/** Starts a visit: the person knocked (members) or walked in (clinicians). Returns its id. */
export function startVisit(db: Db, sessionId: number, personId: number, now: number): number {
  return db
    .query<{ id: number }, [number, number, number, number]>(
      "INSERT INTO attendance (session_id, person_id, knocked_at, seen_at) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .get(sessionId, personId, now, now)!.id;
}

export function markAdmitted(db: Db, visitId: number, by: number, now: number): void {
  db.query("UPDATE attendance SET admitted_at = ?, admitted_by = ?, seen_at = ? WHERE id = ? AND admitted_at IS NULL").run(now, by, now, visitId);
}

/** The member's connection dropped; the room keeps their place for a while. */
export function markAway(db: Db, visitId: number, now: number): void {
  db.query("UPDATE attendance SET away_since = ? WHERE id = ? AND left_at IS NULL AND away_since IS NULL").run(now, visitId);
}

/** Back within the grace period: a blip in the connection, not an absence. */
export function markBack(db: Db, visitId: number): void {
  db.query("UPDATE attendance SET away_since = NULL WHERE id = ? AND left_at IS NULL").run(visitId);
}

/**
 * Ends a visit. A member who dropped out and never came back left when their connection did, not
 * when the room stopped keeping their place.
 */
export function endVisit(db: Db, visitId: number, outcome: VisitOutcome, now: number): void {
  db.query("UPDATE attendance SET left_at = MIN(?, COALESCE(away_since, ?)), outcome = ? WHERE id = ? AND left_at IS NULL").run(now, now, outcome, visitId);
}

/** Every visit this process holds open is still open now (see HEARTBEAT_MS). */
export function heartbeat(db: Db, now: number): void {
  db.query("UPDATE attendance SET seen_at = ? WHERE left_at IS NULL").run(now);
}

/**
 * At start-up, before any room exists: visits still open were cut off by a crash (of the
 * process or the machine). Each ends as dropped at the last moment it is known to have been
 * open: when the connection dropped, or else the last heartbeat (never before admission).
 */
export function closeInterruptedVisits(db: Db): number {
  return db
    .query(
      `UPDATE attendance SET outcome = 'dropped',
         left_at = COALESCE(away_since, MAX(COALESCE(seen_at, knocked_at), COALESCE(admitted_at, knocked_at)))
       WHERE left_at IS NULL`,
    )
    .run().changes;
}

/**
 * Writes the heartbeat while rooms run. One per process: RoomService owns it, since this process
 * holds every open visit.
 */
export function startHeartbeat(db: Db, now: () => number, everyMs = HEARTBEAT_MS): () => void {
  const timer = setInterval(() => heartbeat(db, now()), everyMs);
  return () => clearInterval(timer);
}

export interface Visit {
  personId: number;
  knockedAt: number;
  admittedAt: number | null;
  leftAt: number | null;
  outcome: VisitOutcome | null;
}

export function visitsOf(db: Db, sessionId: number): Visit[] {
  return db
    .query<Visit, [number]>(
      `SELECT person_id AS personId, knocked_at AS knockedAt, admitted_at AS admittedAt, left_at AS leftAt, outcome
       FROM attendance WHERE session_id = ? ORDER BY id`,
    )
    .all(sessionId);
}

/** One person's attendance at one session: what the session page, the group page and the CSV show. */
export interface Presence {
  personId: number;
  /** First admitted; null if they only ever waited. */
  firstAdmittedAt: number | null;
  /** Last left; null while they are in the room now. */
  lastLeftAt: number | null;
  /** Whole minutes inside the room (admitted), overlapping visits counted once. */
  minutes: number;
  /** Milliseconds, for sums and tests. */
  presentMs: number;
  visits: number;
  /** How the last visit ended (null while in). */
  lastOutcome: VisitOutcome | null;
}

/**
 * Minutes present: the union of each person's admitted intervals. A visit still open counts up to
 * `now` (it is open in this process: start-up closed the others).
 */
export function presenceOf(visits: Visit[], now: number): Presence[] {
  const byPerson = new Map<number, Visit[]>();
  for (const v of visits) {
    const list = byPerson.get(v.personId) ?? [];
    list.push(v);
    byPerson.set(v.personId, list);
  }
  const out: Presence[] = [];
  for (const [personId, list] of byPerson) {
    const intervals = list
      .filter((v) => v.admittedAt !== null)
      .map((v) => [v.admittedAt!, Math.max(v.admittedAt!, v.leftAt ?? now)] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    let presentMs = 0;
    let cur: [number, number] | null = null;
    for (const iv of intervals) {
      if (cur && iv[0] <= cur[1]) cur[1] = Math.max(cur[1], iv[1]);
      else {
        if (cur) presentMs += cur[1] - cur[0];
        cur = [...iv];
      }
    }
    if (cur) presentMs += cur[1] - cur[0];
    const last = list[list.length - 1]!;
    const open = list.some((v) => v.leftAt === null);
    out.push({
      personId,
      firstAdmittedAt: intervals[0]?.[0] ?? null,
      lastLeftAt: open ? null : Math.max(...list.map((v) => v.leftAt!)),
      minutes: Math.round(presentMs / 60_000),
      presentMs,
      visits: list.length,
      lastOutcome: open ? null : last.outcome,
    });
  }
  return out;
}

/** The sessions of a group that were held (opened), newest first, with their times. */
export function heldSessionsOf(db: Db, groupId: number, limit: number): { id: number; openedAt: number; closedAt: number | null }[] {
  return db
    .query<{ id: number; openedAt: number; closedAt: number | null }, [number, number]>(
      `SELECT id, opened_at AS openedAt, closed_at AS closedAt FROM group_sessions
       WHERE group_id = ? AND opened_at IS NOT NULL ORDER BY opened_at DESC, id DESC LIMIT ?`,
    )
    .all(groupId, limit);
}
