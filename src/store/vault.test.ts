import { afterEach, describe, expect, test } from "bun:test";
import * as age from "age-encryption";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Vault, VaultLockedError, VaultOpenError, isSealed } from "./vault.ts";
import { openHearth } from "../server.ts";
import { sealedColumns, ident } from "./db.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";

async function vaultWith(...ids: string[]): Promise<Vault> {
  const v = new Vault();
  await v.unlock(ids);
  return v;
}

describe("vault", () => {
  test("seals to age ciphertext and opens it again", async () => {
    const v = await vaultWith(await age.generateIdentity());
    const sealed = await v.seal("Ada, she/her");
    expect(isSealed(sealed)).toBe(true);
    expect(new TextDecoder().decode(sealed)).not.toContain("Ada");
    expect(await v.openText(sealed)).toBe("Ada, she/her");
    expect(await v.openJson(await v.sealJson({ a: [1, 2] }))).toEqual({ a: [1, 2] });
  });

  test("values of every size round-trip, across age's 64 KiB chunk boundaries", async () => {
    // patches/age-encryption grows the chunk buffer as data arrives instead of 64 KiB per value.
    const v = await vaultWith(await age.generateIdentity());
    for (const n of [0, 1, 1024, 65535, 65536, 65537, 2 * 65536 + 7]) {
      const value = new Uint8Array(n);
      for (let o = 0; o < n; o += 65536) crypto.getRandomValues(value.subarray(o, Math.min(n, o + 65536)));
      const sealed = await v.seal(value);
      expect(Buffer.from(await v.open(sealed)).equals(Buffer.from(value))).toBe(true);
      // Truncating a multi-chunk value is caught, not silently shortened.
      if (n > 65536) await expect(v.open(sealed.subarray(0, sealed.length - 20))).rejects.toBeInstanceOf(VaultOpenError);
    }
  });

  test("a locked vault refuses to seal or open", async () => {
    const v = await vaultWith(await age.generateIdentity());
    const sealed = await v.seal("x");
    v.lock();
    expect(v.unlocked).toBe(false);
    await expect(v.seal("x")).rejects.toBeInstanceOf(VaultLockedError);
    await expect(v.open(sealed)).rejects.toBeInstanceOf(VaultLockedError);
  });

  test("a value sealed to another key cannot be opened, and the error names no content", async () => {
    const mine = await vaultWith(await age.generateIdentity());
    const theirs = await vaultWith(await age.generateIdentity());
    const sealed = await theirs.seal("secret note");
    const err = await mine.open(sealed).catch((e) => e);
    expect(err).toBeInstanceOf(VaultOpenError);
    expect(String(err.message)).not.toContain("secret");
    await expect(mine.open(new Uint8Array([1, 2, 3]))).rejects.toBeInstanceOf(VaultOpenError);
  });

  test("extra recipients can open a value with their own identity alone", async () => {
    const v = await vaultWith(await age.generateIdentity());
    const extraId = await age.generateIdentity();
    const sealed = await v.seal("shared journal", [await age.identityToRecipient(extraId)]);
    const d = new age.Decrypter();
    d.addIdentity(extraId);
    expect(await d.decrypt(sealed, "text")).toBe("shared journal");
    expect(await v.openText(sealed)).toBe("shared journal");
  });

  test("reseal moves a value to the new key and keeps its extra recipients", async () => {
    const oldId = await age.generateIdentity();
    const newId = await age.generateIdentity();
    const extraId = await age.generateIdentity();
    const before = await vaultWith(oldId);
    const shared = await before.seal("shared", [await age.identityToRecipient(extraId)]);
    const plain = await before.seal("plain");

    const rotating = await vaultWith(newId, oldId);
    const shared2 = await rotating.reseal(shared);
    const plain2 = await rotating.reseal(plain);

    const onlyNew = await vaultWith(newId);
    const onlyOld = await vaultWith(oldId);
    expect(await onlyNew.openText(shared2)).toBe("shared");
    expect(await onlyNew.openText(plain2)).toBe("plain");
    await expect(onlyOld.open(shared2)).rejects.toBeInstanceOf(VaultOpenError);
    await expect(onlyOld.open(plain2)).rejects.toBeInstanceOf(VaultOpenError);
    const d = new age.Decrypter();
    d.addIdentity(extraId);
    expect(await d.decrypt(shared2, "text")).toBe("shared");
    // A value with no extra recipients gains none.
    const d2 = new age.Decrypter();
    d2.addIdentity(extraId);
    await expect(d2.decrypt(plain2)).rejects.toThrow();
  });
});

describe("sealed columns on disk", () => {
  let dir: ReturnType<typeof tempDir>;
  afterEach(() => dir?.remove());

  function rawContains(dataDir: string, needle: string): boolean {
    const bytes = Buffer.from(needle, "utf8");
    return ["hearth.db", "hearth.db-wal"].some((f) => {
      const p = join(dataDir, f);
      return existsSync(p) && readFileSync(p).includes(bytes);
    });
  }

  test("a sealed people.profile leaves no plaintext in hearth.db or hearth.db-wal", async () => {
    dir = tempDir();
    const hearth = await openHearth(testConfig(dir.path), { create: true });
    const marker = `Zephyrine Quixotic-${crypto.randomUUID()}`;
    const profile = await hearth.vault.sealJson({ name: marker, pronouns: "they/them" });
    hearth.db.query("INSERT INTO people (role, profile, created_at) VALUES ('patient', ?, ?)").run(profile, Date.now());
    expect(existsSync(join(dir.path, "hearth.db-wal"))).toBe(true);
    expect(rawContains(dir.path, marker)).toBe(false);

    // Control: the same search does find a value written without sealing, so the check can fail.
    const control = `Control-${crypto.randomUUID()}`;
    hearth.db.exec("CREATE TABLE scratch (v TEXT)");
    hearth.db.query("INSERT INTO scratch VALUES (?)").run(control);
    expect(rawContains(dir.path, control)).toBe(true);

    // After a checkpoint the main file holds the pages: still nothing.
    hearth.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(rawContains(dir.path, marker)).toBe(false);
    hearth.db.close();
  });

  test("every registered sealed column holds only age ciphertext", async () => {
    dir = tempDir();
    const hearth = await openHearth(testConfig(dir.path), { create: true });
    hearth.db.query("INSERT INTO people (role, profile, created_at) VALUES ('admin', ?, ?)").run(await hearth.vault.seal("{}"), 1);
    const cols = sealedColumns(hearth.db);
    expect(cols).toContainEqual({ table: "people", column: "profile" });
    for (const { table, column } of cols) {
      for (const row of hearth.db.query<{ v: unknown }, []>(`SELECT ${ident(column)} AS v FROM ${ident(table)}`).all()) {
        if (row.v !== null) expect(isSealed(row.v)).toBe(true);
      }
    }
    expect(isSealed(new TextEncoder().encode("{}"))).toBe(false);
    hearth.db.close();
  });
});
