// Pairing: an admin asks for a one-time 8-digit code (valid 10 minutes, stored only as a hash); the
// agent sends it with its Ed25519 public key and gets its device id back. Revoking a device makes its
// next upload answer 403 with a message the agent shows.
import { sha256 } from "@noble/hashes/sha2.js";
import type { Hearth } from "../context.ts";

export const CODE_TTL_MS = 10 * 60 * 1000;

const hashCode = (code: string) => Buffer.from(sha256(new TextEncoder().encode(`hearth-pairing:${code}`))).toString("hex");

export function startPairing(hearth: Hearth, adminId: number): { code: string; expiresAt: number } {
  const n = crypto.getRandomValues(new Uint32Array(1))[0]! % 100_000_000;
  const code = String(n).padStart(8, "0");
  const expiresAt = hearth.now() + CODE_TTL_MS;
  hearth.db.query("INSERT INTO vitals_pairing_codes (code_hash, created_by, expires_at) VALUES (?, ?, ?)").run(hashCode(code), adminId, expiresAt);
  return { code, expiresAt };
}

export type PairResult = { ok: true; deviceId: string } | { ok: false; code: "bad-code" | "expired-code" | "bad-key" };

export function completePairing(hearth: Hearth, code: string, publicKeyB64: string, name: string): PairResult {
  const key = Buffer.from(publicKeyB64, "base64");
  if (key.length !== 32) return { ok: false, code: "bad-key" };
  const row = hearth.db.query("SELECT expires_at, used_at FROM vitals_pairing_codes WHERE code_hash = ?").get(hashCode(code)) as { expires_at: number; used_at: number | null } | null;
  if (!row || row.used_at !== null) return { ok: false, code: "bad-code" };
  if (row.expires_at < hearth.now()) return { ok: false, code: "expired-code" };
  const deviceId = `dev_${Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString("base64url")}`;
  hearth.db.transaction(() => {
    hearth.db.query("UPDATE vitals_pairing_codes SET used_at = ? WHERE code_hash = ?").run(hearth.now(), hashCode(code));
    hearth.db.query("INSERT INTO vitals_devices (id, public_key, name, paired_at) VALUES (?, ?, ?, ?)").run(deviceId, key, name, hearth.now());
  })();
  return { ok: true, deviceId };
}

export function revokeDevice(hearth: Hearth, deviceId: string): boolean {
  return hearth.db.query("UPDATE vitals_devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(hearth.now(), deviceId).changes > 0;
}
