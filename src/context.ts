import type { Config } from "./config.ts";
import type { Db } from "./store/db.ts";
import type { Vault } from "./store/vault.ts";
import type { Audit } from "./store/audit.ts";
import type { HealthSampler } from "./appliance/health.ts";

/** What every capability is given: the one store, the vault, the audit trail and a clock. */
export interface Hearth {
  config: Config;
  db: Db;
  vault: Vault;
  audit: Audit;
  health: HealthSampler;
  /** Milliseconds since the epoch; tests pass a controllable clock. */
  now: () => number;
}
