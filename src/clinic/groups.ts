import type { Db } from "../store/db.ts";

import type { GroupMembership } from "../identity/policy.ts";

/** How a person belongs to a group: a clinician leads its sessions, members and guests attend. */
export type GroupRole = "clinician" | "member" | "guest";

export function createGroup(db: Db, name: string, now: number): number {
  const row = db.query<{ id: number }, [string, number]>("INSERT INTO groups (name, created_at) VALUES (?, ?) RETURNING id").get(name, now);
  return row!.id;
}

/** Adds a person to a group, or brings back someone who had left it, in the given role. */
export function addToGroup(db: Db, groupId: number, personId: number, role: GroupRole, now: number): void {
  db.query(
    `INSERT INTO group_members (group_id, person_id, role, added_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (group_id, person_id) DO UPDATE SET role = excluded.role, left_at = NULL`,
  ).run(groupId, personId, role, now);
}

export function leaveGroup(db: Db, groupId: number, personId: number, now: number): void {
  db.query("UPDATE group_members SET left_at = ? WHERE group_id = ? AND person_id = ? AND left_at IS NULL").run(now, groupId, personId);
}

/** The clinic's answer to identity's policy: which groups a person is in now, and as what. */
export function groupMembership(db: Db): GroupMembership {
  const query = db.query<{ groupId: number; role: GroupRole }, [number]>(
    `SELECT m.group_id AS groupId, m.role FROM group_members m JOIN groups g ON g.id = m.group_id
     WHERE m.person_id = ? AND m.left_at IS NULL AND g.archived_at IS NULL`,
  );
  return { groupsOf: (personId) => query.all(personId) };
}
