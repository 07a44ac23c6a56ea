import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { StoreError, migrate, openDatabase } from "./db.ts";
import { migrations } from "./migrations/index.ts";
import { tempDir } from "../../tests/harness.ts";

let dir: ReturnType<typeof tempDir>;
afterEach(() => dir?.remove());

function fresh() {
  dir = tempDir();
  return openDatabase(join(dir.path, "hearth.db"));
}

const tables = (db: ReturnType<typeof fresh>) =>
  db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);

describe("database", () => {
  test("every connection gets WAL, foreign keys, a busy timeout and full sync", () => {
    const db = fresh();
    expect(db.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
    expect(db.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()!.foreign_keys).toBe(1);
    expect(db.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()!.timeout).toBe(5000);
    expect(db.query<{ synchronous: number }, []>("PRAGMA synchronous").get()!.synchronous).toBe(2);
    db.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id))");
    expect(() => db.exec("INSERT INTO child VALUES (42)")).toThrow(/FOREIGN KEY/);
    db.close();
  });

  test("applies the numbered migrations once, in order", () => {
    const db = fresh();
    expect(migrate(db)).toEqual(migrations.map((m) => m.name));
    expect(migrate(db)).toEqual([]);
    expect(tables(db)).toContain("people");
    expect(tables(db)).toContain("audit_log");
    const order = [{ name: "0002_b", sql: "CREATE TABLE b (x REFERENCES a(x))" }, { name: "0001_a", sql: "CREATE TABLE a (x PRIMARY KEY)" }];
    expect(migrate(db, order)).toEqual(["0001_a", "0002_b"]);
    db.close();
  });

  test("a failing migration leaves the database exactly as it was and names itself", () => {
    const db = fresh();
    migrate(db, [{ name: "0001_a", sql: "CREATE TABLE a (x); INSERT INTO a VALUES (1);" }]);
    const before = tables(db);
    const bad = [
      { name: "0001_a", sql: "unused: already applied" },
      { name: "0002_b", sql: "CREATE TABLE b (y); INSERT INTO a VALUES (2);" },
      { name: "0003_c", sql: "CREATE TABLE c (z); THIS IS NOT SQL;" },
    ];
    let err: unknown;
    try {
      migrate(db, bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/^Migration 0003_c failed \(.*\); the database was left unchanged\.$/);
    expect(tables(db)).toEqual(before);
    expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM a").get()!.n).toBe(1);
    expect(db.query<{ name: string }, []>("SELECT name FROM schema_migrations").all().map((r) => r.name)).toEqual(["0001_a"]);
    db.close();
  });

  test("an unopenable path is a StoreError naming the path", () => {
    dir = tempDir();
    expect(() => openDatabase(join(dir.path, "missing", "hearth.db"))).toThrow(StoreError);
  });
});
