import type { Hearth } from "../context.ts";
import { hashToken, newToken } from "./tokens.ts";
import type { Role } from "./policy.ts";

/**
 * Invitations: a 256-bit random link, stored hashed, single use, expiring, bound to a role and
 * optionally to a group. A re-invitation (someone lost every passkey) is bound to that person.
 */
export const INVITE_TTL_DAYS = 7;
const DAY = 24 * 60 * 60 * 1000;

export interface Invitation {
  id: number;
  role: Role;
  groupId: number | null;
  personId: number | null;
  createdBy: number;
  createdAt: number;
  expiresAt: number;
  accessDays: number | null;
  usedAt: number | null;
  usedBy: number | null;
  revokedAt: number | null;
}

export type InvitationState = "valid" | "used" | "expired" | "revoked" | "unknown";

interface Row {
  id: number;
  role: Role;
  group_id: number | null;
  person_id: number | null;
  created_by: number;
  created_at: number;
  expires_at: number;
  access_days: number | null;
  used_at: number | null;
  used_by: number | null;
  revoked_at: number | null;
}

const COLUMNS = "id, role, group_id, person_id, created_by, created_at, expires_at, access_days, used_at, used_by, revoked_at";

function toInvitation(r: Row): Invitation {
  return {
    id: r.id,
    role: r.role,
    groupId: r.group_id,
    personId: r.person_id,
    createdBy: r.created_by,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    accessDays: r.access_days,
    usedAt: r.used_at,
    usedBy: r.used_by,
    revokedAt: r.revoked_at,
  };
}

export function inviteUrl(hearth: Hearth, token: string): string {
  return `${hearth.config.publicUrl}/invite/${token}`;
}

export function createInvitation(
  hearth: Hearth,
  opts: { createdBy: number; role: Role; groupId?: number | null; personId?: number | null; ttlDays?: number; accessDays?: number | null },
): { id: number; token: string; url: string; expiresAt: number } {
  const token = newToken();
  const now = hearth.now();
  const expiresAt = now + (opts.ttlDays ?? INVITE_TTL_DAYS) * DAY;
  const id = hearth.db.transaction(() => {
    const res = hearth.db
      .query("INSERT INTO invitations (token_hash, role, group_id, person_id, created_by, created_at, expires_at, access_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(hashToken(token), opts.role, opts.groupId ?? null, opts.personId ?? null, opts.createdBy, now, expiresAt, opts.accessDays ?? null);
    const id = Number(res.lastInsertRowid);
    hearth.audit.append({
      actor: `person:${opts.createdBy}`,
      action: opts.personId ? "invitation.reissued" : "invitation.created",
      subject: `invitation:${id}`,
      ownerId: opts.personId ?? null,
      outcome: "ok",
    });
    return id;
  }).immediate();
  return { id, token, url: inviteUrl(hearth, token), expiresAt };
}

export function invitationByToken(hearth: Hearth, token: string): { state: InvitationState; invitation: Invitation | null } {
  const r = hearth.db.query<Row, [string]>(`SELECT ${COLUMNS} FROM invitations WHERE token_hash = ?`).get(hashToken(token));
  if (!r) return { state: "unknown", invitation: null };
  const inv = toInvitation(r);
  return { state: stateOf(inv, hearth.now()), invitation: inv };
}

export function invitationById(hearth: Hearth, id: number): Invitation | null {
  const r = hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM invitations WHERE id = ?`).get(id);
  return r ? toInvitation(r) : null;
}

export function stateOf(inv: Invitation, now: number): InvitationState {
  if (inv.revokedAt !== null) return "revoked";
  if (inv.usedAt !== null) return "used";
  if (inv.expiresAt <= now) return "expired";
  return "valid";
}

/** Marks it used by this person; false if it stopped being valid meanwhile (used twice, raced, revoked, expired). */
export function consumeInvitation(hearth: Hearth, id: number, personId: number): boolean {
  const now = hearth.now();
  return (
    hearth.db
      .query("UPDATE invitations SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?")
      .run(now, personId, id, now).changes === 1
  );
}

export function revokeInvitation(hearth: Hearth, id: number, by: number): boolean {
  const inv = invitationById(hearth, id);
  if (!inv || stateOf(inv, hearth.now()) !== "valid") return false;
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE invitations SET revoked_at = ? WHERE id = ?").run(hearth.now(), id);
    hearth.audit.append({ actor: `person:${by}`, action: "invitation.revoked", subject: `invitation:${id}`, ownerId: inv.personId, outcome: "ok" });
  }).immediate();
  return true;
}

/** Revokes the still-open re-invitations of one person (a new one replaces them). */
export function revokeOpenReinvitations(hearth: Hearth, personId: number): void {
  hearth.db.query("UPDATE invitations SET revoked_at = ? WHERE person_id = ? AND used_at IS NULL AND revoked_at IS NULL").run(hearth.now(), personId);
}

/** Invitations a viewer may see: an admin sees all, others those they created. Newest first. */
export function listInvitations(hearth: Hearth, viewer: { id: number; role: Role }, limit = 100): Invitation[] {
  const rows =
    viewer.role === "admin"
      ? hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM invitations ORDER BY id DESC LIMIT ?`).all(limit)
      : hearth.db.query<Row, [number, number]>(`SELECT ${COLUMNS} FROM invitations WHERE created_by = ? ORDER BY id DESC LIMIT ?`).all(viewer.id, limit);
  return rows.map(toInvitation);
}

type AcceptedListener = (invitation: Invitation, personId: number) => void | Promise<void>;
const acceptedListeners = new WeakMap<Hearth, AcceptedListener[]>();

/**
 * Lets another capability act when someone accepts an invitation, e.g. the clinic adding a new
 * patient to the group their invitation named.
 */
export function onInvitationAccepted(hearth: Hearth, fn: AcceptedListener): void {
  acceptedListeners.set(hearth, [...(acceptedListeners.get(hearth) ?? []), fn]);
}

export async function notifyAccepted(hearth: Hearth, invitation: Invitation, personId: number): Promise<void> {
  for (const fn of acceptedListeners.get(hearth) ?? []) await fn(invitation, personId);
}
