import { resolve } from "node:path";
import { t } from "elysia";
import { Value } from "@sinclair/typebox/value";

/**
 * One validated configuration object, read from the environment.
 * Defaults suit a laptop: data in ./data, plain HTTP on localhost:8080.
 * A clinic box sets HEARTH_HOST=0.0.0.0 and HEARTH_PUBLIC_URL to its own name.
 */
export const ConfigSchema = t.Object({
  dataDir: t.String({ minLength: 1 }),
  port: t.Integer({ minimum: 0, maximum: 65535 }),
  host: t.String({ minLength: 1 }),
  publicUrl: t.String({ pattern: "^https?://[^/]+$" }),
  backupRecipients: t.Array(t.String({ pattern: "^age1[02-9ac-hj-np-z]{58}$" })),
  backupDir: t.Optional(t.String({ minLength: 1 })),
  backupAt: t.String({ pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$" }),
  backupKeep: t.Integer({ minimum: 1, maximum: 365 }),
  keyPassphrase: t.Optional(t.String({ minLength: 1 })),
  healthIntervalMs: t.Integer({ minimum: 1000 }),
});

export type Config = typeof ConfigSchema.static;

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, not "${raw}".`);
  return Number(raw);
}

const explain: Record<string, string> = {
  "/port": "HEARTH_PORT must be a port number from 0 to 65535.",
  "/publicUrl": "HEARTH_PUBLIC_URL must look like https://hearth.example.org (scheme and host, no path).",
  "/backupRecipients": "HEARTH_BACKUP_RECIPIENTS must be comma-separated age public keys (age1...).",
  "/backupAt": "HEARTH_BACKUP_AT must be a time of day like 02:30.",
  "/backupKeep": "HEARTH_BACKUP_KEEP must be a number of backups from 1 to 365.",
  "/healthIntervalMs": "HEARTH_HEALTH_INTERVAL_MS must be at least 1000.",
};

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, "HEARTH_PORT", 8080);
  const host = env.HEARTH_HOST || "127.0.0.1";
  const config = {
    dataDir: resolve(env.HEARTH_DATA_DIR || "./data"),
    port,
    host,
    publicUrl: (env.HEARTH_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ""),
    backupRecipients: (env.HEARTH_BACKUP_RECIPIENTS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    backupDir: env.HEARTH_BACKUP_DIR ? resolve(env.HEARTH_BACKUP_DIR) : undefined,
    backupAt: env.HEARTH_BACKUP_AT || "02:30",
    backupKeep: int(env, "HEARTH_BACKUP_KEEP", 14),
    keyPassphrase: env.HEARTH_KEY_PASSPHRASE || undefined,
    healthIntervalMs: int(env, "HEARTH_HEALTH_INTERVAL_MS", 10_000),
  };
  const first = Value.Errors(ConfigSchema, config).First();
  if (first) {
    const key = Object.keys(explain).find((k) => first.path.startsWith(k));
    throw new ConfigError(key ? explain[key]! : `Invalid setting ${first.path}: ${first.message}`);
  }
  return config;
}
