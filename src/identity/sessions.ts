import type { Hearth } from "../context.ts";
import { readCookie } from "../ui/request.ts";
import { hashToken, newToken } from "./tokens.ts";
import { STAFF, type Role } from "./policy.ts";

/**
 * Sign-in sessions. The cookie holds a 256-bit random id; the database holds only its hash.
 * A session ends after a quiet spell (shorter for staff, whose screens show other people's data),
 * after ABSOLUTE_MS whatever happens, or when its person signs out everywhere.
 */
export const ABSOLUTE_MS = 12 * 60 * 60 * 1000;

export interface Session {
  idHash: string;
  personId: number;
  role: Role;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  verifiedAt: number;
  /** When this session will end if nothing more happens. */
  idleEndsAt: number;
}

interface Row {
  id_hash: string;
  person_id: number;
  role: Role;
  status: string;
  access_ends_at: number | null;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  verified_at: number;
}

export function idleMs(hearth: Hearth, role: Role): number {
  const minutes = STAFF.includes(role) ? hearth.config.idleMinutesStaff : hearth.config.idleMinutes;
  return minutes * 60 * 1000;
}

/** Whether cookies must be Secure: the request came over HTTPS, or the appliance is served over HTTPS (behind a proxy too). */
export function isSecure(hearth: Hearth, request: Request): boolean {
  return new URL(request.url).protocol === "https:" || hearth.config.publicUrl.startsWith("https:");
}

/** `__Host-` makes the browser refuse the cookie unless it is Secure, host-only and Path=/. */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-hearth_session" : "hearth_session";
}

export function sessionCookie(hearth: Hearth, request: Request, id: string): string {
  const secure = isSecure(hearth, request);
  return `${sessionCookieName(secure)}=${id}; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(hearth: Hearth, request: Request): string {
  const secure = isSecure(hearth, request);
  return `${sessionCookieName(secure)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}

/** Starts a session right after a passkey assertion (or registration) with user verification. */
export function createSession(hearth: Hearth, personId: number): { id: string; csrfToken: string } {
  const id = newToken();
  const csrfToken = newToken();
  const now = hearth.now();
  hearth.db
    .query("INSERT INTO sessions (id_hash, person_id, csrf_token, created_at, last_seen_at, verified_at) VALUES (?, ?, ?, ?, ?, ?)")
    .run(hashToken(id), personId, csrfToken, now, now, now);
  return { id, csrfToken };
}

export type SessionLookup = { session: Session } | { ended: "idle" | "absolute" | "gone" } | null;

/**
 * The live session this request carries, touched so its idle clock restarts. An expired one
 * is deleted on sight; `ended` tells why, so the page can say so.
 */
export function sessionFromRequest(hearth: Hearth, request: Request, opts: { touch: boolean }): SessionLookup {
  const id = readCookie(request, sessionCookieName(isSecure(hearth, request)));
  if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const idHash = hashToken(id);
  const row = hearth.db
    .query<Row, [string]>(
      `SELECT s.id_hash, s.person_id, p.role, p.status, p.access_ends_at, s.csrf_token, s.created_at, s.last_seen_at, s.verified_at
       FROM sessions s JOIN people p ON p.id = s.person_id WHERE s.id_hash = ?`,
    )
    .get(idHash);
  if (!row) return { ended: "gone" };
  const now = hearth.now();
  const idle = idleMs(hearth, row.role);
  let ended: "idle" | "absolute" | "gone" | null = null;
  if (now - row.created_at >= ABSOLUTE_MS) ended = "absolute";
  else if (now - row.last_seen_at >= idle) ended = "idle";
  else if (row.status !== "active" || (row.access_ends_at !== null && row.access_ends_at <= now)) ended = "gone";
  if (ended) {
    hearth.db.query("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
    return { ended };
  }
  const lastSeenAt = opts.touch ? now : row.last_seen_at;
  if (opts.touch) hearth.db.query("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?").run(now, idHash);
  return {
    session: {
      idHash,
      personId: row.person_id,
      role: row.role,
      csrfToken: row.csrf_token,
      createdAt: row.created_at,
      lastSeenAt,
      verifiedAt: row.verified_at,
      idleEndsAt: Math.min(lastSeenAt + idle, row.created_at + ABSOLUTE_MS),
    },
  };
}

export function markVerified(hearth: Hearth, idHash: string): void {
  hearth.db.query("UPDATE sessions SET verified_at = ? WHERE id_hash = ?").run(hearth.now(), idHash);
}

export function endSession(hearth: Hearth, idHash: string): void {
  hearth.db.query("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
}

/** Ends every session of one person; returns how many there were. */
export function endAllSessions(hearth: Hearth, personId: number): number {
  return hearth.db.query("DELETE FROM sessions WHERE person_id = ?").run(personId).changes;
}

/** Drops sessions that can no longer be used; run now and then so the table stays small. */
export function pruneSessions(hearth: Hearth): void {
  const now = hearth.now();
  const longestIdle = Math.max(hearth.config.idleMinutesStaff, hearth.config.idleMinutes) * 60 * 1000;
  hearth.db.query("DELETE FROM sessions WHERE created_at <= ? OR last_seen_at <= ?").run(now - ABSOLUTE_MS, now - longestIdle);
}
