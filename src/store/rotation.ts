import * as age from "age-encryption";
import type { Hearth } from "../context.ts";
import { StoreError, ident, sealedColumns, type Db } from "./db.ts";
import { KeyError, isLocked, promoteNext, readIdentity, slotExists, writeIdentity } from "./keys.ts";
import { Vault, VaultOpenError } from "./vault.ts";
import type { Audit } from "./audit.ts";
import { log } from "../log.ts";

/**
 * Key rotation: a new identity waits in keys/identity.next while every value in every column
 * listed in vault_columns is re-sealed to it. Each batch commits its rows together with its
 * cursor in vault_rotation, so a rotation killed at any moment resumes where it stopped: rows
 * before the cursor are sealed to the new key, rows after it still open with the old one, and
 * the vault holds both keys until the last batch is done. Only then does identity.next replace
 * identity (one rename), and a VACUUM rewrites the file so no page keeps old ciphertext.
 */
export interface RotationProgress {
  done: number;
  total: number;
}

export interface ResealOptions {
  batchSize?: number;
  /** Called after each committed batch. */
  onBatch?: (p: RotationProgress) => void | Promise<void>;
  /** Give the event loop a turn between batches, so a serving process keeps answering. */
  yieldBetweenBatches?: boolean;
  /** Stops between batches (the server is shutting down); the cursor keeps the place. */
  signal?: AbortSignal;
}

const DEFAULT_BATCH = 200;

function countSealed(db: Db, table: string, column: string, upToRowid = Number.MAX_SAFE_INTEGER): number {
  return db
    .query<{ n: number }, [number]>(`SELECT count(*) AS n FROM ${ident(table)} WHERE ${ident(column)} IS NOT NULL AND rowid <= ?`)
    .get(upToRowid)!.n;
}

function cursorOf(db: Db, table: string, column: string): number {
  return (
    db
      .query<{ last_rowid: number }, [string, string]>("SELECT last_rowid FROM vault_rotation WHERE table_name = ? AND column_name = ?")
      .get(table, column)?.last_rowid ?? 0
  );
}

/** Re-seals every registered column's values to the vault's current recipient, batch by batch. */
export async function resealAll(db: Db, vault: Vault, opts: ResealOptions = {}): Promise<RotationProgress & { complete: boolean }> {
  const size = opts.batchSize ?? DEFAULT_BATCH;
  const columns = sealedColumns(db);
  let total = 0;
  let done = 0;
  for (const { table, column } of columns) {
    total += countSealed(db, table, column);
    done += countSealed(db, table, column, cursorOf(db, table, column));
  }
  const save = db.query(
    `INSERT INTO vault_rotation (table_name, column_name, last_rowid) VALUES (?, ?, ?)
     ON CONFLICT (table_name, column_name) DO UPDATE SET last_rowid = excluded.last_rowid`,
  );
  for (const { table, column } of columns) {
    const t = ident(table);
    const c = ident(column);
    const select = db.query<{ id: number; v: Uint8Array }, [number, number]>(
      `SELECT rowid AS id, ${c} AS v FROM ${t} WHERE rowid > ? AND ${c} IS NOT NULL ORDER BY rowid LIMIT ?`,
    );
    // Only if the value is still the one we read: a serving process may have written a newer
    // one meanwhile, and it seals to the new key already.
    const update = db.query(`UPDATE ${t} SET ${c} = ? WHERE rowid = ? AND ${c} = ?`);
    let cursor = cursorOf(db, table, column);
    for (;;) {
      if (opts.signal?.aborted) return { done, total, complete: false };
      const batch = select.all(cursor, size);
      if (batch.length === 0) break;
      const resealed: Uint8Array[] = [];
      for (const row of batch) {
        try {
          resealed.push(await vault.reseal(row.v));
        } catch (err) {
          if (!(err instanceof VaultOpenError)) throw err;
          throw new StoreError(
            `The value in ${table}.${column} row ${row.id} opens with neither the old nor the new key, so the rotation stopped there; nothing was lost, and the earlier batches are done. Restore that row from a backup, then run hearth keys rotate again.`,
          );
        }
      }
      const last = batch[batch.length - 1]!.id;
      db.transaction(() => {
        batch.forEach((row, i) => update.run(resealed[i]!, row.id, row.v));
        save.run(table, column, last);
      }).immediate();
      cursor = last;
      done += batch.length;
      await opts.onBatch?.({ done, total });
      if (opts.yieldBetweenBatches) await new Promise((r) => setImmediate(r));
    }
  }
  return { done, total, complete: true };
}

/** The last steps: the new key becomes the key, the cursor goes, old pages are rewritten. */
function finish(dataDir: string, db: Db, audit: Audit, actor: string): void {
  promoteNext(dataDir);
  db.exec("DELETE FROM vault_rotation");
  audit.append({ actor, action: "keys.rotated", subject: "appliance", outcome: "ok" });
  db.exec("VACUUM");
  // The WAL still holds the pre-VACUUM pages until it is checkpointed and cut back.
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

export interface RotateResult {
  resumed: boolean;
  values: number;
}

/**
 * `hearth keys rotate`: starts a rotation, or resumes one that was cut short. The caller makes
 * sure no server is serving the data dir.
 */
export async function rotateKeys(
  dataDir: string,
  db: Db,
  audit: Audit,
  passphrase: string | undefined,
  opts: ResealOptions = {},
): Promise<RotateResult> {
  const locked = isLocked(dataDir);
  if (locked && !passphrase) {
    throw new KeyError("The appliance key is locked; set HEARTH_KEY_PASSPHRASE (or run this on a terminal to be asked for it).");
  }
  const current = await readIdentity(dataDir, "identity", passphrase);
  const resumed = slotExists(dataDir, "identity.next");
  if (!resumed) {
    // A cursor left by an earlier rotation (stopped after its rename) must not skip rows now.
    db.exec("DELETE FROM vault_rotation");
    // A locked key stays locked, with the same passphrase.
    await writeIdentity(dataDir, "identity.next", await age.generateIdentity(), locked ? passphrase : undefined);
  }
  const next = await readIdentity(dataDir, "identity.next", passphrase);
  const vault = new Vault();
  await vault.unlock([next, current]);
  const { total } = await resealAll(db, vault, opts);
  finish(dataDir, db, audit, "cli");
  return { resumed, values: total };
}

/**
 * A serving process whose data dir holds identity.next finishes that rotation itself, in the
 * background, once its vault is unlocked (it already opens with both keys). Returns a promise
 * for tests and for a clean stop; null when there is nothing to finish.
 */
export function finishRotationWhenUnlocked(hearth: Hearth, signal?: AbortSignal): Promise<void> | null {
  const { dataDir } = hearth.config;
  if (!slotExists(dataDir, "identity.next")) return null;
  return new Promise<void>((resolve, reject) => {
    let started = false;
    const start = () => {
      if (started || !hearth.vault.unlocked) return;
      started = true;
      void run().then(resolve, reject);
    };
    const run = async () => {
      log.info("finishing an interrupted key rotation");
      const t0 = Date.now();
      const { total, complete } = await resealAll(hearth.db, hearth.vault, { yieldBetweenBatches: true, signal });
      if (!complete) return log.info("key rotation paused until the next start");
      finish(dataDir, hearth.db, hearth.audit, "system");
      await hearth.vault.retireOlderKeys();
      log.info("key rotation finished", { values: total, ms: Date.now() - t0 });
    };
    // Stopped while still locked: nothing was started, nothing to wait for.
    signal?.addEventListener("abort", () => {
      if (!started) resolve();
    });
    hearth.vault.onUnlock(start);
    start();
  });
}
