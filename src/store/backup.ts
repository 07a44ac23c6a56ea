import * as age from "age-encryption";
import { Database } from "bun:sqlite";
import { once } from "node:events";
import { open, readdir, readFile, rm, rmdir, stat, mkdir, link, unlink } from "node:fs/promises";
import { createReadStream, existsSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import * as tar from "tar-stream";
import { DB_FILE, StoreError, type Db } from "./db.ts";
import { keysDir } from "./keys.ts";
import { Audit } from "./audit.ts";

/**
 * A Hearth backup is one age file, encrypted to the clinic's offline backup recipient(s) only,
 * whose plaintext is a POSIX tar (tar-stream) holding, in this order:
 *
 *   hearth-backup.json   manifest: format, version, createdAt, files and sizes, audit rows
 *   keys/identity        the appliance identity (or keys/identity.locked, passphrase-locked),
 *                        plus identity.next[.locked] if a rotation was under way; without it
 *                        the sealed columns in the snapshot could never be opened again
 *   tls/*                the local certificate authority and server certificate, when Hearth
 *                        runs its own CA (src/appliance/tls.ts): restored, every device that
 *                        trusts the clinic's CA keeps trusting the box
 *   audit-head           the newest audit row of the snapshot, as data/audit-head holds it
 *   hearth.db            a consistent snapshot (VACUUM INTO), with no -wal beside it
 *   materials/*.age      files too large for a column (group materials, patients' documents),
 *   documents/*.age      each already age-encrypted under its own key, which the snapshot holds
 *                        sealed; listed after the snapshot, so every file it names is there
 *
 * The appliance never holds the matching identity, so the box alone cannot read its backups.
 * Everything is streamed: the snapshot goes from disk through tar and age to the output in
 * 64 KiB pieces, so a large database never sits in memory.
 */
export class BackupError extends StoreError {}

export const MANIFEST = "hearth-backup.json";
const FORMAT = "hearth-backup";
const VERSION = 1;
const KEY_FILES = ["identity", "identity.locked", "identity.next", "identity.next.locked"];
// Named here rather than imported: the store reads these files, it does not manage them.
const TLS_FILES = ["ca.pem", "ca.crt", "server.pem"];
const SECRET_DIRS = { keys: KEY_FILES, tls: TLS_FILES } as const;
/** Folders of sealed files (clinic/materials, portal/documents, recordings, portal/library), kept as they are on disk. */
const FILE_DIRS = ["materials", "documents", "recordings", "library"] as const;
const FILE_ENTRY = new RegExp(`^(${FILE_DIRS.join("|")})/[0-9a-f-]{36}\\.age$`);
const ALLOWED = new Set([
  MANIFEST,
  "audit-head",
  DB_FILE,
  ...Object.entries(SECRET_DIRS).flatMap(([dir, files]) => files.map((f) => `${dir}/${f}`)),
]);

/** Only files named like this are Hearth's own backups; retention never touches anything else. */
export const BACKUP_NAME = /^hearth-backup-\d{8}T\d{6}Z\.tar\.age$/;

export function backupFileName(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `hearth-backup-${stamp}.tar.age`;
}

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  createdAt: string;
  files: { name: string; bytes: number }[];
  auditRows: number;
}

export interface BackupOptions {
  dataDir: string;
  /** An open connection: the server's own, or the CLI's while the server keeps running. */
  db: Db;
  audit: Audit;
  actor: string;
  recipients: readonly string[];
  /** The appliance's own recipient when known: a backup to it would be readable by the box. */
  applianceRecipient?: string;
  to: string;
  now?: () => number;
  /** Fraction of the payload written so far, 0..1. */
  onProgress?: (fraction: number) => void;
}

export interface BackupResult {
  path: string;
  bytes: number;
  dbBytes: number;
}

export function requireRecipients(recipients: readonly string[]): void {
  if (recipients.length === 0) {
    throw new BackupError(
      "No backup recipients: set HEARTH_BACKUP_RECIPIENTS to the clinic's offline age public key(s) (age1..., comma-separated).",
    );
  }
}

export async function createBackup(o: BackupOptions): Promise<BackupResult> {
  requireRecipients(o.recipients);
  if (o.applianceRecipient && o.recipients.includes(o.applianceRecipient)) {
    throw new BackupError("HEARTH_BACKUP_RECIPIENTS names the appliance's own key; use a key kept offline, away from this box.");
  }
  const now = o.now ?? Date.now;
  const snapshot = join(o.dataDir, `.backup-${process.pid}-${now()}.db`);
  const partial = `${o.to}.partial-${process.pid}`;
  try {
    if (existsSync(o.to)) throw new BackupError(`${o.to} already exists; a backup never overwrites a file. Choose another --to.`);
    if (!existsSync(dirname(o.to))) throw new BackupError(`The backup folder ${dirname(o.to)} does not exist; create it or set HEARTH_BACKUP_DIR.`);
    // Made empty with mode 0600 first: VACUUM INTO fills an empty file and keeps its mode.
    writeFileSync(snapshot, "", { mode: 0o600, flag: "wx" });
    o.db.query("VACUUM INTO ?").run(snapshot);
    const result = await writeContainer(o, snapshot, partial, now);
    // link() fails if the name appeared meanwhile: nothing is ever overwritten.
    await link(partial, o.to);
    o.audit.append({ actor: o.actor, action: "backup.created", subject: `backup:${basename(o.to)}`, outcome: "ok" });
    return { ...result, path: o.to };
  } catch (err) {
    o.audit.append({ actor: o.actor, action: "backup.created", subject: `backup:${basename(o.to)}`, outcome: "failed" });
    if (err instanceof StoreError) throw err;
    throw new BackupError(`The backup could not be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was replaced.`);
  } finally {
    await rm(snapshot, { force: true });
    await rm(partial, { force: true });
  }
}

function snapshotFacts(path: string): { head: { id: number; hash: string } | null; auditRows: number } {
  const snap = new Database(path, { readonly: true });
  try {
    const head = snap.query<{ id: number; hash: string }, []>("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").get();
    const auditRows = snap.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log").get()!.n;
    return { head, auditRows };
  } finally {
    snap.close();
  }
}

async function writeContainer(o: BackupOptions, snapshot: string, partial: string, now: () => number): Promise<Omit<BackupResult, "path">> {
  const { head, auditRows } = snapshotFacts(snapshot);
  const small: { name: string; data: Buffer }[] = [];
  for (const [dir, files] of Object.entries(SECRET_DIRS)) {
    for (const f of files) {
      const p = join(o.dataDir, dir, f);
      if (existsSync(p)) small.push({ name: `${dir}/${f}`, data: await readFile(p) });
    }
  }
  if (!small.some((f) => f.name === "keys/identity" || f.name === "keys/identity.locked")) {
    throw new BackupError(`No appliance key in ${keysDir(o.dataDir)}; a backup without it could never be opened.`);
  }
  // The snapshot's own newest row anchors it, so a restored trail verifies as it was.
  if (head) small.push({ name: "audit-head", data: Buffer.from(JSON.stringify(head) + "\n") });
  const dbBytes = statSync(snapshot).size;
  const sealedFiles = await sealedFilesIn(o.dataDir);
  const total = dbBytes + sealedFiles.reduce((n, f) => n + f.bytes, 0);
  const manifest: Manifest = {
    format: FORMAT,
    version: VERSION,
    createdAt: new Date(now()).toISOString(),
    files: [...small.map((f) => ({ name: f.name, bytes: f.data.length })), { name: DB_FILE, bytes: dbBytes }, ...sealedFiles],
    auditRows,
  };
  small.unshift({ name: MANIFEST, data: Buffer.from(JSON.stringify(manifest, null, 2) + "\n") });

  const pack = tar.pack();
  const mtime = new Date(now());
  const fill = (async () => {
    for (const f of small) pack.entry({ name: f.name, mode: 0o600, mtime }, f.data);
    let sent = 0;
    const stream = async (name: string, path: string, size: number) => {
      const entry = pack.entry({ name, size, mode: 0o600, mtime });
      for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024, end: size - 1 })) {
        sent += (chunk as Buffer).length;
        o.onProgress?.(total ? sent / total : 1);
        if (!entry.write(chunk)) await once(entry, "drain");
      }
      await new Promise<void>((resolve, reject) => entry.end((err?: Error | null) => (err ? reject(err) : resolve())));
    };
    await stream(DB_FILE, snapshot, dbBytes);
    for (const f of sealedFiles) await stream(f.name, join(o.dataDir, f.name), f.bytes);
    pack.finalize();
  })();
  fill.catch((err) => pack.destroy(err));

  const e = new age.Encrypter();
  for (const r of o.recipients) e.addRecipient(r);
  const sealed = await e.encrypt(toWebStream(pack as unknown as AsyncIterable<Uint8Array>));
  const out = await open(partial, "wx", 0o600);
  let bytes = 0;
  try {
    for await (const chunk of fromWebStream(sealed)) {
      await out.write(chunk);
      bytes += chunk.length;
    }
    await fill;
    await out.sync();
  } finally {
    await out.close();
  }
  o.onProgress?.(1);
  return { bytes, dbBytes };
}

/**
 * The sealed files on disk, with their sizes as of now. Files are written once under a new name
 * and never changed, so a size read here holds while the file is streamed; one deleted meanwhile
 * fails the backup (the next night's run takes the new state).
 */
async function sealedFilesIn(dataDir: string): Promise<{ name: string; bytes: number }[]> {
  const found: { name: string; bytes: number }[] = [];
  for (const dir of FILE_DIRS) {
    if (!existsSync(join(dataDir, dir))) continue;
    for (const f of (await readdir(join(dataDir, dir))).sort()) {
      const name = `${dir}/${f}`;
      if (!FILE_ENTRY.test(name)) continue;
      const bytes = await stat(join(dataDir, name)).then((st) => st.size, () => 0);
      // Empty: an upload that has only just begun (its row is not in the snapshot either).
      if (bytes > 0) found.push({ name, bytes });
    }
  }
  return found;
}

/** age takes and gives WHATWG streams; tar-stream and fs speak async iterables. */
function toWebStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel(reason) {
      await it.return?.(reason);
    },
  });
}

async function* fromWebStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** Reads the offline identity file (age-keygen output: comments, then one AGE-SECRET-KEY line). */
export async function readOfflineIdentity(path: string): Promise<string> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new BackupError(`No identity file at ${path}; give the clinic's offline backup key with --identity.`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new BackupError(`The identity file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  const keys = (await readFile(path, "utf8"))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  if (keys.length !== 1 || !/^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]+$/.test(keys[0]!)) {
    throw new BackupError(`The identity file ${path} does not hold one age identity (AGE-SECRET-KEY-1...); use the file age-keygen wrote.`);
  }
  return keys[0]!;
}

export interface RestoreResult {
  manifest: Manifest;
  files: string[];
}

/**
 * Rebuilds a data dir from a backup with the offline identity. Writes only into a new or empty
 * directory, creates every file exclusively, and on any failure removes what it wrote.
 */
export async function restoreBackup(file: string, identityPath: string, into: string): Promise<RestoreResult> {
  const identity = await readOfflineIdentity(identityPath);
  if (!existsSync(file)) throw new BackupError(`No backup file at ${file}.`);
  let createdDir = false;
  if (existsSync(into)) {
    if (!statSync(into).isDirectory() || (await readdir(into)).length > 0) {
      throw new BackupError(`${into} is not an empty directory; restore into a new or empty one (restore never overwrites anything).`);
    }
  } else {
    await mkdir(into, { recursive: true, mode: 0o700 });
    createdDir = true;
  }
  const written: string[] = [];
  try {
    const manifest = await extractInto(file, identity, identityPath, into, written);
    await checkRestored(into);
    return { manifest, files: written.map((p) => p.slice(into.length + 1)) };
  } catch (err) {
    for (const p of written.reverse()) await rm(p, { force: true });
    if (existsSync(join(into, "keys")) && (await readdir(join(into, "keys"))).length === 0) await rmdir(join(into, "keys"));
    if (createdDir) await rmdir(into).catch(() => {});
    if (err instanceof StoreError) throw err;
    throw new BackupError(`${file} could not be restored (${(err as Error).message}); nothing was left behind.`);
  }
}

async function extractInto(file: string, identity: string, identityPath: string, into: string, written: string[]): Promise<Manifest> {
  const d = new age.Decrypter();
  d.addIdentity(identity);
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await d.decrypt(Bun.file(file).stream());
  } catch (err) {
    const msg = (err as Error).message;
    if (/no identity matched/.test(msg)) {
      throw new BackupError(`${file} was not encrypted to the key in ${identityPath}; use the clinic's offline backup key (the appliance's own key cannot open backups).`);
    }
    throw new BackupError(`${file} is not a Hearth backup (not an age file, or damaged).`);
  }
  const extract = tar.extract();
  const pump = (async () => {
    for await (const chunk of fromWebStream(plain)) if (!extract.write(chunk)) await once(extract, "drain");
    extract.end(() => {});
  })();
  pump.catch((err) => extract.destroy(err));
  let manifest: Manifest | null = null;
  for await (const entry of extract) {
    const name = entry.header.name;
    if (entry.header.type !== "file" || !(ALLOWED.has(name) || FILE_ENTRY.test(name))) throw new BackupError(`${file} holds an unexpected entry (${name}); it is not a Hearth backup.`);
    if (name === MANIFEST) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      manifest = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Manifest;
      if (manifest.format !== FORMAT || manifest.version > VERSION) throw new BackupError(`${file} is a backup format this Hearth does not know; restore it with a newer Hearth.`);
      continue;
    }
    const dir = dirname(name);
    if (dir !== "." && !existsSync(join(into, dir))) await mkdir(join(into, dir), { mode: 0o700 });
    const target = join(into, name);
    const out = await open(target, "wx", 0o600);
    written.push(target);
    try {
      for await (const c of entry) await out.write(c as Buffer);
      await out.sync();
    } finally {
      await out.close();
    }
  }
  await pump;
  if (!manifest) throw new BackupError(`${file} has no manifest; it is not a Hearth backup.`);
  return manifest;
}

async function checkRestored(into: string): Promise<void> {
  const dbPath = join(into, DB_FILE);
  if (!existsSync(dbPath)) throw new BackupError("The backup holds no database.");
  if (!["identity", "identity.locked"].some((k) => existsSync(join(into, "keys", k)))) throw new BackupError("The backup holds no appliance key.");
  const db = new Database(dbPath, { readonly: true });
  try {
    const check = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()?.integrity_check;
    if (check !== "ok") throw new BackupError(`The restored database failed its integrity check (${check}).`);
    const trail = new Audit(db, into).verify();
    if (!trail.ok) throw new BackupError(`The restored audit trail does not verify: ${trail.reason}.`);
  } finally {
    db.close();
  }
}

/** Keeps the newest `keep` of Hearth's own backups in `dir`; returns the names it deleted. */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const ours = (await readdir(dir)).filter((n) => BACKUP_NAME.test(n)).sort();
  const old = ours.slice(0, Math.max(0, ours.length - keep));
  for (const n of old) await unlink(join(dir, n));
  return old;
}
