import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Audit, rowHash, type AuditRow } from "./audit.ts";
import { migrate, openDatabase, type Db } from "./db.ts";
import { tempDir } from "../../tests/harness.ts";

let dir: ReturnType<typeof tempDir>;
let db: Db;
let audit: Audit;

beforeEach(() => {
  dir = tempDir();
  db = openDatabase(join(dir.path, "hearth.db"));
  migrate(db);
  let t = 1_700_000_000_000;
  audit = new Audit(db, dir.path, () => t++);
  for (let i = 1; i <= 10; i++) audit.append({ actor: `person:${i}`, action: "journal.read", subject: `journal:${i}`, ownerId: i, outcome: "ok" });
});
afterEach(() => {
  db.close();
  dir.remove();
});

/** What someone with raw access to the file can do: the append-only triggers are just SQL. */
function tamper(sql: string, ...params: (string | number | null)[]) {
  db.exec("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;");
  db.query(sql).run(...params);
}

const row = (id: number) => db.query<AuditRow, [number]>("SELECT * FROM audit_log WHERE id = ?").get(id)!;

describe("audit trail", () => {
  test("an untouched chain verifies", () => {
    expect(audit.verify()).toEqual({ ok: true, rows: 10 });
  });

  test("the triggers refuse updates and deletes through SQL", () => {
    expect(() => db.exec("UPDATE audit_log SET outcome = 'denied' WHERE id = 3")).toThrow(/append-only/);
    expect(() => db.exec("DELETE FROM audit_log WHERE id = 3")).toThrow(/append-only/);
  });

  test("an edited row is named", () => {
    tamper("UPDATE audit_log SET actor = 'person:99' WHERE id = 4");
    expect(audit.verify()).toMatchObject({ ok: false, badId: 4, reason: expect.stringContaining("changed") });
  });

  test("an edited row whose own hash was recomputed is caught at the next row", () => {
    const r = { ...row(4), actor: "person:99" };
    tamper("UPDATE audit_log SET actor = ?, hash = ? WHERE id = 4", r.actor, rowHash(r));
    expect(audit.verify()).toMatchObject({ ok: false, badId: 5 });
  });

  test("a deleted row is named", () => {
    tamper("DELETE FROM audit_log WHERE id = 6");
    expect(audit.verify()).toMatchObject({ ok: false, badId: 6, reason: expect.stringContaining("missing") });
  });

  test("a deleted row with the later ones renumbered is caught", () => {
    tamper("DELETE FROM audit_log WHERE id = 6");
    for (let id = 7; id <= 10; id++) tamper("UPDATE audit_log SET id = ? WHERE id = ?", id - 1, id);
    expect(audit.verify()).toMatchObject({ ok: false, badId: 6 });
  });

  test("an inserted row, even with a correct-looking hash, is caught", () => {
    for (let id = 10; id >= 5; id--) tamper("UPDATE audit_log SET id = ? WHERE id = ?", id + 1, id);
    const forged = { id: 5, at: row(4).at + 1, actor: "person:1", action: "journal.read", subject: "journal:2", owner_id: 2, outcome: "ok", prev_hash: row(4).hash };
    tamper(
      "INSERT INTO audit_log (id, at, actor, action, subject, owner_id, outcome, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
      forged.id, forged.at, forged.actor, forged.action, forged.subject, forged.owner_id, forged.outcome, forged.prev_hash, rowHash(forged),
    );
    expect(audit.verify()).toMatchObject({ ok: false, badId: 6 });
  });

  test("a forged row appended at the end is caught by the head file", () => {
    const last = row(10);
    const forged = { id: 11, at: last.at + 1, actor: "system", action: "x", subject: "y", owner_id: null, outcome: "ok", prev_hash: last.hash };
    tamper(
      "INSERT INTO audit_log (id, at, actor, action, subject, owner_id, outcome, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
      forged.id, forged.at, forged.actor, forged.action, forged.subject, forged.owner_id, forged.outcome, forged.prev_hash, rowHash(forged),
    );
    expect(audit.verify()).toMatchObject({ ok: false, badId: 11 });
  });

  test("reordered rows are caught", () => {
    tamper("UPDATE audit_log SET id = -1 WHERE id = 3");
    tamper("UPDATE audit_log SET id = 3 WHERE id = 4");
    tamper("UPDATE audit_log SET id = 4 WHERE id = -1");
    expect(audit.verify()).toMatchObject({ ok: false, badId: 3 });
  });

  test("a truncated tail is caught", () => {
    tamper("DELETE FROM audit_log WHERE id > 7");
    expect(audit.verify()).toMatchObject({ ok: false, badId: 8, reason: "rows 8 to 10 were removed from the end" });
  });

  test("rows name ids only, and the owner can list what was done with their data", () => {
    const mine = audit.forOwner(3);
    expect(mine.map((r) => r.subject)).toEqual(["journal:3"]);
  });

  test("inside a caller's transaction the head moves only once the row is committed", async () => {
    expect(() =>
      db.transaction(() => {
        audit.append({ actor: "system", action: "x", subject: "y", outcome: "ok" });
        throw new Error("rolled back");
      })(),
    ).toThrow("rolled back");
    await Promise.resolve();
    expect(audit.verify()).toEqual({ ok: true, rows: 10 });

    db.transaction(() => audit.append({ actor: "system", action: "x", subject: "y", outcome: "ok" }))();
    await Promise.resolve();
    expect(audit.verify()).toEqual({ ok: true, rows: 11 });
  });
});
