import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import * as age from "age-encryption";
import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join, relative } from "node:path";
import { openHearth, startServer } from "./server.ts";
import { readIdentity, writeIdentity } from "./store/keys.ts";
import { createBackup } from "./store/backup.ts";
import { tempDir, testConfig } from "../tests/harness.ts";

/**
 * Every CLI failure a person can cause: one clear line on stderr saying what to fix, a non-zero
 * exit, and nothing already on disk changed. Each case runs the real CLI as a child process.
 */
const MAIN = join(import.meta.dir, "main.ts");
let dir: ReturnType<typeof tempDir>;
afterEach(() => dir?.remove());

function hearth(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const res = Bun.spawnSync(["bun", MAIN, ...args], {
    env: { ...process.env, HEARTH_LOG_LEVEL: "info", ...env },
    cwd: cwd ?? dir.path,
    stdin: "ignore",
  });
  const lines = res.stderr.toString().split("\n").filter((l) => l.trim() !== "");
  return { code: res.exitCode, lines, stdout: res.stdout.toString() };
}

/** A data dir that has been started once: migrated, keyed, with an audit row. */
async function readyDataDir(): Promise<string> {
  dir = tempDir();
  const data = join(dir.path, "data");
  const h = await openHearth(testConfig(data));
  h.db.query("INSERT INTO people (role, profile, created_at) VALUES ('admin', ?, 0)").run(await h.vault.seal("{}"));
  h.audit.append({ actor: "system", action: "person.created", subject: "person:1", outcome: "ok" });
  h.db.close();
  return data;
}

/** Path → sha256 of every file under root: "nothing overwritten" is this map being equal. */
function fingerprint(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(root);
  return out;
}

function expectOneLine(r: ReturnType<typeof hearth>, code: number, pattern: RegExp) {
  expect({ code: r.code, lines: r.lines }).toEqual({ code, lines: [expect.stringMatching(pattern)] });
}

describe("CLI failures", () => {
  test("malformed key file", async () => {
    const data = await readyDataDir();
    writeFileSync(join(data, "keys", "identity"), "-----BEGIN PRIVATE KEY-----\n", { mode: 0o600 });
    const before = fingerprint(data);
    expectOneLine(hearth(["serve"], { HEARTH_DATA_DIR: data, HEARTH_PORT: "0" }), 1, /^hearth serve: The key file .*keys\/identity is not an age identity .*Restore it from your key backup\.$/);
    expect(fingerprint(data)).toEqual(before);
  });

  test("key file readable by others", async () => {
    const data = await readyDataDir();
    const key = join(data, "keys", "identity");
    chmodSync(key, 0o644);
    const before = fingerprint(data);
    expectOneLine(hearth(["keys", "rotate"], { HEARTH_DATA_DIR: data }), 1, new RegExp(`^hearth keys rotate: The key file ${key} is readable by others \\(mode 644\\); run: chmod 600 ${key}$`));
    expect(fingerprint(data)).toEqual(before);
    expect(statSync(key).mode & 0o777).toBe(0o644);
  });

  test("wrong passphrase", async () => {
    const data = await readyDataDir();
    await writeIdentity(data, "identity", await readIdentity(data, "identity"), "the right passphrase");
    const before = fingerprint(data);
    expectOneLine(hearth(["serve"], { HEARTH_DATA_DIR: data, HEARTH_PORT: "0", HEARTH_KEY_PASSPHRASE: "a wrong passphrase" }), 1, /^hearth serve: Wrong passphrase for the appliance key/);
    expect(fingerprint(data)).toEqual(before);
    expect(existsSync(join(data, "hearth.pid"))).toBe(false);
  }, 30_000);

  test("unknown flag", async () => {
    const data = await readyDataDir();
    const before = fingerprint(data);
    expectOneLine(hearth(["backup", "--too", "x.age"], { HEARTH_DATA_DIR: data }), 2, /^hearth backup: unknown option --too\. Usage: hearth backup \[--to FILE\]/);
    expectOneLine(hearth(["restor", "x"], { HEARTH_DATA_DIR: data }), 2, /^hearth: unknown command "restor x"\. Run "hearth --help" for the list\.$/);
    expectOneLine(hearth(["restore", "x.age"], { HEARTH_DATA_DIR: data }), 2, /--identity KEYFILE and --into DIR are both required/);
    expect(fingerprint(data)).toEqual(before);
    expect(existsSync(join(dir.path, "x.age"))).toBe(false);
  });

  test("missing backup recipients", async () => {
    const data = await readyDataDir();
    const before = fingerprint(data);
    const outDir = join(dir.path, "out");
    mkdirSync(outDir);
    expectOneLine(hearth(["backup"], { HEARTH_DATA_DIR: data, HEARTH_BACKUP_RECIPIENTS: "" }, outDir), 1, /^hearth backup: No backup recipients: set HEARTH_BACKUP_RECIPIENTS to the clinic's offline age public key/);
    expectOneLine(hearth(["backup"], { HEARTH_DATA_DIR: data, HEARTH_BACKUP_RECIPIENTS: "age1nope" }, outDir), 1, /^hearth backup: HEARTH_BACKUP_RECIPIENTS must be comma-separated age public keys/);
    expect(readdirSync(outDir)).toEqual([]);
    expect(fingerprint(data)).toEqual(before);
  });

  test("non-empty restore directory", async () => {
    const data = await readyDataDir();
    const offline = await age.generateIdentity();
    const keyFile = join(dir.path, "offline.key");
    writeFileSync(keyFile, offline + "\n", { mode: 0o600 });
    const h = await openHearth(testConfig(data));
    const file = join(dir.path, "b.tar.age");
    await createBackup({ dataDir: data, db: h.db, audit: h.audit, actor: "cli", recipients: [await age.identityToRecipient(offline)], to: file });
    h.db.close();
    const into = join(dir.path, "existing");
    mkdirSync(into);
    writeFileSync(join(into, "hearth.db"), "the clinic's live data");
    const before = fingerprint(into);
    expectOneLine(hearth(["restore", file, "--identity", keyFile, "--into", into]), 1, /^hearth restore: .*existing is not an empty directory; restore into a new or empty one \(restore never overwrites anything\)\.$/);
    expect(fingerprint(into)).toEqual(before);
    // And with the appliance's own key instead of the offline one: refused, nothing made.
    const fresh = join(dir.path, "fresh");
    expectOneLine(hearth(["restore", file, "--identity", join(data, "keys", "identity"), "--into", fresh]), 1, /was not encrypted to the key in .*offline backup key/);
    expect(existsSync(fresh)).toBe(false);
  });

  test("data dir not writable", async () => {
    dir = tempDir();
    let data: string;
    if (process.getuid?.() === 0) {
      // root writes through any mode bits; a read-only filesystem stops root too.
      data = "/sys/hearth-cli-test-data";
    } else {
      data = join(dir.path, "readonly");
      mkdirSync(data, { mode: 0o500 });
    }
    expectOneLine(hearth(["serve"], { HEARTH_DATA_DIR: data, HEARTH_PORT: "0" }), 1, new RegExp(`^hearth serve: The data directory ${data} is not writable by this user; fix its owner or permissions, or set HEARTH_DATA_DIR\\.$`));
    expect(existsSync(join(data, "keys"))).toBe(false);
  });

  describe("port in use", () => {
    let holder: Server;
    let port: number;
    beforeAll(async () => {
      holder = createServer(() => {});
      await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
      port = (holder.address() as { port: number }).port;
    });
    afterAll(() => holder.close());

    test("names the port and what to do", async () => {
      const data = await readyDataDir();
      const before = fingerprint(data);
      expectOneLine(
        hearth(["serve"], { HEARTH_DATA_DIR: data, HEARTH_PORT: String(port), HEARTH_HOST: "127.0.0.1" }),
        1,
        new RegExp(`^hearth serve: Port ${port} on 127\\.0\\.0\\.1 is already in use; stop the other program or set HEARTH_PORT\\.$`),
      );
      expect(fingerprint(data)).toEqual(before);
      expect(existsSync(join(data, "hearth.pid"))).toBe(false);
    });

    test("a second Hearth on another data dir cannot share the first one's port", async () => {
      const first = tempDir();
      const running = await startServer(testConfig(first.path), { quiet: true });
      try {
        const data = await readyDataDir();
        expectOneLine(
          hearth(["serve"], { HEARTH_DATA_DIR: data, HEARTH_PORT: String(running.port), HEARTH_HOST: "127.0.0.1" }),
          1,
          new RegExp(`^hearth serve: Port ${running.port} on 127\\.0\\.0\\.1 is already in use`),
        );
      } finally {
        await running.stop();
        first.remove();
      }
    });
  });

  test("a failing migration exits with a clear message and leaves the database as it was", async () => {
    dir = tempDir();
    const data = join(dir.path, "data");
    mkdirSync(data, { mode: 0o700 });
    // A database someone made by hand: the first migration cannot create its tables.
    const db = new Database(join(data, "hearth.db"));
    db.exec("CREATE TABLE people (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO people (note) VALUES ('kept')");
    db.close();
    const schema = () => {
      const d = new Database(join(data, "hearth.db"), { readonly: true });
      const s = { master: d.query("SELECT type, name, sql FROM sqlite_master ORDER BY name").all(), people: d.query("SELECT * FROM people").all() };
      d.close();
      return s;
    };
    const before = schema();
    expectOneLine(hearth(["serve"], { HEARTH_DATA_DIR: data, HEARTH_PORT: "0" }), 1, /^hearth serve: Migration 0001_core failed \(.*already exists\); the database was left unchanged\.$/);
    // Same tables, same rows: not even the migrations table was left behind.
    expect(schema()).toEqual(before);
    expect(before.people).toEqual([{ id: 1, note: "kept" }]);
  });

  test("audit verify names the first bad row and exits 1", async () => {
    const data = await readyDataDir();
    const ok = hearth(["audit", "verify"], { HEARTH_DATA_DIR: data });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("audit trail intact: 1 rows");
    const db = new Database(join(data, "hearth.db"));
    db.exec("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET subject = 'person:2' WHERE id = 1");
    db.close();
    expectOneLine(hearth(["audit", "verify"], { HEARTH_DATA_DIR: data }), 1, /^audit trail broken at row 1: row 1 was changed after it was written$/);
  });

  test("while a server is serving: keys rotate and keys passphrase refuse, backup works", async () => {
    const data = await readyDataDir();
    const running = await startServer(testConfig(data), { quiet: true });
    try {
      const before = fingerprint(join(data, "keys"));
      expectOneLine(hearth(["keys", "rotate"], { HEARTH_DATA_DIR: data }), 1, new RegExp(`^hearth keys rotate: Hearth \\(pid ${process.pid}\\) is serving ${data}; stop it first, then run hearth keys rotate again\\.$`));
      expectOneLine(hearth(["keys", "passphrase"], { HEARTH_DATA_DIR: data, HEARTH_NEW_KEY_PASSPHRASE: "a long new passphrase" }), 1, /is serving .*; stop it first/);
      expect(fingerprint(join(data, "keys"))).toEqual(before);
      const recipient = await age.identityToRecipient(await age.generateIdentity());
      const out = join(dir.path, "live.tar.age");
      const r = hearth(["backup", "--to", out], { HEARTH_DATA_DIR: data, HEARTH_BACKUP_RECIPIENTS: recipient });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`backup written: ${out}`);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    } finally {
      await running.stop();
    }
  });
});
