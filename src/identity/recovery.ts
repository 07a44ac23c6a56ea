import { randomBytes } from "node:crypto";
import type { Hearth } from "../context.ts";
import { hashToken } from "./tokens.ts";

/**
 * One-time recovery codes for admins: when the last admin has lost every passkey there is
 * nobody left to re-invite them. Ten codes of 80 random bits each, shown once, stored as SHA-256
 * (their entropy makes a slow hash unnecessary), each usable once.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i

function newCode(): string {
  // 16 characters from 31 symbols ≈ 79 bits; rejection sampling keeps them uniform.
  let out = "";
  while (out.length < 16) {
    for (const b of randomBytes(32)) {
      if (b < 248 && out.length < 16) out += ALPHABET[b % 31];
    }
  }
  return out.match(/.{4}/g)!.join("-");
}

export function normaliseCode(input: string): string {
  const plain = input.toLowerCase().replace(/[^a-z0-9]/g, "");
  return plain.length === 16 ? plain.match(/.{4}/g)!.join("-") : plain;
}

/** Replaces this person's codes with fresh ones and returns them (the only time they exist in clear). */
export function issueRecoveryCodes(hearth: Hearth, personId: number): string[] {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const now = hearth.now();
  hearth.db.transaction(() => {
    hearth.db.query("DELETE FROM recovery_codes WHERE person_id = ?").run(personId);
    const insert = hearth.db.query("INSERT INTO recovery_codes (person_id, code_hash, created_at) VALUES (?, ?, ?)");
    for (const c of codes) insert.run(personId, hashToken(c), now);
    hearth.audit.append({ actor: `person:${personId}`, action: "recovery_codes.issued", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  }).immediate();
  return codes;
}

export function unusedRecoveryCodes(hearth: Hearth, personId: number): number {
  return hearth.db.query<{ n: number }, [number]>("SELECT COUNT(*) AS n FROM recovery_codes WHERE person_id = ? AND used_at IS NULL").get(personId)!.n;
}

/** Uses one code; returns whose it was (an active admin's), or null. */
export function redeemRecoveryCode(hearth: Hearth, code: string): number | null {
  const now = hearth.now();
  const row = hearth.db
    .query<{ id: number; person_id: number }, [string]>(
      `SELECT r.id, r.person_id FROM recovery_codes r JOIN people p ON p.id = r.person_id
       WHERE r.code_hash = ? AND r.used_at IS NULL AND p.role = 'admin' AND p.status = 'active'`,
    )
    .get(hashToken(normaliseCode(code)));
  if (!row) return null;
  const took = hearth.db.query("UPDATE recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL").run(now, row.id).changes === 1;
  return took ? row.person_id : null;
}
