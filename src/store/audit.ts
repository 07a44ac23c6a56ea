import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "./db.ts";

/**
 * The tamper-evident audit trail: an append-only table where each row carries the
 * SHA-256 of its content and of the previous row's hash. The newest (id, hash) is also
 * written to data/audit-head, outside the database, so cutting rows off the end shows too.
 *
 * Rows name people and items by id only: never a name, a note, or any patient text.
 */
export interface AuditEntry {
  /** "person:12", "system", "cli", "anonymous" */
  actor: string;
  /** verb in the past tense: "journal.read", "backup.created" */
  action: string;
  /** what it was done to: "journal:45", "appliance" */
  subject: string;
  /** whose data this is, so a patient can read the rows about them */
  ownerId?: number | null;
  outcome: "ok" | "denied" | "failed";
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  owner_id: number | null;
  outcome: string;
  prev_hash: string;
  hash: string;
}

const GENESIS = "0".repeat(64);

export function rowHash(r: Omit<AuditRow, "hash">): string {
  // JSON of a fixed-order array: unambiguous whatever characters the fields hold.
  const canonical = JSON.stringify([r.id, r.at, r.actor, r.action, r.subject, r.owner_id, r.outcome, r.prev_hash]);
  return createHash("sha256").update(canonical).digest("hex");
}

export type VerifyResult =
  | { ok: true; rows: number }
  | { ok: false; rows: number; badId: number; reason: string };

export class Audit {
  readonly #headPath: string;
  readonly #last;
  readonly #insert;

  constructor(
    private readonly db: Db,
    dataDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#headPath = join(dataDir, "audit-head");
    this.#last = db.query<{ id: number; hash: string }, []>("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1");
    this.#insert = db.query(
      "INSERT INTO audit_log (id, at, actor, action, subject, owner_id, outcome, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)",
    );
  }

  /** Appends one row; returns its id. Runs inside the caller's transaction if there is one. */
  append(entry: AuditEntry): number {
    const write = () => {
      const last = this.#last.get();
      const row = {
        id: (last?.id ?? 0) + 1,
        at: this.now(),
        actor: entry.actor,
        action: entry.action,
        subject: entry.subject,
        owner_id: entry.ownerId ?? null,
        outcome: entry.outcome,
        prev_hash: last?.hash ?? GENESIS,
      };
      const hash = rowHash(row);
      this.#insert.run(row.id, row.at, row.actor, row.action, row.subject, row.owner_id, row.outcome, row.prev_hash, hash);
      return { id: row.id, hash };
    };
    if (!this.db.inTransaction) {
      const head = this.db.transaction(write).immediate();
      this.#writeHead(head.id, head.hash);
      return head.id;
    }
    // Inside the caller's transaction the row is not committed yet: a head written now would
    // name a row that a crash or a rollback takes away, and verify would cry tampering. bun:sqlite
    // transactions are synchronous, so a microtask runs after the COMMIT (or the rollback).
    const head = write();
    if (!this.#pendingHead) queueMicrotask(() => this.#flushPendingHead());
    this.#pendingHead = head;
    return head.id;
  }

  #pendingHead: { id: number; hash: string } | null = null;

  #flushPendingHead(): void {
    const head = this.#pendingHead;
    this.#pendingHead = null;
    try {
      if (!head || this.db.inTransaction) return;
      const row = this.db.query<{ hash: string }, [number]>("SELECT hash FROM audit_log WHERE id = ?").get(head.id);
      if (row?.hash === head.hash) this.#writeHead(head.id, head.hash);
    } catch {
      // Database closed meanwhile: the next append re-anchors the head.
    }
  }

  #writeHead(id: number, hash: string): void {
    const tmp = `${this.#headPath}.tmp`;
    writeFileSync(tmp, JSON.stringify({ id, hash }) + "\n", { mode: 0o600 });
    renameSync(tmp, this.#headPath);
  }

  /** Rows about one person's data, newest first: what "who has seen my data" shows. */
  forOwner(ownerId: number, limit = 200): AuditRow[] {
    return this.db
      .query<AuditRow, [number, number]>("SELECT * FROM audit_log WHERE owner_id = ? ORDER BY id DESC LIMIT ?")
      .all(ownerId, limit);
  }

  /** Walks the whole chain; names the first row that was changed, removed, added or moved. */
  verify(): VerifyResult {
    let expectedId = 1;
    let prev = GENESIS;
    let count = 0;
    for (const row of this.db.query<AuditRow, []>("SELECT * FROM audit_log ORDER BY id").iterate()) {
      if (row.id !== expectedId) {
        return { ok: false, rows: count, badId: expectedId, reason: `row ${expectedId} is missing (next row is ${row.id})` };
      }
      if (row.prev_hash !== prev) {
        return { ok: false, rows: count, badId: row.id, reason: `row ${row.id} does not follow row ${row.id - 1} (removed, inserted or reordered)` };
      }
      if (rowHash(row) !== row.hash) {
        return { ok: false, rows: count, badId: row.id, reason: `row ${row.id} was changed after it was written` };
      }
      prev = row.hash;
      expectedId++;
      count++;
    }
    return this.#checkHead(count);
  }

  #checkHead(count: number): VerifyResult {
    if (!existsSync(this.#headPath)) {
      return count === 0
        ? { ok: true, rows: 0 }
        : { ok: false, rows: count, badId: 1, reason: "the audit head file is missing, so removed rows at the end cannot be ruled out" };
    }
    let head: { id: number; hash: string };
    try {
      head = JSON.parse(readFileSync(this.#headPath, "utf8"));
    } catch {
      return { ok: false, rows: count, badId: 1, reason: "the audit head file is damaged" };
    }
    if (head.id > count) {
      return { ok: false, rows: count, badId: count + 1, reason: `rows ${count + 1} to ${head.id} were removed from the end` };
    }
    const anchored = this.db.query<{ hash: string }, [number]>("SELECT hash FROM audit_log WHERE id = ?").get(head.id);
    if (!anchored || anchored.hash !== head.hash) {
      return { ok: false, rows: count, badId: head.id, reason: `row ${head.id} does not match the audit head` };
    }
    if (head.id < count) {
      return {
        ok: false,
        rows: count,
        badId: head.id + 1,
        reason: `row ${head.id + 1} was added after the last anchored row (or the server stopped mid-write; the next audited action re-anchors)`,
      };
    }
    return { ok: true, rows: count };
  }
}
