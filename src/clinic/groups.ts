import type { Hearth } from "../context.ts";
import type { Db } from "../store/db.ts";
import type { GroupMembership } from "../identity/policy.ts";
import { log } from "../log.ts";

/**
 * Groups and who belongs to them. A group's name and description are sealed (they can say what
 * the group treats); membership is ids and times. Functions that open or change group data take
 * the actor and append an audit row (ids only); the plain db helpers below them do not, and are
 * for callers that audit on their own (and for test fixtures).
 */

/** How a person belongs to a group: a clinician leads its sessions, members and guests attend. */
export type GroupRole = "clinician" | "member" | "guest";

export const NAME_MAX = 80;
export const DESCRIPTION_MAX = 1000;

export interface Group {
  id: number;
  name: string;
  description: string;
  createdAt: number;
}

export interface GroupMember {
  personId: number;
  role: GroupRole;
  addedAt: number;
}

interface GroupRow {
  id: number;
  name: string;
  sealed_name: Uint8Array | null;
  description: Uint8Array | null;
  created_at: number;
}

const GROUP_COLUMNS = "id, name, sealed_name, description, created_at";

function audit(hearth: Hearth, actorId: number | null, action: string, subject: string, ownerId: number | null = null): void {
  hearth.audit.append({ actor: actorId === null ? "system" : `person:${actorId}`, action, subject, ownerId, outcome: "ok" });
}

async function openRow(hearth: Hearth, r: GroupRow): Promise<Group> {
  // A group from before 0021 that is not sealed yet still has its plain name (sealLegacyNames).
  const name = r.sealed_name ? await hearth.vault.openText(r.sealed_name) : r.name;
  const description = r.description ? await hearth.vault.openText(r.description) : "";
  return { id: r.id, name, description, createdAt: r.created_at };
}

/**
 * Creates a group with a sealed name and description; its creator (if any) leads it. Test
 * fixtures pass createdBy null and add people themselves.
 */
export async function createGroup(hearth: Hearth, g: { name: string; description?: string; createdBy: number | null }): Promise<number> {
  const sealedName = await hearth.vault.seal(g.name);
  const sealedDescription = g.description ? await hearth.vault.seal(g.description) : null;
  const now = hearth.now();
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [Uint8Array, Uint8Array | null, number | null, number]>(
        "INSERT INTO groups (name, sealed_name, description, created_by, created_at) VALUES ('', ?, ?, ?, ?) RETURNING id",
      )
      .get(sealedName, sealedDescription, g.createdBy, now)!.id;
    audit(hearth, g.createdBy, "group.created", `group:${id}`);
    if (g.createdBy !== null) {
      addToGroup(hearth.db, id, g.createdBy, "clinician", now);
      audit(hearth, g.createdBy, "group.member_added", `group:${id}`);
    }
    return id;
  }).immediate();
}

/** One group's name and description, opened for this actor (audited). Null if there is none. */
export async function readGroup(hearth: Hearth, actorId: number, groupId: number): Promise<Group | null> {
  const row = hearth.db.query<GroupRow, [number]>(`SELECT ${GROUP_COLUMNS} FROM groups WHERE id = ? AND archived_at IS NULL`).get(groupId);
  if (!row) return null;
  const group = await openRow(hearth, row);
  audit(hearth, actorId, "group.read", `group:${groupId}`);
  return group;
}

/** The groups where this person has one of these parts, opened for them (each audited), by name. */
export async function readGroupsOf(hearth: Hearth, personId: number, parts: readonly GroupRole[]): Promise<(Group & { role: GroupRole })[]> {
  const rows = hearth.db
    .query<GroupRow & { role: GroupRole }, [number]>(
      `SELECT g.id, g.name, g.sealed_name, g.description, g.created_at, m.role FROM groups g JOIN group_members m ON m.group_id = g.id
       WHERE m.person_id = ? AND m.left_at IS NULL AND g.archived_at IS NULL ORDER BY g.id`,
    )
    .all(personId)
    .filter((r) => parts.includes(r.role));
  const out: (Group & { role: GroupRole })[] = [];
  for (const r of rows) {
    out.push({ ...(await openRow(hearth, r)), role: r.role });
    audit(hearth, personId, "group.read", `group:${r.id}`);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Ids only (no sealed data): the groups where this person has one of these parts. */
export function groupIdsOf(db: Db, personId: number, parts: readonly GroupRole[]): number[] {
  return db
    .query<{ id: number; role: GroupRole }, [number]>(
      `SELECT g.id, m.role FROM groups g JOIN group_members m ON m.group_id = g.id
       WHERE m.person_id = ? AND m.left_at IS NULL AND g.archived_at IS NULL ORDER BY g.id`,
    )
    .all(personId)
    .filter((r) => parts.includes(r.role))
    .map((r) => r.id);
}

/** Who belongs to a group now: clinicians first, then by when they joined. */
export function membersOf(db: Db, groupId: number): GroupMember[] {
  return db
    .query<GroupMember, [number]>(
      `SELECT person_id AS personId, role, added_at AS addedAt FROM group_members WHERE group_id = ? AND left_at IS NULL
       ORDER BY CASE role WHEN 'clinician' THEN 0 ELSE 1 END, added_at, person_id`,
    )
    .all(groupId);
}

export function partIn(db: Db, groupId: number, personId: number): GroupRole | null {
  return (
    db.query<{ role: GroupRole }, [number, number]>("SELECT role FROM group_members WHERE group_id = ? AND person_id = ? AND left_at IS NULL").get(groupId, personId)
      ?.role ?? null
  );
}

/** Adds someone to a group in this part, audited; the owner of the row is the person added. */
export function addMember(hearth: Hearth, actorId: number | null, groupId: number, personId: number, role: GroupRole): void {
  hearth.db.transaction(() => {
    addToGroup(hearth.db, groupId, personId, role, hearth.now());
    audit(hearth, actorId, role === "clinician" ? "group.clinician_added" : "group.member_added", `group:${groupId}`, role === "clinician" ? null : personId);
  }).immediate();
}

/** Takes someone out of a group, audited. False if they were not in it. */
export function removeMember(hearth: Hearth, actorId: number, groupId: number, personId: number): boolean {
  return hearth.db.transaction(() => {
    const part = partIn(hearth.db, groupId, personId);
    if (!part) return false;
    leaveGroup(hearth.db, groupId, personId, hearth.now());
    audit(hearth, actorId, "group.member_removed", `group:${groupId}`, part === "clinician" ? null : personId);
    return true;
  }).immediate();
}

/** Adds a person to a group, or brings back someone who had left it, in the given role. */
export function addToGroup(db: Db, groupId: number, personId: number, role: GroupRole, now: number): void {
  db.query(
    `INSERT INTO group_members (group_id, person_id, role, added_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (group_id, person_id) DO UPDATE SET role = excluded.role, added_at = excluded.added_at, left_at = NULL`,
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

/**
 * Seals the names of groups made before names were sealed (0021), and blanks the plain copy.
 * Each row is sealed and blanked in one statement, so a crash leaves it either plain or sealed.
 */
export async function sealLegacyNames(hearth: Hearth): Promise<number> {
  if (!hearth.vault.unlocked) return 0;
  const rows = hearth.db.query<{ id: number; name: string }, []>("SELECT id, name FROM groups WHERE sealed_name IS NULL").all();
  let sealed = 0;
  for (const r of rows) {
    const value = await hearth.vault.seal(r.name);
    const changed = hearth.db.transaction(() => {
      const done = hearth.db.query("UPDATE groups SET sealed_name = ?, name = '' WHERE id = ? AND sealed_name IS NULL").run(value, r.id).changes === 1;
      if (done) audit(hearth, null, "group.name_sealed", `group:${r.id}`);
      return done;
    }).immediate();
    if (changed) sealed++;
  }
  if (sealed) {
    // Freed pages (and the WAL) would still hold the plain names: rewrite the file, as key rotation does.
    hearth.db.exec("VACUUM");
    hearth.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    log.info("group names sealed", { groups: sealed });
  }
  return sealed;
}
