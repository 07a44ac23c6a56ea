import type { Hearth } from "../context.ts";
import type { DocumentDecoration } from "elysia";

/**
 * Every permission decision lives here. Routes declare a RoutePolicy (see `policy()`), the guard
 * enforces it before a handler runs, and the authorization matrix test reads the same
 * declarations from the app's route table. Capabilities call the item checks below
 * (mayReadItem, isCarerOf, groupRoleOf) instead of writing their own.
 */
export const ROLES = ["admin", "clinician", "patient", "guest"] as const;
export type Role = (typeof ROLES)[number];

export const STAFF: readonly Role[] = ["admin", "clinician"];
export const EVERYONE: readonly Role[] = ROLES;

/** Who may invite whom: the admin brings in staff, clinicians bring in patients and guests. */
export const MAY_INVITE: Record<Role, readonly Role[]> = {
  admin: ["admin", "clinician"],
  clinician: ["patient", "guest"],
  patient: [],
  guest: [],
};

/** How a person is related to the one a route acts on. */
export type PersonRelation = "self" | "carer" | "admin";

/** A route that acts on one item names where its id comes from and who may touch it. */
export type ItemRule =
  /** A person (path param): allowed when the actor has one of these relations to them. */
  | { kind: "person"; param: string; relations: readonly PersonRelation[] }
  /** One of the actor's own passkeys. */
  | { kind: "passkey"; param: string }
  /** An invitation: its creator, or an admin. */
  | { kind: "invitation"; param: string }
  /** A group named in the form body (optional there): the actor must be one of its clinicians, or an admin. */
  | { kind: "group"; field: string }
  /** A group named in the path (required): the actor must be one of its clinicians, or an admin. */
  | { kind: "group"; param: string }
  /**
   * Something of a group, named in the path (`of` says what: "group" itself, "material", ...):
   * the actor must have one of `parts` in that group (any part when omitted). Admins are not in groups.
   */
  | { kind: "groupItem"; param: string; of: string; parts?: readonly GroupRole[] }
  /**
   * An item whose readers its capability decides (`of` says which: "library", ...), through the
   * check it registered with provideItemAccess: a library item is for every clinician and for the
   * patients it is recommended to, themselves or through their group.
   */
  | { kind: "item"; param: string; of: string };

export interface RoutePolicy {
  /** "public": anyone, signed in or not. Otherwise the roles that may call the route at all. */
  allow: "public" | readonly Role[];
  item?: ItemRule;
  /** Needs a passkey assertion with user verification in the last FRESH_MS. */
  fresh?: boolean;
}

export const FRESH_MS = 5 * 60 * 1000;

const KEY = "x-hearth-policy";

/** Route option `detail: policy({...})`: the declaration the guard and the matrix test read. */
export function policy(p: RoutePolicy): DocumentDecoration {
  return { [KEY]: p } as DocumentDecoration;
}

export function policyFromDetail(detail: unknown): RoutePolicy | undefined {
  return detail && typeof detail === "object" ? ((detail as Record<string, unknown>)[KEY] as RoutePolicy | undefined) : undefined;
}

export function allows(p: RoutePolicy, role: Role | null): boolean {
  if (p.allow === "public") return true;
  return role !== null && p.allow.includes(role);
}

// ---- Groups: the clinic capability owns them and plugs its membership in here. ----

export type GroupRole = "clinician" | "member" | "guest";

export interface GroupMembership {
  /** The groups a person belongs to, with their part in each. */
  groupsOf(personId: number): readonly { groupId: number; role: GroupRole }[];
}

const NO_GROUPS: GroupMembership = { groupsOf: () => [] };
const memberships = new WeakMap<Hearth, GroupMembership>();

/** Called once by the clinic capability at start; until then nobody is in any group. */
export function provideGroupMembership(hearth: Hearth, membership: GroupMembership): void {
  memberships.set(hearth, membership);
}

export function groupRoleOf(hearth: Hearth, personId: number, groupId: number): GroupRole | null {
  const m = memberships.get(hearth) ?? NO_GROUPS;
  return m.groupsOf(personId).find((g) => g.groupId === groupId)?.role ?? null;
}

const itemGroups = new WeakMap<Hearth, Map<string, (id: number) => number | null>>();

/** A capability says which group each of its items belongs to (for `groupItem` rules). */
export function provideItemGroup(hearth: Hearth, of: string, groupOf: (id: number) => number | null): void {
  let m = itemGroups.get(hearth);
  if (!m) itemGroups.set(hearth, (m = new Map()));
  m.set(of, groupOf);
}

/** The group an item belongs to, or null when there is no such item. */
export function groupOfItem(hearth: Hearth, of: string, id: number): number | null {
  return itemGroups.get(hearth)?.get(of)?.(id) ?? null;
}

export type ItemAccess = "ok" | "refused" | "missing";
const itemChecks = new WeakMap<Hearth, Map<string, (viewer: { id: number; role: Role }, id: number) => ItemAccess>>();

/** A capability says who may reach each of its items (for `item` rules). */
export function provideItemAccess(hearth: Hearth, of: string, check: (viewer: { id: number; role: Role }, id: number) => ItemAccess): void {
  let m = itemChecks.get(hearth);
  if (!m) itemChecks.set(hearth, (m = new Map()));
  m.set(of, check);
}

/** May this viewer reach this item? "missing" when there is no such item, or nobody answers for its kind. */
export function itemAccessOf(hearth: Hearth, of: string, viewer: { id: number; role: Role }, id: number): ItemAccess {
  return itemChecks.get(hearth)?.get(of)?.(viewer, id) ?? "missing";
}

interface PersonRow {
  id: number;
  role: Role;
  invited_by: number | null;
}

function personRow(hearth: Hearth, id: number): PersonRow | null {
  return hearth.db.query<PersonRow, [number]>("SELECT id, role, invited_by FROM people WHERE id = ?").get(id);
}

/**
 * A clinician cares for a patient or guest they invited, or one who is a member or guest of a
 * group where they are a clinician.
 */
export function isCarerOf(hearth: Hearth, clinicianId: number, personId: number): boolean {
  const person = personRow(hearth, personId);
  if (!person || (person.role !== "patient" && person.role !== "guest")) return false;
  if (person.invited_by === clinicianId) return true;
  const m = memberships.get(hearth) ?? NO_GROUPS;
  const theirs = new Set(m.groupsOf(personId).filter((g) => g.role !== "clinician").map((g) => g.groupId));
  return m.groupsOf(clinicianId).some((g) => g.role === "clinician" && theirs.has(g.groupId));
}

export function relationTo(hearth: Hearth, actor: { id: number; role: Role }, personId: number): PersonRelation[] {
  const out: PersonRelation[] = [];
  if (actor.id === personId) out.push("self");
  if (actor.role === "clinician" && isCarerOf(hearth, actor.id, personId)) out.push("carer");
  if (actor.role === "admin" && personRow(hearth, personId)) out.push("admin");
  return out;
}

// ---- Items and shares (journals, sessions, readings... in later capabilities). ----

export interface Item {
  kind: string;
  id: number;
  /** The patient whose data this is, if any. */
  ownerId?: number | null;
  /** The group it belongs to, if any. */
  groupId?: number | null;
}

/** Gives one person access to one item beyond their role and groups (e.g. a guest to a session). */
export function shareItem(hearth: Hearth, item: Item, personId: number, grantedBy: number, expiresAt: number | null = null): void {
  hearth.db
    .query(
      `INSERT INTO shares (item_kind, item_id, person_id, granted_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (item_kind, item_id, person_id) DO UPDATE SET granted_by = excluded.granted_by, expires_at = excluded.expires_at`,
    )
    .run(item.kind, item.id, personId, grantedBy, hearth.now(), expiresAt);
}

export function unshareItem(hearth: Hearth, item: Item, personId: number): void {
  hearth.db.query("DELETE FROM shares WHERE item_kind = ? AND item_id = ? AND person_id = ?").run(item.kind, item.id, personId);
}

export function isSharedWith(hearth: Hearth, item: Item, personId: number): boolean {
  return (
    hearth.db
      .query("SELECT 1 FROM shares WHERE item_kind = ? AND item_id = ? AND person_id = ? AND (expires_at IS NULL OR expires_at > ?)")
      .get(item.kind, item.id, personId, hearth.now()) !== null
  );
}

/**
 * May this person see this item? Its owner, a clinician caring for the owner or running its group,
 * a member of its group (group items without an owner), or someone it was shared with. Admins
 * see no clinical content through their role: only through an explicit share.
 */
export function mayReadItem(hearth: Hearth, actor: { id: number; role: Role }, item: Item): boolean {
  if (isSharedWith(hearth, item, actor.id)) return true;
  if (actor.role === "admin" || actor.role === "guest") return false;
  if (item.ownerId != null) {
    if (item.ownerId === actor.id) return true;
    if (actor.role === "clinician" && isCarerOf(hearth, actor.id, item.ownerId)) return true;
  }
  if (item.groupId != null) {
    const part = groupRoleOf(hearth, actor.id, item.groupId);
    if (part === "clinician") return true;
    if (part === "member" && item.ownerId == null) return true;
  }
  return false;
}
