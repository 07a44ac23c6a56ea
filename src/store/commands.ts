import * as age from "age-encryption";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "../cli.ts";
import { loadConfig, type Config } from "../config.ts";
import { databasePath, migrate, openDatabase } from "./db.ts";
import { Audit } from "./audit.ts";
import { BootError, servingPid } from "../server.ts";
import { KeyError, MIN_PASSPHRASE_LENGTH, changePassphrase, isLocked, readIdentity } from "./keys.ts";
import { askHidden, passphraseFrom } from "./prompt.ts";
import { rotateKeys } from "./rotation.ts";
import { backupFileName, createBackup, requireRecipients, restoreBackup } from "./backup.ts";

function existingDatabase(config: Config): string {
  const path = databasePath(config.dataDir);
  if (!existsSync(path)) throw new BootError(`No database at ${path}; check HEARTH_DATA_DIR.`);
  return path;
}

function refuseWhileServing(config: Config, what: string): void {
  const pid = servingPid(config.dataDir);
  if (pid) throw new BootError(`Hearth (pid ${pid}) is serving ${config.dataDir}; stop it first, then run ${what} again.`);
}

/** Percentage on stderr: redrawn in place on a terminal, one line per step with --progress. */
function progress(label: string, forced: boolean): { update(fraction: number): void; end(): void } {
  const tty = Boolean(process.stderr.isTTY);
  if (!tty && !forced) return { update() {}, end() {} };
  let shown = -1;
  return {
    update(fraction) {
      const pct = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
      if (pct === shown) return;
      shown = pct;
      process.stderr.write(tty ? `\r${label} ${pct}%` : `${label} ${pct}%\n`);
    },
    end() {
      if (tty && shown >= 0) process.stderr.write("\n");
    },
  };
}

function megabytes(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

async function keyPassphrase(config: Config): Promise<string | undefined> {
  if (!isLocked(config.dataDir)) return undefined;
  return config.keyPassphrase ?? (await passphraseFrom("HEARTH_KEY_PASSPHRASE", "Current passphrase of the appliance key: "));
}

/** CLI commands that work on the store directly: audit, backups, keys. */
export const commands: Record<string, Command> = {
  "audit verify": {
    summary: "walk the audit chain and name the first row that was tampered with",
    usage: "hearth audit verify",
    async run() {
      const config = loadConfig();
      const db = openDatabase(existingDatabase(config), { readonly: true });
      const result = new Audit(db, config.dataDir).verify();
      db.close();
      if (result.ok) {
        console.log(`audit trail intact: ${result.rows} rows`);
        return 0;
      }
      console.error(`audit trail broken at row ${result.badId}: ${result.reason}`);
      return 1;
    },
  },

  backup: {
    summary: "write an encrypted backup for the offline backup key (safe while serving)",
    usage: "hearth backup [--to FILE] [--progress]",
    options: { to: { type: "string" }, progress: { type: "boolean" } },
    async run({ values }) {
      const config = loadConfig();
      requireRecipients(config.backupRecipients);
      const db = openDatabase(existingDatabase(config));
      try {
        migrate(db);
        const applianceRecipient = isLocked(config.dataDir)
          ? undefined
          : await age.identityToRecipient(await readIdentity(config.dataDir, "identity"));
        const to = resolve((values.to as string | undefined) ?? join(config.backupDir ?? process.cwd(), backupFileName(Date.now())));
        const bar = progress("backup", values.progress === true);
        const result = await createBackup({
          dataDir: config.dataDir,
          db,
          audit: new Audit(db, config.dataDir),
          actor: "cli",
          recipients: config.backupRecipients,
          applianceRecipient,
          to,
          onProgress: bar.update,
        }).finally(bar.end);
        console.log(`backup written: ${result.path} (${megabytes(result.bytes)}, database ${megabytes(result.dbBytes)})`);
        return 0;
      } finally {
        db.close();
      }
    },
  },

  restore: {
    summary: "rebuild a data dir from a backup with the offline backup key",
    usage: "hearth restore FILE --identity KEYFILE --into DIR",
    options: { identity: { type: "string" }, into: { type: "string" } },
    positionals: 1,
    async run({ values, positionals }) {
      if (typeof values.identity !== "string" || typeof values.into !== "string") {
        console.error("hearth restore: --identity KEYFILE and --into DIR are both required. Usage: hearth restore FILE --identity KEYFILE --into DIR");
        return 2;
      }
      const into = resolve(values.into);
      const { manifest, files } = await restoreBackup(resolve(positionals[0]!), resolve(values.identity), into);
      console.log(`restored backup of ${manifest.createdAt} into ${into} (${files.length} files, ${manifest.auditRows} audit rows); start it with HEARTH_DATA_DIR=${into} hearth serve`);
      return 0;
    },
  },

  "keys passphrase": {
    summary: "set, change or remove (--remove) the passphrase on the appliance key",
    usage: "hearth keys passphrase [--remove]",
    options: { remove: { type: "boolean" } },
    async run({ values }) {
      const config = loadConfig();
      refuseWhileServing(config, "hearth keys passphrase");
      const current = await keyPassphrase(config);
      if (isLocked(config.dataDir) && !current) {
        throw new KeyError("The appliance key is locked; give its current passphrase in HEARTH_KEY_PASSPHRASE or on a terminal.");
      }
      let next: string | undefined;
      if (!values.remove) {
        next = await passphraseFrom("HEARTH_NEW_KEY_PASSPHRASE", "New passphrase: ");
        if (!next) throw new KeyError("No new passphrase: set HEARTH_NEW_KEY_PASSPHRASE or run this on a terminal (or use --remove).");
        if (next.length < MIN_PASSPHRASE_LENGTH) throw new KeyError(`The new passphrase is too short; use at least ${MIN_PASSPHRASE_LENGTH} characters (4-5 random words is better).`);
        // Typed on a terminal: once more, since a typo here would lock the clinic out.
        if (!process.env.HEARTH_NEW_KEY_PASSPHRASE && (await askHidden("Repeat the new passphrase: ")) !== next) {
          throw new KeyError("The two passphrases differ; nothing was changed.");
        }
      }
      const change = await changePassphrase(config.dataDir, current, next);
      const path = databasePath(config.dataDir);
      if (existsSync(path)) {
        const db = openDatabase(path);
        new Audit(db, config.dataDir).append({ actor: "cli", action: `keys.passphrase_${change}`, subject: "appliance", outcome: "ok" });
        db.close();
      }
      const after = change === "removed" ? "The appliance now starts unlocked." : "The appliance now starts locked: unlock it at /unlock after each start, or set HEARTH_KEY_PASSPHRASE.";
      console.log(`passphrase ${change}. ${after}`);
      return 0;
    },
  },

  "keys rotate": {
    summary: "make a new appliance key and re-seal every stored value with it (resumable)",
    usage: "hearth keys rotate [--progress] [--batch-size N]",
    options: { progress: { type: "boolean" }, "batch-size": { type: "string" } },
    async run({ values }) {
      const config = loadConfig();
      const batchSize = Number(values["batch-size"] ?? 200);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        console.error("hearth keys rotate: --batch-size must be a whole number from 1 to 10000.");
        return 2;
      }
      const path = existingDatabase(config);
      refuseWhileServing(config, "hearth keys rotate");
      const passphrase = await keyPassphrase(config);
      const db = openDatabase(path);
      try {
        migrate(db);
        const bar = progress("rotating keys", values.progress === true);
        const result = await rotateKeys(config.dataDir, db, new Audit(db, config.dataDir), passphrase, {
          batchSize,
          onBatch: ({ done, total }) => bar.update(total ? done / total : 1),
        }).finally(bar.end);
        console.log(`keys rotated: ${result.values} sealed values now use the new key${result.resumed ? " (finished an interrupted rotation)" : ""}.`);
        return 0;
      } finally {
        db.close();
      }
    },
  },
};
