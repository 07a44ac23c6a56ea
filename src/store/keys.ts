import * as age from "age-encryption";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, openSync, fsyncSync, closeSync } from "node:fs";
import { join } from "node:path";

/**
 * The appliance's age identity lives in data/keys/, apart from the database file.
 * Plain:  keys/identity         "AGE-SECRET-KEY-1..." (mode 0600)
 * Locked: keys/identity.locked  that identity, age-encrypted to a passphrase (scrypt)
 * During `keys rotate` the new identity waits beside it as identity.next[.locked].
 */
export class KeyError extends Error {}

export type Slot = "identity" | "identity.next";

export function keysDir(dataDir: string): string {
  return join(dataDir, "keys");
}

function slotPaths(dataDir: string, slot: Slot) {
  const dir = keysDir(dataDir);
  return { plain: join(dir, slot), locked: join(dir, `${slot}.locked`) };
}

export function ensureKeysDir(dataDir: string): string {
  const dir = keysDir(dataDir);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkMode(dir, 0o700, "directory");
  return dir;
}

function checkMode(path: string, wanted: number, what: string): void {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new KeyError(
      `The key ${what} ${path} is readable by others (mode ${mode.toString(8)}); run: chmod ${wanted.toString(8)} ${path}`,
    );
  }
}

/** Writes a secret file atomically with mode 0600 (temp file, fsync, rename). */
export function writeSecretFile(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  const fd = openSync(tmp, "r");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

export function slotExists(dataDir: string, slot: Slot): boolean {
  const p = slotPaths(dataDir, slot);
  return existsSync(p.plain) || existsSync(p.locked);
}

export function isLocked(dataDir: string, slot: Slot = "identity"): boolean {
  return existsSync(slotPaths(dataDir, slot).locked);
}

const IDENTITY_RE = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

function parseIdentity(text: string, path: string): string {
  const id = text.trim();
  if (!IDENTITY_RE.test(id)) {
    throw new KeyError(`The key file ${path} is not an age identity (expected one AGE-SECRET-KEY-1... line). Restore it from your key backup.`);
  }
  return id;
}

/** Reads a slot's identity; a locked slot needs the passphrase. */
export async function readIdentity(dataDir: string, slot: Slot, passphrase?: string): Promise<string> {
  const p = slotPaths(dataDir, slot);
  if (existsSync(p.locked)) {
    checkMode(p.locked, 0o600, "file");
    if (!passphrase) throw new KeyError("The appliance key is locked with a passphrase; give the passphrase to unlock it.");
    const d = new age.Decrypter();
    d.addPassphrase(passphrase);
    let text: string;
    try {
      text = await d.decrypt(age.armor.decode(readFileSync(p.locked, "utf8")), "text");
    } catch {
      throw new KeyError("Wrong passphrase for the appliance key (or the locked key file is damaged).");
    }
    return parseIdentity(text, p.locked);
  }
  if (!existsSync(p.plain)) throw new KeyError(`No appliance key at ${p.plain}.`);
  checkMode(p.plain, 0o600, "file");
  return parseIdentity(readFileSync(p.plain, "utf8"), p.plain);
}

/** Stores an identity in a slot, passphrase-locked when a passphrase is given. */
export async function writeIdentity(dataDir: string, slot: Slot, identity: string, passphrase?: string): Promise<void> {
  ensureKeysDir(dataDir);
  const p = slotPaths(dataDir, slot);
  if (passphrase) {
    const e = new age.Encrypter();
    e.setPassphrase(passphrase);
    writeSecretFile(p.locked, age.armor.encode(await e.encrypt(identity + "\n")));
    if (existsSync(p.plain)) unlinkSync(p.plain);
  } else {
    writeSecretFile(p.plain, identity + "\n");
    if (existsSync(p.locked)) unlinkSync(p.locked);
  }
}

/** Makes identity.next the identity: one rename, so a crash leaves one or the other. */
export function promoteNext(dataDir: string): void {
  const next = slotPaths(dataDir, "identity.next");
  const cur = slotPaths(dataDir, "identity");
  if (existsSync(next.locked)) {
    renameSync(next.locked, cur.locked);
    if (existsSync(cur.plain)) unlinkSync(cur.plain);
  } else if (existsSync(next.plain)) {
    renameSync(next.plain, cur.plain);
    if (existsSync(cur.locked)) unlinkSync(cur.locked);
  }
}

export function discardSlot(dataDir: string, slot: Slot): void {
  const p = slotPaths(dataDir, slot);
  for (const f of [p.plain, p.locked]) if (existsSync(f)) unlinkSync(f);
}

/** First start: create keys/ and a fresh identity. Returns true when one was made. */
export async function ensureIdentity(dataDir: string): Promise<boolean> {
  ensureKeysDir(dataDir);
  if (slotExists(dataDir, "identity")) return false;
  await writeIdentity(dataDir, "identity", await age.generateIdentity());
  return true;
}

export type PassphraseChange = "set" | "changed" | "removed";

/**
 * Sets, changes or removes the passphrase on the identity file. The identity itself does not
 * change, so every sealed value stays readable. Refused mid-rotation: both slots must always
 * share one passphrase, and two files cannot be rewritten in one step.
 */
export async function changePassphrase(dataDir: string, current: string | undefined, next: string | undefined): Promise<PassphraseChange> {
  if (slotExists(dataDir, "identity.next")) {
    throw new KeyError("A key rotation is unfinished; run hearth keys rotate to finish it, then change the passphrase.");
  }
  const wasLocked = isLocked(dataDir);
  if (!wasLocked && !next) throw new KeyError("The appliance key has no passphrase, so there is none to remove.");
  const identity = await readIdentity(dataDir, "identity", current);
  await writeIdentity(dataDir, "identity", identity, next);
  return !wasLocked ? "set" : next ? "changed" : "removed";
}

/** The weakest passphrase we accept: scrypt slows guessing, it cannot save a short word. */
export const MIN_PASSPHRASE_LENGTH = 10;
