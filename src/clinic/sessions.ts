import type { Db } from "../store/db.ts";

/** One meeting of a group; live between openedAt and closedAt. */
export interface GroupSession {
  id: number;
  groupId: number;
  scheduledFor: number | null;
  openedAt: number | null;
  openedBy: number | null;
  closedAt: number | null;
}

export type SessionState = "planned" | "live" | "closed";

export function sessionState(s: GroupSession): SessionState {
  if (s.closedAt !== null) return "closed";
  return s.openedAt === null ? "planned" : "live";
}

/** Plans a session of a group; scheduledFor is null for a session held on the spot. */
export function createSession(db: Db, groupId: number, scheduledFor: number | null = null): number {
  const row = db
    .query<{ id: number }, [number, number | null]>("INSERT INTO group_sessions (group_id, scheduled_for) VALUES (?, ?) RETURNING id")
    .get(groupId, scheduledFor);
  return row!.id;
}

export function findSession(db: Db, id: number): GroupSession | null {
  return (
    db
      .query<GroupSession, [number]>(
        `SELECT id, group_id AS groupId, scheduled_for AS scheduledFor, opened_at AS openedAt,
                opened_by AS openedBy, closed_at AS closedAt
         FROM group_sessions WHERE id = ?`,
      )
      .get(id) ?? null
  );
}

/** Marks a planned session live; returns false if it was already opened (or closed). */
export function openSession(db: Db, id: number, by: number, now: number): boolean {
  return db.query("UPDATE group_sessions SET opened_at = ?, opened_by = ? WHERE id = ? AND opened_at IS NULL").run(now, by, id).changes === 1;
}

/** Ends a live session for good; returns false if it was not live. */
export function closeSession(db: Db, id: number, now: number): boolean {
  return db.query("UPDATE group_sessions SET closed_at = ? WHERE id = ? AND opened_at IS NOT NULL AND closed_at IS NULL").run(now, id).changes === 1;
}
