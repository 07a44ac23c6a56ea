import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as age from "age-encryption";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openHearth } from "../server.ts";
import type { Hearth } from "../context.ts";
import { BackupError, backupFileName, createBackup, pruneBackups, restoreBackup, BACKUP_NAME } from "./backup.ts";
import { Vault } from "./vault.ts";
import { readIdentity } from "./keys.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { openSealedStream, sealFileStream } from "../clinic/materials/store.ts";

let dir: ReturnType<typeof tempDir>;
let hearth: Hearth;
let offline: { identity: string; recipient: string; keyFile: string };
const profiles = new Map<number, string>();

beforeEach(async () => {
  dir = tempDir();
  const identity = await age.generateIdentity();
  const keyFile = join(dir.path, "offline.key");
  writeFileSync(keyFile, `# created by age-keygen\n# public key: ${await age.identityToRecipient(identity)}\n${identity}\n`, { mode: 0o600 });
  offline = { identity, recipient: await age.identityToRecipient(identity), keyFile };
  hearth = await openHearth(testConfig(join(dir.path, "data")));
  const extra = await age.identityToRecipient(await age.generateIdentity());
  profiles.clear();
  for (let i = 0; i < 50; i++) {
    const text = JSON.stringify({ name: `Patient ${i} ${crypto.randomUUID()}` });
    const sealed = await hearth.vault.seal(text, i % 10 === 0 ? [extra] : []);
    const id = Number(hearth.db.query("INSERT INTO people (role, profile, created_at) VALUES ('patient', ?, ?)").run(sealed, i).lastInsertRowid);
    profiles.set(id, text);
    hearth.audit.append({ actor: "system", action: "person.created", subject: `person:${id}`, ownerId: id, outcome: "ok" });
  }
});
afterEach(() => {
  hearth.db.close();
  dir.remove();
});

function backup(to = join(dir.path, backupFileName(Date.now())), recipients = [offline.recipient]) {
  return createBackup({ dataDir: hearth.config.dataDir, db: hearth.db, audit: hearth.audit, actor: "cli", recipients, to });
}

/** Every row of every table, blobs as hex, so two databases can be compared whole. */
function dump(db: Database): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
  for (const { name } of tables) {
    out[name] = db
      .query<Record<string, unknown>, []>(`SELECT * FROM "${name}"`)
      .all()
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v])))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

describe("backup and restore", () => {
  test("a round trip brings back every row and every sealed value", async () => {
    const result = await backup();
    expect(statSync(result.path).mode & 0o777).toBe(0o600);
    // No snapshot left behind in the data dir.
    expect(readdirSync(hearth.config.dataDir).filter((f) => f.startsWith(".backup-"))).toEqual([]);
    const before = dump(hearth.db);

    const into = join(dir.path, "restored");
    const { manifest, files } = await restoreBackup(result.path, offline.keyFile, into);
    expect(manifest.format).toBe("hearth-backup");
    expect(files.sort()).toEqual(["audit-head", "hearth.db", "keys/identity"]);
    expect(statSync(join(into, "keys")).mode & 0o777).toBe(0o700);
    expect(statSync(join(into, "keys", "identity")).mode & 0o777).toBe(0o600);

    const restored = new Database(join(into, "hearth.db"), { readonly: true });
    const after = dump(restored);
    // The backup's own audit row was written after the snapshot: everything else is equal.
    before.audit_log = before.audit_log!.filter((r) => (r as { action: string }).action !== "backup.created");
    expect(after).toEqual(before);

    const vault = new Vault();
    await vault.unlock([await readIdentity(into, "identity")]);
    const rows = restored.query<{ id: number; profile: Uint8Array }, []>("SELECT id, profile FROM people").all();
    expect(rows.length).toBe(profiles.size);
    for (const r of rows) expect(await vault.openText(r.profile)).toBe(profiles.get(r.id)!);
    restored.close();
  });

  test("the local certificate authority travels with the backup, so devices keep trusting the box", async () => {
    const tls = join(hearth.config.dataDir, "tls");
    mkdirSync(tls, { mode: 0o700 });
    const caKey = `-----BEGIN PRIVATE KEY-----\n${crypto.randomUUID()}\n-----END PRIVATE KEY-----\n`;
    writeFileSync(join(tls, "ca.pem"), caKey, { mode: 0o600 });
    writeFileSync(join(tls, "ca.crt"), "certificate\n", { mode: 0o600 });
    const result = await backup();
    const into = join(dir.path, "restored-tls");
    const { files } = await restoreBackup(result.path, offline.keyFile, into);
    expect(files.filter((f) => f.startsWith("tls/")).sort()).toEqual(["tls/ca.crt", "tls/ca.pem"]);
    expect(readFileSync(join(into, "tls", "ca.pem"), "utf8")).toBe(caKey);
    expect(statSync(join(into, "tls")).mode & 0o777).toBe(0o700);
    expect(statSync(join(into, "tls", "ca.pem")).mode & 0o777).toBe(0o600);
  });

  test("sealed files (materials, documents, library) travel with the backup and open with the restored key", async () => {
    const pdf = new Uint8Array(300_000);
    pdf.set(new TextEncoder().encode("%PDF-1.4\n"));
    for (let i = 9; i < pdf.length; i++) pdf[i] = (i * 7) & 0xff;
    const sealed: { dir: string; blob: string; key: Uint8Array }[] = [];
    for (const folder of ["materials", "documents", "library"]) {
      const d = join(hearth.config.dataDir, folder);
      const f = await sealFileStream(hearth, d, new Blob([pdf]).stream());
      sealed.push({ dir: folder, blob: f.blob, key: f.sealedKey });
    }
    const result = await backup();
    const into = join(dir.path, "restored-files");
    const { files } = await restoreBackup(result.path, offline.keyFile, into);
    expect(files.filter((f) => !f.startsWith("keys/") && f !== "hearth.db" && f !== "audit-head").sort()).toEqual(sealed.map((s) => `${s.dir}/${s.blob}`).sort());
    const restored = await openHearth(testConfig(into));
    try {
      for (const s of sealed) {
        const plain = new Uint8Array(await new Response(await openSealedStream(restored, join(into, s.dir), s.blob, s.key)).arrayBuffer());
        expect(plain).toEqual(pdf);
      }
    } finally {
      restored.db.close();
    }
  });

  test("the appliance's own key cannot open its backups", async () => {
    const { path } = await backup();
    const bytes = readFileSync(path);
    expect(bytes.includes(Buffer.from("SQLite format 3"))).toBe(false);
    const own = new age.Decrypter();
    own.addIdentity(await readIdentity(hearth.config.dataDir, "identity"));
    await expect(own.decrypt(bytes)).rejects.toThrow(/no identity matched/);

    const ownKeyFile = join(hearth.config.dataDir, "keys", "identity");
    const into = join(dir.path, "not-made");
    const err = await restoreBackup(path, ownKeyFile, into).catch((e) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect(err.message).toContain("was not encrypted to the key in");
    expect(existsSync(into)).toBe(false);
  });

  test("the snapshot holds committed data only, even with a write transaction open elsewhere", async () => {
    const other = new Database(join(hearth.config.dataDir, "hearth.db"));
    other.exec("PRAGMA busy_timeout = 5000; BEGIN IMMEDIATE; DELETE FROM people;");
    // The snapshot (VACUUM INTO) runs in createBackup's synchronous start, while the other
    // transaction is still open; the rollback comes before the backup's own audit row.
    const pending = backup();
    other.exec("ROLLBACK");
    other.close();
    const { path } = await pending;
    const into = join(dir.path, "restored");
    await restoreBackup(path, offline.keyFile, into);
    const restored = new Database(join(into, "hearth.db"), { readonly: true });
    expect(restored.query<{ n: number }, []>("SELECT count(*) AS n FROM people").get()!.n).toBe(profiles.size);
    restored.close();
  });

  test("each backup appends an audit row with no patient data", async () => {
    const { path } = await backup();
    const row = hearth.db.query<{ action: string; subject: string; outcome: string }, []>("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1").get()!;
    expect(row).toMatchObject({ action: "backup.created", outcome: "ok" });
    expect(row.subject).toBe(`backup:${path.split("/").pop()}`);
    expect(hearth.audit.verify().ok).toBe(true);
  });

  test("refuses to back up with no recipients, to the appliance's own key, or over a file", async () => {
    await expect(backup(undefined, [])).rejects.toThrow(/HEARTH_BACKUP_RECIPIENTS/);
    const existing = join(dir.path, "taken.age");
    writeFileSync(existing, "keep me");
    await expect(backup(existing)).rejects.toThrow(/already exists/);
    expect(readFileSync(existing, "utf8")).toBe("keep me");
    await expect(
      createBackup({
        dataDir: hearth.config.dataDir, db: hearth.db, audit: hearth.audit, actor: "cli",
        recipients: [hearth.vault.recipient], applianceRecipient: hearth.vault.recipient, to: join(dir.path, "x.age"),
      }),
    ).rejects.toThrow(/own key/);
  });

  test("restore refuses a non-empty directory and leaves it as it was", async () => {
    const { path } = await backup();
    const into = join(dir.path, "busy");
    mkdirSync(into);
    writeFileSync(join(into, "hearth.db"), "precious");
    await expect(restoreBackup(path, offline.keyFile, into)).rejects.toThrow(/not an empty directory/);
    expect(readdirSync(into)).toEqual(["hearth.db"]);
    expect(readFileSync(join(into, "hearth.db"), "utf8")).toBe("precious");
  });

  test("restore refuses a damaged backup and leaves nothing behind", async () => {
    const { path } = await backup();
    const bytes = readFileSync(path);
    bytes[bytes.length - 100]! ^= 0xff;
    const damaged = join(dir.path, "damaged.age");
    writeFileSync(damaged, bytes);
    const into = join(dir.path, "restored");
    await expect(restoreBackup(damaged, offline.keyFile, into)).rejects.toBeInstanceOf(BackupError);
    expect(existsSync(into)).toBe(false);
  });

  test("retention deletes only the oldest of Hearth's own backup files", async () => {
    const folder = join(dir.path, "backups");
    mkdirSync(folder);
    const names = [0, 1, 2, 3].map((d) => backupFileName(Date.UTC(2026, 0, 1 + d, 2, 30)));
    for (const n of names) writeFileSync(join(folder, n), "x");
    const others = ["notes.txt", "hearth-backup-latest.tar.age", "hearth-backup-20200101T000000Z.tar.age.partial-1"];
    for (const n of others) writeFileSync(join(folder, n), "x");
    expect(names.every((n) => BACKUP_NAME.test(n))).toBe(true);
    expect(await pruneBackups(folder, 2)).toEqual(names.slice(0, 2));
    expect(readdirSync(folder).sort()).toEqual([...names.slice(2), ...others].sort());
  });
});
