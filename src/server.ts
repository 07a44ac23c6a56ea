import { accessSync, constants, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.ts";
import type { Hearth } from "./context.ts";
import { buildApp } from "./app.ts";
import { databasePath, migrate, openDatabase } from "./store/db.ts";
import { ensureIdentity, isLocked, readIdentity, slotExists } from "./store/keys.ts";
import { Vault } from "./store/vault.ts";
import { Audit } from "./store/audit.ts";
import { HealthSampler } from "./appliance/health.ts";
import { loadAssets } from "./ui/assets.ts";
import { adminExists, createSetupLink } from "./identity/setup.ts";
import { log } from "./log.ts";
import { HttpsService } from "./appliance/https.ts";
import { TlsError } from "./appliance/tls.ts";
import { finishRotationWhenUnlocked } from "./store/rotation.ts";
import { NightlyBackups } from "./appliance/nightly.ts";
import { RoomService } from "./rooms/service.ts";
import { identityAccess } from "./rooms/access.ts";
import { startClinic } from "./clinic/clinic.ts";
import { rtcSettings } from "./rooms/ice.ts";
import { mediaHost } from "./rooms/workers/pool.ts";
import { LIBRARY_MAX_BYTES } from "./portal/library.ts";

/** A start-up problem the person running Hearth can fix; main prints its message as one line. */
export class BootError extends Error {}

export function ensureDataDir(dir: string): void {
  try {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK | constants.R_OK);
    const probe = join(dir, `.write-probe-${process.pid}`);
    writeFileSync(probe, "");
    unlinkSync(probe);
  } catch {
    throw new BootError(`The data directory ${dir} is not writable by this user; fix its owner or permissions, or set HEARTH_DATA_DIR.`);
  }
}

const PID_FILE = "hearth.pid";

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid of a live `hearth serve` on this data dir, if there is one. */
export function servingPid(dataDir: string): number | null {
  const file = join(dataDir, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid) ? pid : null;
}

export interface OpenOptions {
  now?: () => number;
  /** Create keys on first start; CLI tools that only read pass false. */
  create?: boolean;
}

/**
 * Opens the appliance's data dir: database (migrated), keys, vault, audit. The vault stays locked
 * when the key is passphrase-locked and no passphrase was configured.
 */
export async function openHearth(config: Config, opts: OpenOptions = {}): Promise<Hearth> {
  ensureDataDir(config.dataDir);
  if (opts.create !== false) await ensureIdentity(config.dataDir);
  const db = openDatabase(databasePath(config.dataDir));
  const applied = migrate(db);
  if (applied.length) log.info("database migrated", { applied: applied.join(",") });
  const vault = new Vault();
  const locked = isLocked(config.dataDir);
  if (!locked || config.keyPassphrase) {
    const ids = [await readIdentity(config.dataDir, "identity", config.keyPassphrase)];
    // A rotation that was cut short: read with both keys until it is finished.
    if (slotExists(config.dataDir, "identity.next")) ids.unshift(await readIdentity(config.dataDir, "identity.next", config.keyPassphrase));
    await vault.unlock(ids);
  }
  const now = opts.now ?? Date.now;
  return {
    config,
    db,
    vault,
    audit: new Audit(db, config.dataDir, now),
    health: new HealthSampler(config.dataDir, config.healthIntervalMs),
    now,
  };
}

export interface Running {
  hearth: Hearth;
  url: string;
  port: number;
  setupLink: string | null;
  /** Certificate, redirect listener and renewal; null when serving plain HTTP. */
  https: HttpsService | null;
  /** The live rooms (group sessions' media and signaling). */
  rooms: RoomService;
  stop(): Promise<void>;
}

/**
 * Elysia listens with SO_REUSEPORT (certificate renewal opens a second listener on the same port),
 * so a second Hearth would silently share the port. An exclusive bind first makes that an error.
 */
function assertPortFree(hostname: string, port: number): void {
  if (port === 0) return;
  // Bun.listen binds without SO_REUSEPORT, so it fails while anyone else holds the port.
  const probe = Bun.listen({ hostname, port, socket: { data() {} } });
  probe.stop(true);
}

export async function startServer(config: Config, opts: OpenOptions & { quiet?: boolean } = {}): Promise<Running> {
  ensureDataDir(config.dataDir);
  const other = servingPid(config.dataDir);
  if (other) throw new BootError(`Another Hearth (pid ${other}) is already serving ${config.dataDir}; stop it first.`);
  const [hearth] = await Promise.all([openHearth(config, opts), loadAssets()]);
  let https: HttpsService | null;
  try {
    https = await HttpsService.open(config, hearth.now());
  } catch (err) {
    hearth.db.close();
    throw err instanceof TlsError ? new BootError(err.message) : err;
  }
  // The clinic's groups answer identity's "what is this person's part in that group", and more (clinic.ts).
  await startClinic(hearth);
  const rooms = new RoomService(hearth, identityAccess(hearth), { media: mediaHost(await rtcSettings(config), config.sfuWorkers) });
  const app = buildApp(hearth, rooms);
  try {
    assertPortFree(config.host, config.port);
    // Bun refuses bodies over 128 MB by default, with an empty 413; the largest upload is a library
    // video (streamed, never buffered), so the ceiling sits just above its limit, which the route
    // itself enforces with a message naming the field.
    app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: LIBRARY_MAX_BYTES + 1024 * 1024, ...(https && { tls: https.tls }) });
  } catch (err) {
    hearth.db.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || /in use/i.test(String((err as Error).message))) {
      throw new BootError(`Port ${config.port} on ${config.host} is already in use; stop the other program or set HEARTH_PORT.`);
    }
    if (code === "EACCES") throw new BootError(`Not allowed to listen on port ${config.port}; use a port above 1024 or grant the capability.`);
    throw err;
  }
  try {
    https?.start(app, hearth);
  } catch (err) {
    await app.stop(true);
    hearth.db.close();
    throw err instanceof TlsError ? new BootError(err.message) : err;
  }
  const pidFile = join(config.dataDir, PID_FILE);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  hearth.health.start();
  // An interrupted `keys rotate` finishes in the background, batch by batch, after listen.
  const stopRotation = new AbortController();
  const rotation = finishRotationWhenUnlocked(hearth, stopRotation.signal)?.catch((err) =>
    log.error("key rotation could not finish", { kind: (err as Error).name }),
  );
  const nightly = new NightlyBackups(hearth);
  nightly.start();
  const port = app.server!.port!;
  // Port 0 (tests) means "any free port": the public URL takes the one we got.
  hearth.config = { ...config, publicUrl: config.publicUrl.replace(/:0$/, `:${port}`) };
  const scheme = https ? "https" : "http";
  let setupLink: string | null = null;
  if (hearth.vault.unlocked && !adminExists(hearth.db)) {
    setupLink = createSetupLink(hearth.db, hearth.config.publicUrl, hearth.now()).url;
  }
  if (!opts.quiet) {
    log.info("hearth serving", { url: `${scheme}://${config.host}:${port}`, publicUrl: hearth.config.publicUrl, dataDir: config.dataDir, locked: !hearth.vault.unlocked });
    const trust = https?.startupNotice(hearth.config.publicUrl);
    if (trust) console.log(`\n${trust}\n`);
    if (setupLink) console.log(`\nNo admin yet. Open this one-time link within 30 minutes to create the first admin:\n\n  ${setupLink}\n`);
    if (!hearth.vault.unlocked) console.log(`\nThe appliance key is locked. Open ${hearth.config.publicUrl}/unlock to unlock it.\n`);
  }
  return {
    hearth,
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    https,
    rooms,
    setupLink,
    async stop() {
      hearth.health.stop();
      const media = rooms.close();
      stopRotation.abort();
      await Promise.all([rotation, nightly.stop(), media]);
      await https?.stop();
      await app.stop(true);
      hearth.db.close();
      if (existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() === String(process.pid)) unlinkSync(pidFile);
    },
  };
}
