import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 256-bit random tokens for links; only their SHA-256 is ever stored. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const TOKEN_PATTERN = "^[A-Za-z0-9_-]{43}$";
