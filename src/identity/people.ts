import { randomBytes } from "node:crypto";
import type { Hearth } from "../context.ts";
import { isLocale, type Locale } from "../ui/i18n.ts";
import type { Role } from "./policy.ts";

/**
 * People and what they tell Hearth about themselves. Role, status and the WebAuthn handle are
 * plain (sign-in needs them while the vault is locked); the profile and contacts are sealed, and
 * every read or write of them is audited by id.
 */
export interface Person {
  id: number;
  role: Role;
  status: "active" | "disabled";
  invitedBy: number | null;
  accessEndsAt: number | null;
  webauthnHandle: string;
  createdAt: number;
}

export interface Profile {
  displayName: string;
  pronouns: string;
  language: Locale | "";
}

export interface Contacts {
  reminderContact: string;
  emergencyContact: string;
  usualLocation: string;
}

const CONTACT_COLUMNS = { reminderContact: "reminder_contact", emergencyContact: "emergency_contact", usualLocation: "usual_location" } as const;

interface Row {
  id: number;
  role: Role;
  status: "active" | "disabled";
  invited_by: number | null;
  access_ends_at: number | null;
  webauthn_handle: string | null;
  created_at: number;
}

function toPerson(r: Row): Person {
  return {
    id: r.id,
    role: r.role,
    status: r.status,
    invitedBy: r.invited_by,
    accessEndsAt: r.access_ends_at,
    webauthnHandle: r.webauthn_handle ?? "",
    createdAt: r.created_at,
  };
}

export function getPerson(hearth: Hearth, id: number): Person | null {
  const r = hearth.db.query<Row, [number]>("SELECT id, role, status, invited_by, access_ends_at, webauthn_handle, created_at FROM people WHERE id = ?").get(id);
  return r ? toPerson(r) : null;
}

export function personByHandle(hearth: Hearth, handle: string): Person | null {
  const r = hearth.db
    .query<Row, [string]>("SELECT id, role, status, invited_by, access_ends_at, webauthn_handle, created_at FROM people WHERE webauthn_handle = ?")
    .get(handle);
  return r ? toPerson(r) : null;
}

/** A person who may sign in now: active, and (for guests) before their access ends. */
export function canSignIn(hearth: Hearth, p: Person): boolean {
  return p.status === "active" && (p.accessEndsAt === null || p.accessEndsAt > hearth.now());
}

export function newWebauthnHandle(): string {
  return randomBytes(32).toString("base64url");
}

export async function sealProfile(hearth: Hearth, profile: Profile): Promise<Uint8Array> {
  return hearth.vault.sealJson(profile);
}

/** Creates a person; the caller runs this inside the transaction that also stores their passkey. */
export function insertPerson(
  hearth: Hearth,
  p: { role: Role; sealedProfile: Uint8Array; webauthnHandle: string; invitedBy: number | null; accessEndsAt: number | null },
): number {
  const res = hearth.db
    .query("INSERT INTO people (role, status, profile, created_at, webauthn_handle, invited_by, access_ends_at) VALUES (?, 'active', ?, ?, ?, ?, ?)")
    .run(p.role, p.sealedProfile, hearth.now(), p.webauthnHandle, p.invitedBy, p.accessEndsAt);
  return Number(res.lastInsertRowid);
}

const nameCache = new WeakMap<Hearth, Map<number, string>>();

function cacheOf(hearth: Hearth): Map<number, string> {
  let c = nameCache.get(hearth);
  if (!c) nameCache.set(hearth, (c = new Map()));
  return c;
}

function normaliseProfile(raw: Partial<Profile>): Profile {
  return {
    displayName: typeof raw.displayName === "string" ? raw.displayName : "",
    pronouns: typeof raw.pronouns === "string" ? raw.pronouns : "",
    language: isLocale(raw.language) ? raw.language : "",
  };
}

async function openProfile(hearth: Hearth, id: number): Promise<Profile | null> {
  const row = hearth.db.query<{ profile: Uint8Array }, [number]>("SELECT profile FROM people WHERE id = ?").get(id);
  if (!row) return null;
  return normaliseProfile(await hearth.vault.openJson<Partial<Profile>>(row.profile));
}

/**
 * A display name for headers and lists, or null while the vault is locked. Not audited here:
 * callers that show a patient's or guest's name to someone else audit that (see auditNameShown).
 */
export async function displayName(hearth: Hearth, id: number): Promise<string | null> {
  const cache = cacheOf(hearth);
  const hit = cache.get(id);
  if (hit !== undefined) return hit;
  if (!hearth.vault.unlocked) return null;
  const profile = await openProfile(hearth, id);
  if (!profile) return null;
  if (cache.size > 5000) cache.clear();
  cache.set(id, profile.displayName);
  return profile.displayName;
}

/** Records that a patient's or guest's name was shown to someone else (being in care is itself sensitive). */
export function auditNameShown(hearth: Hearth, actorId: number, person: { id: number; role: Role }): void {
  if (actorId === person.id || (person.role !== "patient" && person.role !== "guest")) return;
  hearth.audit.append({ actor: `person:${actorId}`, action: "profile.name_read", subject: `person:${person.id}`, ownerId: person.id, outcome: "ok" });
}

export async function readProfile(hearth: Hearth, actorId: number, id: number): Promise<Profile | null> {
  const profile = await openProfile(hearth, id);
  if (profile) hearth.audit.append({ actor: `person:${actorId}`, action: "profile.read", subject: `person:${id}`, ownerId: id, outcome: "ok" });
  return profile;
}

/** The language a person chose, to switch the UI when they sign in (null while locked or unset). */
export async function readProfileLanguage(hearth: Hearth, id: number): Promise<Locale | null> {
  if (!hearth.vault.unlocked) return null;
  const profile = await readProfile(hearth, id, id);
  return profile?.language || null;
}

export async function writeProfile(hearth: Hearth, actorId: number, id: number, profile: Profile): Promise<void> {
  const sealed = await hearth.vault.sealJson(profile);
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE people SET profile = ? WHERE id = ?").run(sealed, id);
    hearth.audit.append({ actor: `person:${actorId}`, action: "profile.written", subject: `person:${id}`, ownerId: id, outcome: "ok" });
  }).immediate();
  cacheOf(hearth).set(id, profile.displayName);
}

export async function readContacts(hearth: Hearth, actorId: number, id: number): Promise<Contacts> {
  const row = hearth.db
    .query<Record<string, Uint8Array | null>, [number]>("SELECT reminder_contact, emergency_contact, usual_location FROM people WHERE id = ?")
    .get(id);
  const out: Contacts = { reminderContact: "", emergencyContact: "", usualLocation: "" };
  if (!row) return out;
  for (const [key, column] of Object.entries(CONTACT_COLUMNS) as [keyof Contacts, string][]) {
    const sealed = row[column];
    if (sealed) out[key] = await hearth.vault.openText(sealed);
  }
  hearth.audit.append({ actor: `person:${actorId}`, action: "contacts.read", subject: `person:${id}`, ownerId: id, outcome: "ok" });
  return out;
}

export async function writeContacts(hearth: Hearth, actorId: number, id: number, contacts: Contacts): Promise<void> {
  const sealed: (Uint8Array | null)[] = [];
  for (const key of Object.keys(CONTACT_COLUMNS) as (keyof Contacts)[]) {
    sealed.push(contacts[key] ? await hearth.vault.seal(contacts[key]) : null);
  }
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE people SET reminder_contact = ?, emergency_contact = ?, usual_location = ? WHERE id = ?").run(sealed[0]!, sealed[1]!, sealed[2]!, id);
    hearth.audit.append({ actor: `person:${actorId}`, action: "contacts.written", subject: `person:${id}`, ownerId: id, outcome: "ok" });
  }).immediate();
}

export function setRole(hearth: Hearth, id: number, role: Role): void {
  hearth.db.query("UPDATE people SET role = ? WHERE id = ?").run(role, id);
}

export function activeAdminCount(hearth: Hearth): number {
  return hearth.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM people WHERE role = 'admin' AND status = 'active'").get()!.n;
}

/** The people a viewer manages: an admin sees everyone, a clinician those they care for. */
export function listPeople(hearth: Hearth): Person[] {
  return hearth.db
    .query<Row, []>("SELECT id, role, status, invited_by, access_ends_at, webauthn_handle, created_at FROM people ORDER BY id")
    .all()
    .map(toPerson);
}
