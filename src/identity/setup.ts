import type { Db } from "../store/db.ts";
import { hashToken, newToken } from "./tokens.ts";

/**
 * The first-run setup link: while no admin exists, one single-use link, valid for 30 minutes,
 * lets whoever holds the console create the first admin. A new link retires the older ones.
 */
export const SETUP_LINK_TTL_MS = 30 * 60 * 1000;

export function adminExists(db: Db): boolean {
  return db.query("SELECT 1 FROM people WHERE role = 'admin' AND status = 'active' LIMIT 1").get() !== null;
}

export class SetupClosedError extends Error {
  constructor() {
    super("An admin already exists, so there is no setup link. Admins invite everyone else from the app.");
  }
}

export function createSetupLink(db: Db, publicUrl: string, now: number): { url: string; expiresAt: number } {
  if (adminExists(db)) throw new SetupClosedError();
  const token = newToken();
  const expiresAt = now + SETUP_LINK_TTL_MS;
  db.transaction(() => {
    db.query("UPDATE setup_tokens SET used_at = ? WHERE used_at IS NULL").run(now);
    db.query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES (?, ?, ?)").run(hashToken(token), now, expiresAt);
  }).immediate();
  return { url: `${publicUrl}/setup/${token}`, expiresAt };
}

export type SetupTokenState = "valid" | "used" | "expired" | "unknown" | "closed";

export function setupTokenState(db: Db, token: string, now: number): SetupTokenState {
  if (adminExists(db)) return "closed";
  const row = db
    .query<{ expires_at: number; used_at: number | null }, [string]>("SELECT expires_at, used_at FROM setup_tokens WHERE token_hash = ?")
    .get(hashToken(token));
  if (!row) return "unknown";
  if (row.used_at !== null) return "used";
  if (row.expires_at <= now) return "expired";
  return "valid";
}

/** Marks the token used; returns false if it was not valid any more (used twice, raced, expired). */
export function consumeSetupToken(db: Db, token: string, now: number): boolean {
  const res = db
    .query("UPDATE setup_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")
    .run(now, hashToken(token), now);
  return res.changes === 1;
}
