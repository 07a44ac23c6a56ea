import { resolve } from "node:path";
import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { allowedCpus } from "./rooms/workers/affinity.ts";
import { t } from "elysia";
import { Value } from "@sinclair/typebox/value";
import { DEFAULT_SAFE_LOAD_PCT } from "./rooms/admission.ts";
import { readTurnUrls } from "./rooms/relay.ts";

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
  /** Sign-out after this long without activity: staff (admins, clinicians), and everyone else. */
  idleMinutesStaff: t.Integer({ minimum: 1, maximum: 240 }),
  idleMinutes: t.Integer({ minimum: 1, maximum: 720 }),
  /** Addresses of reverse proxies whose X-Forwarded-For is believed; nobody else's is. */
  trustedProxies: t.Array(t.String({ minLength: 1 })),
  /**
   * How HTTPS is served: `auto` (Hearth's own local CA and certificate), `files` (the clinic's
   * certificate), `proxy` (a reverse proxy in front ends HTTPS), `off` (plain HTTP, localhost only).
   */
  tls: t.UnionEnum(["auto", "files", "proxy", "off"]),
  tlsCert: t.Optional(t.String({ minLength: 1 })),
  tlsKey: t.Optional(t.String({ minLength: 1 })),
  /** Extra names and IPs for the certificate; the public URL's host is always included. */
  hostnames: t.Array(t.String({ minLength: 1 })),
  /** Plain HTTP listener that only redirects to HTTPS (and hands out the CA certificate). */
  httpPort: t.Optional(t.Integer({ minimum: 0, maximum: 65535 })),
  /** Addresses offered to browsers as ICE host candidates; empty means this box's IPv4 addresses. */
  rtcAddresses: t.Array(t.String({ minLength: 1 })),
  /** The UDP port range media uses, so a clinic can open exactly it on its router. */
  rtcPorts: t.Tuple([t.Integer({ minimum: 1024, maximum: 65535 }), t.Integer({ minimum: 1024, maximum: 65535 })]),
  /** A STUN server the clinic chose ("stun:host:port"); without one, no ICE traffic leaves the box. */
  rtcStun: t.Optional(t.String({ pattern: "^stun:[^\\s:]+(:[0-9]{1,5})?$" })),
  /** TURN relay URLs offered (with short-lived credentials) to admitted members; src/rooms/relay.ts. */
  turnUrls: t.Array(t.String({ pattern: "^turns?:" })),
  /**
   * How the SFU forwards media: `fast` (Hearth's own SRTP and UDP path, src/rooms/fastpath) or
   * `werift` (werift's stock RTCRtpSender per subscriber), kept for diagnosis: the load targets are
   * met with `fast` (docs/benchmarks.md), and every rooms test passes with either.
   */
  sfuEngine: t.UnionEnum(["fast", "werift"]),
  /**
   * SFU worker processes (src/rooms/workers): rooms are spread over them, a room wholly in one.
   * 0 runs media inside the main process.
   */
  sfuWorkers: t.Integer({ minimum: 0, maximum: 64 }),
  /**
   * Forwarded packets/s the SFU carries at full load (admission control, src/rooms/admission.ts);
   * unset, a cautious figure per SFU core (DEFAULT_PPS_PER_CORE there).
   */
  sfuCapacityPps: t.Optional(t.Integer({ minimum: 100, maximum: 10_000_000 })),
  /** Percent of that capacity, and of the box's CPU, past which new members join with sound only. */
  sfuSafeLoadPct: t.Integer({ minimum: 10, maximum: 100 }),
  /** Where notification e-mails go out (smtp:// or smtps://user:pass@host:port); unset, no e-mail. */
  smtpUrl: t.Optional(t.String({ pattern: "^smtps?://[^\\s/?]+/?(\\?\\S*)?$" })),
  /** The From of those e-mails; defaults to hearth@ the public URL's host. */
  smtpFrom: t.Optional(t.String({ minLength: 3 })),
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
  "/idleMinutesStaff": "HEARTH_IDLE_MINUTES_STAFF must be a number of minutes from 1 to 240.",
  "/idleMinutes": "HEARTH_IDLE_MINUTES must be a number of minutes from 1 to 720.",
  "/httpPort": "HEARTH_HTTP_PORT must be a port number from 0 to 65535.",
  "/sfuCapacityPps": "HEARTH_SFU_CAPACITY_PPS must be a number of forwarded packets per second from 100 to 10000000.",
  "/sfuWorkers": "HEARTH_SFU_WORKERS must be a number of SFU worker processes from 0 (media in the main process) to 64.",
  "/sfuSafeLoadPct": "HEARTH_SFU_SAFE_LOAD_PCT must be a percentage from 10 to 100.",
  "/smtpUrl": "HEARTH_SMTP_URL must look like smtp://user:password@mail.example.org:587 or smtps://mail.example.org:465.",
  "/smtpFrom": "HEARTH_SMTP_FROM must be an address like Hearth <hearth@example.org>.",
};

const TLS_MODES = ["auto", "files", "proxy", "off"] as const;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The HTTPS settings, checked against the public URL: its host is the WebAuthn RP ID, so passkeys
 * only work when browsers reach exactly that name over HTTPS (or localhost, for development).
 */
function readTls(env: Env, publicUrl: string) {
  // A malformed URL is reported by the schema check, with its own message.
  const url = /^https?:\/\/[^/]+$/.test(publicUrl) && URL.canParse(publicUrl) ? new URL(publicUrl) : null;
  if (!url) return { tls: "off" as const, hostnames: [] };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const https = url.protocol === "https:";
  const cert = env.HEARTH_TLS_CERT || undefined;
  const key = env.HEARTH_TLS_KEY || undefined;
  const raw = env.HEARTH_TLS || (cert || key ? "files" : https ? "auto" : "off");
  if (!(TLS_MODES as readonly string[]).includes(raw)) throw new ConfigError(`HEARTH_TLS must be auto, files, proxy or off, not "${raw}".`);
  const tls = raw as (typeof TLS_MODES)[number];
  if (isIP(host)) throw new ConfigError(`HEARTH_PUBLIC_URL must use a name such as hearth.local, not the address ${host}: passkeys are bound to a name.`);
  if (!https && tls !== "off") throw new ConfigError(`HEARTH_TLS=${tls} serves HTTPS, so HEARTH_PUBLIC_URL must start with https://.`);
  if (https && tls === "off") {
    throw new ConfigError("HEARTH_PUBLIC_URL is https:// but HEARTH_TLS=off: use auto (Hearth makes its own certificate), files (yours) or proxy (HTTPS ends at a reverse proxy).");
  }
  if (!https && host !== "localhost" && !host.endsWith(".localhost")) {
    throw new ConfigError(`Plain http:// is for localhost only; browsers allow passkeys on ${host} only over HTTPS. Set HEARTH_PUBLIC_URL=https://${host}.`);
  }
  if (tls === "files" && (!cert || !key)) throw new ConfigError("HEARTH_TLS=files needs both HEARTH_TLS_CERT and HEARTH_TLS_KEY (PEM files).");
  if (tls !== "files" && (cert || key)) throw new ConfigError(`HEARTH_TLS_CERT and HEARTH_TLS_KEY are used only with HEARTH_TLS=files, not ${tls}.`);
  const hostnames = (env.HEARTH_HOSTNAMES ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const name of hostnames) {
    if (!isIP(name) && !DNS_NAME.test(name)) throw new ConfigError(`HEARTH_HOSTNAMES must be comma-separated host names or IP addresses; "${name}" is neither.`);
  }
  if (env.HEARTH_HTTP_PORT && tls !== "auto" && tls !== "files") {
    throw new ConfigError("HEARTH_HTTP_PORT is the redirect to HTTPS, so it needs HEARTH_TLS=auto or files.");
  }
  if (env.HEARTH_HTTP_PORT && env.HEARTH_HTTP_PORT !== "0" && env.HEARTH_HTTP_PORT === env.HEARTH_PORT) {
    throw new ConfigError("HEARTH_HTTP_PORT must differ from HEARTH_PORT: one serves HTTPS, the other redirects to it.");
  }
  return {
    tls,
    tlsCert: cert && resolve(cert),
    tlsKey: key && resolve(key),
    hostnames: [...new Set([host.toLowerCase(), ...hostnames])],
  };
}

/** Every rooms test passes with both engines (HEARTH_SFU_ENGINE=werift bun test src/rooms). */
const SFU_ENGINE_DEFAULT = "fast";

/**
 * Media (WebRTC) settings. Addresses must be literal IPs: a name would mean a DNS query at every
 * connection, and media must not depend on (or leak to) anything outside the clinic.
 */
function readRtc(env: Env) {
  const rtcAddresses = (env.HEARTH_RTC_ADDRESSES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const address of rtcAddresses) {
    if (!isIP(address) || /^(0\.0\.0\.0|::)$/.test(address)) {
      throw new ConfigError(`HEARTH_RTC_ADDRESSES must be comma-separated IP addresses of this box (LAN and public), not "${address}".`);
    }
  }
  const ports = env.HEARTH_RTC_PORTS || "40000-40999";
  const range = /^(\d{4,5})-(\d{4,5})$/.exec(ports);
  const rtcPorts: [number, number] = range ? [Number(range[1]), Number(range[2])] : [0, 0];
  if (!range || rtcPorts[0] < 1024 || rtcPorts[1] > 65535 || rtcPorts[1] - rtcPorts[0] < 9) {
    throw new ConfigError(`HEARTH_RTC_PORTS must be a UDP port range like 40000-40999 (at least 10 ports, above 1023), not "${ports}".`);
  }
  const stun = env.HEARTH_RTC_STUN?.trim();
  const rtcStun = stun ? (stun.startsWith("stun:") ? stun : `stun:${stun}`) : undefined;
  if (rtcStun && !/^stun:[^\s:/]+(:\d{1,5})?$/.test(rtcStun)) {
    throw new ConfigError(`HEARTH_RTC_STUN must look like stun:stun.example.org:3478, not "${stun}".`);
  }
  const engine = env.HEARTH_SFU_ENGINE?.trim() || SFU_ENGINE_DEFAULT;
  if (engine !== "fast" && engine !== "werift") throw new ConfigError(`HEARTH_SFU_ENGINE must be fast or werift, not "${engine}".`);
  const sfuCapacityPps = env.HEARTH_SFU_CAPACITY_PPS ? int(env, "HEARTH_SFU_CAPACITY_PPS", 0) : undefined;
  const sfuSafeLoadPct = int(env, "HEARTH_SFU_SAFE_LOAD_PCT", DEFAULT_SAFE_LOAD_PCT);
  // One worker per core this process may run on (taskset and cgroup limits included).
  const sfuWorkers = int(env, "HEARTH_SFU_WORKERS", allowedCpus().length || availableParallelism());
  return { rtcAddresses, rtcPorts, rtcStun, sfuEngine: engine as "fast" | "werift", sfuWorkers, sfuCapacityPps, sfuSafeLoadPct };
}

function turnUrls(env: Env): string[] {
  try {
    return readTurnUrls(env);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

export function loadConfig(env: Env = process.env): Config {
  const port = int(env, "HEARTH_PORT", 8080);
  const host = env.HEARTH_HOST || "127.0.0.1";
  const publicUrl = (env.HEARTH_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, "");
  const config = {
    dataDir: resolve(env.HEARTH_DATA_DIR || "./data"),
    port,
    host,
    publicUrl,
    backupRecipients: (env.HEARTH_BACKUP_RECIPIENTS ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    backupDir: env.HEARTH_BACKUP_DIR ? resolve(env.HEARTH_BACKUP_DIR) : undefined,
    backupAt: env.HEARTH_BACKUP_AT || "02:30",
    backupKeep: int(env, "HEARTH_BACKUP_KEEP", 14),
    keyPassphrase: env.HEARTH_KEY_PASSPHRASE || undefined,
    healthIntervalMs: int(env, "HEARTH_HEALTH_INTERVAL_MS", 10_000),
    idleMinutesStaff: int(env, "HEARTH_IDLE_MINUTES_STAFF", 15),
    idleMinutes: int(env, "HEARTH_IDLE_MINUTES", 30),
    trustedProxies: (env.HEARTH_TRUSTED_PROXIES ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    ...readTls(env, publicUrl),
    httpPort: env.HEARTH_HTTP_PORT ? int(env, "HEARTH_HTTP_PORT", 0) : undefined,
    ...readRtc(env),
    turnUrls: turnUrls(env),
    smtpUrl: env.HEARTH_SMTP_URL?.trim() || undefined,
    smtpFrom: env.HEARTH_SMTP_FROM?.trim() || undefined,
  };
  const first = Value.Errors(ConfigSchema, config).First();
  if (first) {
    const key = Object.keys(explain).find((k) => first.path.startsWith(k));
    throw new ConfigError(key ? explain[key]! : `Invalid setting ${first.path}: ${first.message}`);
  }
  return config;
}
