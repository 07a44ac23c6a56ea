import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hearth } from "../context.ts";
import { log } from "../log.ts";

/**
 * The optional TURN relay (Debian's coturn, set up by `hearth turn-config`) for patients whose
 * network blocks UDP or whose router cannot reach the box directly. Hearth and coturn share one
 * secret (the "TURN REST API" scheme coturn calls use-auth-secret): Hearth hands an admitted member
 * a username `expiry:id` and the password base64(HMAC-SHA1(secret, username)), and coturn checks
 * both without asking Hearth. Nobody else gets a credential: they go out only inside a fresh media
 * offer, and offers go only to members the clinician admitted (room.ts).
 */

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * How long a credential opens the relay. coturn checks the expiry on every refresh of an
 * allocation, so a connection older than this loses its relay; the page then asks for fresh media
 * and gets a new credential with the new offer. Three hours covers a group session and its overrun.
 */
export const TURN_CREDENTIAL_TTL_S = 3 * 3600;

const URL_PATTERN = /^turns?:[A-Za-z0-9.-]+(:\d{1,5})?(\?transport=(udp|tcp))?$/;

/** HEARTH_TURN_URLS: comma-separated `turns:host:443?transport=tcp` / `turn:host:3478` URLs. */
export function readTurnUrls(env: Record<string, string | undefined>): string[] {
  const urls = (env.HEARTH_TURN_URLS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const bad = urls.find((u) => !URL_PATTERN.test(u));
  if (bad !== undefined) throw new Error(`HEARTH_TURN_URLS must be comma-separated TURN URLs like turns:turn.example.org:443?transport=tcp, not "${bad}".`);
  return urls;
}

export function turnSecretPath(dataDir: string): string {
  return join(dataDir, "turn", "secret");
}

/** The shared secret, made on first use (32 random bytes, readable by this user only). */
export function ensureTurnSecret(dataDir: string): string {
  const path = turnSecretPath(dataDir);
  if (!existsSync(path)) {
    mkdirSync(join(dataDir, "turn"), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  }
  // Whatever the umask or a copy did to it: the secret opens the relay to anyone holding it.
  chmodSync(path, 0o600);
  return readFileSync(path, "utf8").trim();
}

/** A short-lived credential in the REST-API scheme coturn's use-auth-secret checks. */
export function turnCredential(secret: string, nowMs: number, ttlS = TURN_CREDENTIAL_TTL_S): { username: string; credential: string } {
  // The id is random, not the person's: coturn logs usernames, and the relay needs no identity.
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${randomBytes(6).toString("hex")}`;
  return { username, credential: createHmac("sha1", secret).update(username).digest("base64") };
}

const secrets = new WeakMap<Hearth, string | null>();

function secretOf(hearth: Hearth): string | null {
  if (!secrets.has(hearth)) {
    const path = turnSecretPath(hearth.config.dataDir);
    let secret: string | null = null;
    try {
      secret = readFileSync(path, "utf8").trim() || null;
    } catch {
      // Said once, below; the relay stays off rather than handing out credentials coturn refuses.
    }
    if (!secret) log.error("HEARTH_TURN_URLS is set but there is no TURN secret; run `hearth turn-config` (the relay is not offered)", { path });
    secrets.set(hearth, secret);
  }
  return secrets.get(hearth)!;
}

/** What a fresh offer to an admitted member carries: the relay with a new credential, if one is set up. */
export function relayFor(hearth: Hearth): { iceServers?: IceServer[] } {
  const urls = hearth.config.turnUrls;
  if (!urls?.length) return {};
  const secret = secretOf(hearth);
  if (!secret) return {};
  return { iceServers: [{ urls, ...turnCredential(secret, hearth.now()) }] };
}
