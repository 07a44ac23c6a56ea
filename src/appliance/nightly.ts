import { basename, join } from "node:path";
import type { Hearth } from "../context.ts";
import { backupFileName, createBackup, pruneBackups, type BackupResult } from "../store/backup.ts";
import { log } from "../log.ts";

/** The next local time of day `at` ("HH:MM") strictly after `now`. */
export function nextRunAt(now: number, at: string): number {
  const [h, m] = at.split(":").map(Number) as [number, number];
  const d = new Date(now);
  d.setHours(h, m, 0, 0);
  if (d.getTime() <= now) {
    d.setDate(d.getDate() + 1);
    d.setHours(h, m, 0, 0);
  }
  return d.getTime();
}

export interface Timers {
  set(fn: () => Promise<void>, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set(fn, ms) {
    const t = setTimeout(() => void fn(), ms);
    // Never the reason the process stays up.
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Nightly backups, run by the serving process: at HEARTH_BACKUP_AT it writes an encrypted
 * backup into HEARTH_BACKUP_DIR and keeps the newest HEARTH_BACKUP_KEEP of Hearth's own backup
 * files there, never touching anything else in that folder.
 */
export class NightlyBackups {
  #handle: unknown = null;
  #running: Promise<BackupResult | null> | null = null;
  #stopped = false;

  constructor(
    private readonly hearth: Hearth,
    private readonly timers: Timers = realTimers,
  ) {}

  start(): void {
    const { backupDir, backupRecipients, backupAt } = this.hearth.config;
    if (!backupDir) return;
    if (backupRecipients.length === 0) {
      log.warn("nightly backups are off: HEARTH_BACKUP_DIR is set but HEARTH_BACKUP_RECIPIENTS is empty");
      return;
    }
    const now = this.hearth.now();
    const at = nextRunAt(now, backupAt);
    this.#handle = this.timers.set(async () => {
      this.#handle = null;
      await this.runOnce();
      if (!this.#stopped) this.start();
    }, at - now);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== null) this.timers.clear(this.#handle);
    this.#handle = null;
    await this.#running;
  }

  /** One backup now, then retention. Failures are logged (ids and kinds only), never thrown. */
  runOnce(): Promise<BackupResult | null> {
    this.#running ??= this.#run().finally(() => (this.#running = null));
    return this.#running;
  }

  async #run(): Promise<BackupResult | null> {
    const { config, db, audit, vault } = this.hearth;
    const dir = config.backupDir!;
    const to = join(dir, backupFileName(this.hearth.now()));
    const t0 = Date.now();
    log.info("nightly backup started", { file: basename(to) });
    try {
      const result = await createBackup({
        dataDir: config.dataDir,
        db,
        audit,
        actor: "system",
        recipients: config.backupRecipients,
        applianceRecipient: vault.unlocked ? vault.recipient : undefined,
        to,
        now: this.hearth.now,
      });
      const removed = await pruneBackups(dir, config.backupKeep);
      log.info("nightly backup finished", { file: basename(to), bytes: result.bytes, ms: Date.now() - t0, removed: removed.length });
      return result;
    } catch (err) {
      log.error("nightly backup failed", { file: basename(to), reason: (err as Error).message });
      return null;
    }
  }
}
