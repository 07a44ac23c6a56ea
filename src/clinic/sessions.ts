import type { Hearth } from "../context.ts";
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

/** The open (live) session of a group, if there is one. */
export function liveSessionOf(db: Db, groupId: number): GroupSession | null {
  return (
    db
      .query<GroupSession, [number]>(
        `SELECT id, group_id AS groupId, scheduled_for AS scheduledFor, opened_at AS openedAt,
                opened_by AS openedBy, closed_at AS closedAt
         FROM group_sessions WHERE group_id = ? AND opened_at IS NOT NULL AND closed_at IS NULL ORDER BY opened_at DESC, id DESC LIMIT 1`,
      )
      .get(groupId) ?? null
  );
}

/**
 * Opens a session of a group now, held on the spot (no schedule), audited. A group has one
 * open session at a time: if one is open already, that one is returned and nothing changes.
 */
export function openSessionNow(hearth: Hearth, groupId: number, by: number): { id: number; opened: boolean } {
  return hearth.db.transaction(() => {
    const live = liveSessionOf(hearth.db, groupId);
    if (live) return { id: live.id, opened: false };
    const id = createSession(hearth.db, groupId);
    openSession(hearth.db, id, by, hearth.now());
    hearth.audit.append({ actor: `person:${by}`, action: "group_session.opened", subject: `group_session:${id}`, outcome: "ok" });
    return { id, opened: true };
  }).immediate();
}

/** What the clinic needs from the live rooms: to end one for everyone in it. */
export interface LiveRooms {
  /** Ends the room of this session if one is running (everyone in it is told and let go). */
  end(sessionId: number): void;
}

/**
 * Ends an open session for good, audited: its room (if anyone is in it) is ended by the room
 * service, which closes the session; a session nobody entered is closed here. False if it was
 * not open.
 */
export function endSessionNow(hearth: Hearth, rooms: LiveRooms, sessionId: number, by: number): boolean {
  const before = findSession(hearth.db, sessionId);
  if (!before || sessionState(before) !== "live") return false;
  rooms.end(sessionId);
  closeSession(hearth.db, sessionId, hearth.now());
  hearth.audit.append({ actor: `person:${by}`, action: "group_session.closed", subject: `group_session:${sessionId}`, outcome: "ok" });
  return true;
}
