import { generateX25519Identity, identityToRecipient } from "age-encryption";
import type { Hearth } from "../context.ts";
import { isCarerOf } from "../identity/policy.ts";
import { activePasskeys } from "../identity/passkeys.ts";

/**
 * End-to-end encrypted journals. Each person has a journal identity (an age X25519 key) made in
 * their browser; it is stored only wrapped to their passkeys' PRF-derived recipients and to
 * their printed recovery key. Each entry has its own key, wrapped to the owner's journal
 * recipient and to the recipient of each clinician it is shared with. This file keeps those
 * opaque blobs and decides who gets which wrap; it never sees a plaintext or a key, except the
 * clinic-protected identity of someone whose passkey has no PRF (sealed by the vault, and the
 * page says so).
 */
export type Protection = "passkey" | "clinic";

export interface JournalKey {
  recipient: string;
  protection: Protection;
}

export interface EntryForReader {
  id: number;
  ownerId: number;
  version: number;
  ciphertext: Uint8Array;
  wrapped: Uint8Array;
  createdAt: number;
  updatedAt: number;
  sharedAt: number;
}

/** The wrap of the journal identity to the printed recovery key. */
export const RECOVERY = "recovery";

const AGE_MAGIC = new TextEncoder().encode("age-encryption.org/v1\n");

/** An age file starts with its version line; anything else is not a ciphertext we keep. */
export function looksLikeAge(bytes: Uint8Array): boolean {
  if (bytes.length <= AGE_MAGIC.length) return false;
  return AGE_MAGIC.every((b, i) => bytes[i] === b);
}

export function journalKeyOf(hearth: Hearth, personId: number): JournalKey | null {
  const row = hearth.db
    .query<{ recipient: string; protection: Protection }, [number]>("SELECT recipient, protection FROM journal_keys WHERE person_id = ?")
    .get(personId);
  return row ? { recipient: row.recipient, protection: row.protection } : null;
}

/**
 * A first journal key protected by passkey: its recipient, and the identity wrapped to the
 * passkey used and to the recovery key. Refused (false) when the person already has one, so a
 * second browser cannot silently replace the key that all their entries are wrapped to.
 */
export function createPasskeyJournalKey(hearth: Hearth, personId: number, recipient: string, wraps: { credentialId: string; wrapped: Uint8Array }[]): boolean {
  const now = hearth.now();
  return hearth.db.transaction(() => {
    if (journalKeyOf(hearth, personId)) return false;
    hearth.db.query("INSERT INTO journal_keys (person_id, recipient, protection, created_at) VALUES (?, ?, 'passkey', ?)").run(personId, recipient, now);
    for (const w of wraps) putKeyWrap(hearth, personId, w.credentialId, w.wrapped);
    return true;
  })();
}

/** No PRF on this person's passkey: the appliance makes their journal identity and seals it with its own key. */
export async function createClinicJournalKey(hearth: Hearth, personId: number): Promise<JournalKey> {
  const existing = journalKeyOf(hearth, personId);
  if (existing) return existing;
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const sealed = await hearth.vault.seal(identity);
  hearth.db
    .query("INSERT OR IGNORE INTO journal_keys (person_id, recipient, protection, clinic_identity, created_at) VALUES (?, ?, 'clinic', ?, ?)")
    .run(personId, recipient, sealed, hearth.now());
  return journalKeyOf(hearth, personId)!;
}

/** The clinic-protected journal identity (null for a passkey-protected journal). */
export async function clinicIdentityOf(hearth: Hearth, personId: number): Promise<string | null> {
  const row = hearth.db.query<{ clinic_identity: Uint8Array | null }, [number]>("SELECT clinic_identity FROM journal_keys WHERE person_id = ?").get(personId);
  return row?.clinic_identity ? hearth.vault.openText(row.clinic_identity) : null;
}

export function putKeyWrap(hearth: Hearth, personId: number, credentialId: string, wrapped: Uint8Array): void {
  hearth.db
    .query(
      `INSERT INTO journal_key_wraps (person_id, credential_id, wrapped, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (person_id, credential_id) DO UPDATE SET wrapped = excluded.wrapped, created_at = excluded.created_at`,
    )
    .run(personId, credentialId, wrapped, hearth.now());
}

/** The identity's wraps a person can still open: to their passkeys not revoked, and to the recovery key. */
export function keyWrapsOf(hearth: Hearth, personId: number): { credentialId: string; wrapped: Uint8Array }[] {
  const live = new Set([RECOVERY, ...activePasskeys(hearth, personId).map((k) => k.credentialId)]);
  return hearth.db
    .query<{ credential_id: string; wrapped: Uint8Array }, [number]>("SELECT credential_id, wrapped FROM journal_key_wraps WHERE person_id = ? ORDER BY created_at")
    .all(personId)
    .filter((r) => live.has(r.credential_id))
    .map((r) => ({ credentialId: r.credential_id, wrapped: r.wrapped }));
}

/** The clinicians caring for this patient who have a journal recipient (those an entry can be shared with). */
export function careTeamRecipients(hearth: Hearth, patientId: number): { personId: number; recipient: string }[] {
  return hearth.db
    .query<{ person_id: number; recipient: string }, []>(
      "SELECT k.person_id, k.recipient FROM journal_keys k JOIN people p ON p.id = k.person_id WHERE p.role = 'clinician' ORDER BY k.person_id",
    )
    .all()
    .filter((r) => isCarerOf(hearth, r.person_id, patientId))
    .map((r) => ({ personId: r.person_id, recipient: r.recipient }));
}

export function createEntry(hearth: Hearth, ownerId: number, ciphertext: Uint8Array, ownWrap: Uint8Array): number {
  const now = hearth.now();
  return hearth.db.transaction(() => {
    const { id } = hearth.db
      .query<{ id: number }, [number, number, number]>("INSERT INTO journal_entries (owner_id, created_at, updated_at) VALUES (?, ?, ?) RETURNING id")
      .get(ownerId, now, now)!;
    hearth.db.query("INSERT INTO journal_versions (entry_id, version, ciphertext, created_at) VALUES (?, 1, ?, ?)").run(id, ciphertext, now);
    hearth.db.query("INSERT INTO journal_wraps (entry_id, person_id, wrapped, shared_at) VALUES (?, ?, ?, ?)").run(id, ownerId, ownWrap, now);
    return id;
  })();
}

export function ownerOf(hearth: Hearth, entryId: number): number | null {
  return hearth.db.query<{ owner_id: number }, [number]>("SELECT owner_id FROM journal_entries WHERE id = ?").get(entryId)?.owner_id ?? null;
}

/** An edit keeps the old versions: a new ciphertext under the same entry key. */
export function addVersion(hearth: Hearth, entryId: number, ciphertext: Uint8Array): number {
  const now = hearth.now();
  return hearth.db.transaction(() => {
    const { v } = hearth.db
      .query<{ v: number }, [number]>("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM journal_versions WHERE entry_id = ?")
      .get(entryId)!;
    hearth.db.query("INSERT INTO journal_versions (entry_id, version, ciphertext, created_at) VALUES (?, ?, ?, ?)").run(entryId, v, ciphertext, now);
    hearth.db.query("UPDATE journal_entries SET updated_at = ? WHERE id = ?").run(now, entryId);
    return v;
  })();
}

export function versionsOf(hearth: Hearth, entryId: number): { version: number; ciphertext: Uint8Array; createdAt: number }[] {
  return hearth.db
    .query<{ version: number; ciphertext: Uint8Array; created_at: number }, [number]>(
      "SELECT version, ciphertext, created_at FROM journal_versions WHERE entry_id = ? ORDER BY version",
    )
    .all(entryId)
    .map((r) => ({ version: r.version, ciphertext: r.ciphertext, createdAt: r.created_at }));
}

/** Wraps the entry to a clinician (sharing); sharing again keeps the first shared_at. */
export function putWrap(hearth: Hearth, entryId: number, personId: number, wrapped: Uint8Array): void {
  hearth.db
    .query(
      `INSERT INTO journal_wraps (entry_id, person_id, wrapped, shared_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (entry_id, person_id) DO UPDATE SET wrapped = excluded.wrapped`,
    )
    .run(entryId, personId, wrapped, hearth.now());
}

export function removeWrap(hearth: Hearth, entryId: number, personId: number): boolean {
  return hearth.db.query("DELETE FROM journal_wraps WHERE entry_id = ? AND person_id = ?").run(entryId, personId).changes > 0;
}

export function sharedWith(hearth: Hearth, entryId: number): { personId: number; sharedAt: number }[] {
  return hearth.db
    .query<{ person_id: number; shared_at: number }, [number]>(
      "SELECT w.person_id, w.shared_at FROM journal_wraps w JOIN journal_entries e ON e.id = w.entry_id WHERE w.entry_id = ? AND w.person_id <> e.owner_id ORDER BY w.person_id",
    )
    .all(entryId)
    .map((r) => ({ personId: r.person_id, sharedAt: r.shared_at }));
}

/** The patients who shared at least one entry with this clinician, with how many. */
export function sharersWith(hearth: Hearth, readerId: number): { ownerId: number; entries: number; lastSharedAt: number }[] {
  return hearth.db
    .query<{ owner_id: number; n: number; last: number }, [number]>(
      `SELECT e.owner_id, count(*) AS n, max(w.shared_at) AS last FROM journal_wraps w JOIN journal_entries e ON e.id = w.entry_id
        WHERE w.person_id = ?1 AND e.owner_id <> ?1 GROUP BY e.owner_id ORDER BY last DESC`,
    )
    .all(readerId)
    .map((r) => ({ ownerId: r.owner_id, entries: r.n, lastSharedAt: r.last }));
}

/** The entries of one owner that this reader holds a wrap for, latest version of each. */
export function entriesFor(hearth: Hearth, ownerId: number, readerId: number): EntryForReader[] {
  return hearth.db
    .query<
      { id: number; owner_id: number; version: number; ciphertext: Uint8Array; wrapped: Uint8Array; created_at: number; updated_at: number; shared_at: number },
      [number, number]
    >(
      `SELECT e.id, e.owner_id, v.version, v.ciphertext, w.wrapped, e.created_at, e.updated_at, w.shared_at
         FROM journal_entries e
         JOIN journal_wraps w ON w.entry_id = e.id AND w.person_id = ?2
         JOIN journal_versions v ON v.entry_id = e.id AND v.version = (SELECT MAX(version) FROM journal_versions WHERE entry_id = e.id)
        WHERE e.owner_id = ?1 ORDER BY e.created_at DESC, e.id DESC`,
    )
    .all(ownerId, readerId)
    .map((r) => ({
      id: r.id,
      ownerId: r.owner_id,
      version: r.version,
      ciphertext: r.ciphertext,
      wrapped: r.wrapped,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      sharedAt: r.shared_at,
    }));
}
