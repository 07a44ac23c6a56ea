import type { Command } from "../main.ts";
import { loadConfig } from "../config.ts";
import { databasePath, openDatabase } from "./db.ts";
import { Audit } from "./audit.ts";
import { existsSync } from "node:fs";
import { BootError } from "../server.ts";

/** CLI commands that work on the store directly: audit, backups, keys. */
export const commands: Record<string, Command> = {
  "audit verify": {
    summary: "walk the audit chain and name the first row that was tampered with",
    usage: "hearth audit verify",
    async run() {
      const config = loadConfig();
      const path = databasePath(config.dataDir);
      if (!existsSync(path)) throw new BootError(`No database at ${path}; check HEARTH_DATA_DIR.`);
      const db = openDatabase(path, { readonly: true });
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
};
