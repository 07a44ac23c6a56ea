import type { Db } from "../../store/db.ts";
import { visitsOf } from "../../rooms/attendance.ts";

/**
 * Attendance as the record reads it, from the rooms' visits (migration 0030): a member was
 * present at a session if they were admitted to its room at least once; their time there is the
 * sum of their admitted visits.
 */
export interface HeldSession {
  id: number;
  openedAt: number;
  closedAt: number | null;
}

/** The group's sessions that took place (were opened), oldest first. */
export function heldSessions(db: Db, groupId: number): HeldSession[] {
  return db
    .query<HeldSession, [number]>(
      "SELECT id, opened_at AS openedAt, closed_at AS closedAt FROM group_sessions WHERE group_id = ? AND opened_at IS NOT NULL ORDER BY opened_at, id",
    )
    .all(groupId);
}

/** Which of these sessions this person was admitted to. */
export function presence(db: Db, sessions: readonly HeldSession[], personId: number): { at: number; sessionId: number; present: boolean }[] {
  if (!sessions.length) return [];
  const attended = new Set(
    db
      .query<{ s: number }, [number, number, number]>(
        "SELECT DISTINCT session_id AS s FROM attendance WHERE person_id = ? AND admitted_at IS NOT NULL AND session_id BETWEEN ? AND ?",
      )
      .all(personId, Math.min(...sessions.map((s) => s.id)), Math.max(...sessions.map((s) => s.id)))
      .map((r) => r.s),
  );
  return sessions.map((s) => ({ at: s.openedAt, sessionId: s.id, present: attended.has(s.id) }));
}

export interface Presence {
  personId: number;
  from: number;
  to: number;
  minutes: number;
}

/** Who was in one session's room, and for how long (visits still open count up to `now`). */
export function sessionPresence(db: Db, sessionId: number, now: number): Map<number, Presence> {
  const out = new Map<number, Presence>();
  for (const v of visitsOf(db, sessionId)) {
    if (v.admittedAt === null) continue;
    const end = v.leftAt ?? now;
    const p = out.get(v.personId) ?? { personId: v.personId, from: v.admittedAt, to: end, minutes: 0 };
    p.from = Math.min(p.from, v.admittedAt);
    p.to = Math.max(p.to, end);
    p.minutes += Math.max(0, Math.round((end - v.admittedAt) / 60_000));
    out.set(v.personId, p);
  }
  return out;
}
