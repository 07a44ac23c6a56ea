import { afterEach, describe, expect, test } from "bun:test";
import * as age from "age-encryption";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openHearth } from "../server.ts";
import type { Hearth } from "../context.ts";
import { Vault } from "./vault.ts";
import { isLocked, readIdentity, slotExists, writeIdentity } from "./keys.ts";
import { resealAll, rotateKeys } from "./rotation.ts";
import { Audit } from "./audit.ts";
import { openDatabase } from "./db.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";

const MAIN = join(import.meta.dir, "..", "main.ts");
let dir: ReturnType<typeof tempDir>;
afterEach(() => dir?.remove());

async function seeded(rows: number): Promise<{ hearth: Hearth; plain: Map<number, string> }> {
  dir = tempDir();
  const hearth = await openHearth(testConfig(dir.path));
  const plain = new Map<number, string>();
  const sealed: [string, Uint8Array][] = [];
  for (let i = 0; i < rows; i++) {
    const text = `profile ${i} ${crypto.randomUUID()}`;
    sealed.push([text, await hearth.vault.seal(text)]);
  }
  const insert = hearth.db.query("INSERT INTO people (role, profile, created_at) VALUES ('patient', ?, 0)");
  hearth.db.transaction(() => {
    for (const [text, s] of sealed) plain.set(Number(insert.run(s).lastInsertRowid), text);
  })();
  return { hearth, plain };
}

async function vaultOf(...ids: string[]): Promise<Vault> {
  const v = new Vault();
  await v.unlock(ids);
  return v;
}

async function openable(db: Hearth["db"], vault: Vault): Promise<number> {
  let n = 0;
  for (const r of db.query<{ profile: Uint8Array }, []>("SELECT profile FROM people").all()) {
    if (await vault.open(r.profile).then(() => true, () => false)) n++;
  }
  return n;
}

describe("key rotation", () => {
  test("SIGKILL mid-rotation loses nothing, and a re-run finishes with only the new key", async () => {
    const { hearth, plain } = await seeded(2500);
    const oldId = await readIdentity(dir.path, "identity");
    const oldSample = hearth.db.query<{ profile: Uint8Array }, []>("SELECT profile FROM people WHERE id % 500 = 1").all().map((r) => Buffer.from(r.profile));
    hearth.db.close();

    const env = { ...process.env, HEARTH_DATA_DIR: dir.path };
    const child = Bun.spawn(["bun", MAIN, "keys", "rotate", "--progress", "--batch-size", "100"], { env, stdout: "pipe", stderr: "pipe" });
    const reader = child.stderr.getReader();
    let seen = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
      const pct = [...seen.matchAll(/rotating keys (\d+)%/g)].map((m) => Number(m[1])).pop() ?? 0;
      if (pct >= 20) {
        child.kill("SIGKILL");
        break;
      }
    }
    await child.exited;
    expect(child.signalCode).toBe("SIGKILL");

    // Truly cut short: some values moved to the new key, some not, all readable with both.
    expect(slotExists(dir.path, "identity.next")).toBe(true);
    const nextId = await readIdentity(dir.path, "identity.next");
    const db = openDatabase(join(dir.path, "hearth.db"));
    const cursor = db.query<{ last_rowid: number }, []>("SELECT last_rowid FROM vault_rotation").get()!.last_rowid;
    expect(cursor).toBeGreaterThan(0);
    const moved = await openable(db, await vaultOf(nextId));
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(plain.size);
    expect(await openable(db, await vaultOf(nextId, oldId))).toBe(plain.size);
    db.close();

    const rerun = Bun.spawnSync(["bun", MAIN, "keys", "rotate"], { env });
    expect(rerun.exitCode).toBe(0);
    expect(rerun.stdout.toString()).toContain("finished an interrupted rotation");

    expect(slotExists(dir.path, "identity.next")).toBe(false);
    expect(await readIdentity(dir.path, "identity")).toBe(nextId);
    const after = openDatabase(join(dir.path, "hearth.db"));
    const onlyNew = await vaultOf(nextId);
    const onlyOld = await vaultOf(oldId);
    for (const r of after.query<{ id: number; profile: Uint8Array }, []>("SELECT id, profile FROM people").all()) {
      expect(await onlyNew.openText(r.profile)).toBe(plain.get(r.id)!);
      expect(await onlyOld.open(r.profile).then(() => true, () => false)).toBe(false);
    }
    expect(after.query("SELECT * FROM vault_rotation").all()).toEqual([]);
    expect(new Audit(after, dir.path).verify().ok).toBe(true);
    after.close();
    // VACUUM and a WAL truncation left no page with the old ciphertext.
    const raw = Buffer.concat(["hearth.db", "hearth.db-wal"].filter((f) => existsSync(join(dir.path, f))).map((f) => readFileSync(join(dir.path, f))));
    for (const old of oldSample) expect(raw.includes(old.subarray(0, 200))).toBe(false);
  }, 60_000);

  test("a locked key stays locked, with the same passphrase", async () => {
    const { hearth, plain } = await seeded(20);
    const pass = "correct horse battery staple";
    await writeIdentity(dir.path, "identity", await readIdentity(dir.path, "identity"), pass);
    await rotateKeys(dir.path, hearth.db, hearth.audit, pass);
    expect(isLocked(dir.path)).toBe(true);
    expect(existsSync(join(dir.path, "keys", "identity"))).toBe(false);
    const id = await readIdentity(dir.path, "identity", pass);
    expect(await openable(hearth.db, await vaultOf(id))).toBe(plain.size);
    hearth.db.close();
  }, 30_000);

  test("a value no key opens stops the rotation with the row named, and nothing is lost", async () => {
    const { hearth, plain } = await seeded(30);
    const foreign = await (await vaultOf(await age.generateIdentity())).seal("sealed elsewhere");
    hearth.db.query("UPDATE people SET profile = ? WHERE id = 12").run(foreign);
    const err = await rotateKeys(dir.path, hearth.db, hearth.audit, undefined, { batchSize: 5 }).catch((e) => e);
    expect(err.message).toMatch(/^The value in people\.profile row 12 opens with neither the old nor the new key/);
    // Rows before it moved, rows after it did not, and every other value still opens.
    const both = await vaultOf(await readIdentity(dir.path, "identity.next"), await readIdentity(dir.path, "identity"));
    expect(await openable(hearth.db, both)).toBe(plain.size - 1);
    hearth.db.close();
  });

  test("a value written by the server while its batch is being re-sealed is kept", async () => {
    const { hearth } = await seeded(50);
    const next = await age.generateIdentity();
    const vault = await vaultOf(next, await readIdentity(dir.path, "identity"));
    const newer = await vault.seal("written during the rotation");
    // resealAll reads its first batch synchronously, then awaits the sealing.
    const running = resealAll(hearth.db, vault, { batchSize: 1000 });
    hearth.db.query("UPDATE people SET profile = ? WHERE id = 7").run(newer);
    await running;
    const row = hearth.db.query<{ profile: Uint8Array }, []>("SELECT profile FROM people WHERE id = 7").get()!;
    expect(await (await vaultOf(next)).openText(row.profile)).toBe("written during the rotation");
    hearth.db.close();
  });

  test("serve finishes an interrupted rotation by itself while /healthz keeps answering", async () => {
    const { hearth, plain } = await seeded(2500);
    // Cut short after the first committed batch, as a crash would.
    const cut = await rotateKeys(dir.path, hearth.db, hearth.audit, undefined, {
      batchSize: 100,
      onBatch: () => {
        throw new Error("power cut");
      },
    }).catch((e) => e);
    expect(cut.message).toBe("power cut");
    hearth.db.close();
    const nextId = await readIdentity(dir.path, "identity.next");

    const child = Bun.spawn(["bun", MAIN, "serve"], {
      env: { ...process.env, HEARTH_DATA_DIR: dir.path, HEARTH_PORT: "0", HEARTH_HOST: "127.0.0.1" },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      const reader = child.stderr.getReader();
      let log = "";
      let answeredDuring = 0;
      while (!log.includes("key rotation finished")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`serve exited early:\n${log}`);
        log += new TextDecoder().decode(value);
        const url = /hearth serving url="([^"]+)"/.exec(log)?.[1];
        if (url && !log.includes("key rotation finished") && answeredDuring === 0) {
          const res = await fetch(`${url}/healthz`);
          // identity.next goes only when the last batch is done: the answer came mid-rotation.
          if (res.status === 200 && slotExists(dir.path, "identity.next")) answeredDuring++;
        }
      }
      expect(log).toContain("finishing an interrupted key rotation");
      expect(answeredDuring).toBe(1);
    } finally {
      child.kill("SIGTERM");
      await child.exited;
    }
    expect(slotExists(dir.path, "identity.next")).toBe(false);
    expect(await readIdentity(dir.path, "identity")).toBe(nextId);
    const db = openDatabase(join(dir.path, "hearth.db"));
    expect(await openable(db, await vaultOf(nextId))).toBe(plain.size);
    db.close();
  }, 60_000);
});
