import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { migrate, openDatabase } from "./db.ts";
import { tempDir } from "../../tests/harness.ts";

let dir: ReturnType<typeof tempDir>;
afterEach(() => dir?.remove());

// Key rotation (rotation.ts) walks every registered sealed column by rowid, batch by batch, and
// keeps its cursor as a rowid: a sealed column on a WITHOUT ROWID table would stop every rotation.
test("every sealed column is registered on a table that exists, has that column, and has a rowid", () => {
  dir = tempDir();
  const db = openDatabase(join(dir.path, "hearth.db"));
  migrate(db);
  const columns = db.query<{ table_name: string; column_name: string }, []>("SELECT table_name, column_name FROM vault_columns").all();
  expect(columns.length).toBeGreaterThan(10);
  const wrong: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const info = db.query<{ name: string }, []>(`SELECT name FROM pragma_table_info('${table.replaceAll("'", "''")}')`).all();
    if (!info.some((c) => c.name === column)) wrong.push(`${table}.${column}: no such column`);
    const sql = db.query<{ sql: string }, [string]>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table)?.sql ?? "";
    if (/WITHOUT\s+ROWID/i.test(sql)) wrong.push(`${table}: WITHOUT ROWID`);
  }
  db.close();
  expect(wrong).toEqual([]);
});
