import { Database } from "bun:sqlite";
import { join } from "node:path";
import { migrations as allMigrations, type Migration } from "./migrations/index.ts";

export type Db = Database;

export class StoreError extends Error {}

export const DB_FILE = "hearth.db";

export function databasePath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** Opens the appliance database with the pragmas every connection needs. */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): Db {
  let db: Database;
  try {
    db = options.readonly ? new Database(path, { readonly: true }) : new Database(path, { create: true });
  } catch (err) {
    throw new StoreError(`Cannot open the database at ${path}: ${(err as Error).message}`);
  }
  db.exec("PRAGMA busy_timeout = 5000");
  if (!options.readonly) {
    db.exec("PRAGMA journal_mode = WAL");
    // FULL: an acknowledged write survives power loss, which a clinic box will see.
    db.exec("PRAGMA synchronous = FULL");
  }
  db.exec("PRAGMA foreign_keys = ON");
  return db;
}

/**
 * Applies every migration not yet applied, all in one transaction: a failing
 * migration leaves the database exactly as it was.
 */
export function migrate(db: Db, migrations: Migration[] = allMigrations): string[] {
  const hasTable = db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== null;
  const applied = new Set(
    hasTable ? db.query<{ name: string }, []>("SELECT name FROM schema_migrations").all().map((r) => r.name) : [],
  );
  const pending = [...migrations].sort((a, b) => a.name.localeCompare(b.name)).filter((m) => !applied.has(m.name));
  if (pending.length === 0) return [];
  let current = "";
  try {
    db.transaction(() => {
      // Inside the transaction too: a failed first start leaves no trace at all.
      db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
      for (const m of pending) {
        current = m.name;
        db.exec(m.sql);
        db.query("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)").run(m.name, Date.now());
      }
    })();
  } catch (err) {
    throw new StoreError(
      `Migration ${current} failed (${(err as Error).message}); the database was left unchanged.`,
    );
  }
  return pending.map((m) => m.name);
}

/** Columns registered by migrations as holding sealed patient data. */
export function sealedColumns(db: Db): { table: string; column: string }[] {
  return db
    .query<{ table_name: string; column_name: string }, []>(
      "SELECT table_name, column_name FROM vault_columns ORDER BY table_name, column_name",
    )
    .all()
    .map((r) => ({ table: r.table_name, column: r.column_name }));
}

/** Quotes an identifier that came from vault_columns (never from a request). */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new StoreError(`Unexpected identifier ${name}`);
  return `"${name}"`;
}
