import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { bech32 } from "@scure/base";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";

/**
 * The journal's cryptography, run in the browser (and by the tests, the same code). Each passkey
 * with PRF gives a passkey identity: an age X25519 identity whose secret is HKDF-SHA256 of the
 * PRF output, so the same passkey gives the same identity and it is never stored or sent. A
 * person's journal identity is a random age identity, stored only wrapped to their passkey
 * identities and to their printed recovery key. Each entry has its own age identity (the entry
 * key); the entry is encrypted to it and the entry key is wrapped to each reader's journal
 * recipient: the owner and the clinicians it is shared with.
 */

/** The PRF salt the portal asks the passkey to evaluate (fixed: the same passkey, the same key). */
export const PRF_SALT = new TextEncoder().encode("hearth journal prf salt v1");

export interface JournalEntry {
  text: string;
  mood: number | null;
  tags: string[];
  date: string;
}

function identityFromSecret(secret: Uint8Array): string {
  return bech32.encode("age-secret-key-", bech32.toWords(secret), false).toUpperCase();
}

/** A passkey identity from the 32 bytes of its PRF output. */
export function passkeyIdentity(prfOutput: Uint8Array): string {
  const secret = hkdf(sha256, prfOutput, new TextEncoder().encode("hearth-journal"), new TextEncoder().encode("age x25519 identity v1"), 32);
  return identityFromSecret(secret);
}

export const recipientOf = (identity: string): Promise<string> => identityToRecipient(identity);

/** A fresh age identity: a person's journal identity, or the printable recovery key. */
export const newIdentity = (): Promise<string> => generateX25519Identity();

/** What a person types or scans back as their recovery key, made canonical (or null if it is not one). */
export function parseRecoveryKey(text: string): string | null {
  const key = text.replace(/\s+/g, "").toUpperCase();
  return /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/.test(key) ? key : null;
}

async function encryptTo(recipients: string[], data: Uint8Array | string): Promise<Uint8Array> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(data);
}

async function decryptWith(identity: string, data: Uint8Array): Promise<Uint8Array> {
  const d = new Decrypter();
  d.addIdentity(identity);
  return d.decrypt(data);
}

/** A new entry: its ciphertext, and its entry key wrapped to the owner's journal recipient. */
export async function sealNewEntry(entry: JournalEntry, ownerRecipients: string[]): Promise<{ ciphertext: Uint8Array; wrapped: Uint8Array; entryKey: string }> {
  const entryKey = await generateX25519Identity();
  const ciphertext = await encryptTo([await identityToRecipient(entryKey)], JSON.stringify(entry));
  const wrapped = await encryptTo(ownerRecipients, entryKey);
  return { ciphertext, wrapped, entryKey };
}

/** A key (an entry key, or the journal identity itself), unwrapped with the reader's identity. */
export async function unwrapKey(wrapped: Uint8Array, identity: string): Promise<string> {
  return new TextDecoder().decode(await decryptWith(identity, wrapped));
}

/** A key wrapped to readers' recipients (an entry key to its readers, the journal identity to a passkey). */
export async function wrapKey(key: string, recipients: string[]): Promise<Uint8Array> {
  return encryptTo(recipients, key);
}

/** An edit: the new version under the same entry key. */
export async function sealVersion(entry: JournalEntry, entryKey: string): Promise<Uint8Array> {
  return encryptTo([await identityToRecipient(entryKey)], JSON.stringify(entry));
}

export async function openEntry(ciphertext: Uint8Array, entryKey: string): Promise<JournalEntry> {
  return JSON.parse(new TextDecoder().decode(await decryptWith(entryKey, ciphertext))) as JournalEntry;
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
