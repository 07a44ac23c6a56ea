// A reading as it travels from the agent to the appliance: one coded value, signed by the device
// key over a canonical serialisation (fixed field order, so the appliance can rebuild the bytes).
// Shared by the agent (signs) and the appliance (src/vitals verifies).
import { ed25519 } from "@noble/curves/ed25519.js";
import { createPublicKey, verify, type KeyObject } from "node:crypto";

export type Reading = {
  deviceId: string;
  seq: number;
  sensor: string;
  loinc: string;
  /** null when the device sent a special value (NaN, NRes, ±INFINITY): see `special`. */
  value: number | null;
  unit: string;
  special: string | null;
  /** ISO 8601 UTC, when the device measured it. */
  measuredAt: string;
  artefact: string | null;
  battery: number | null;
  firmware: string | null;
};

export type SignedReading = Reading & { sig: string };

const FIELDS = ["deviceId", "seq", "sensor", "loinc", "value", "unit", "special", "measuredAt", "artefact", "battery", "firmware"] as const;

export function canonical(r: Reading): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(FIELDS.map((f) => r[f])));
}

export function signReading(r: Reading, secretKey: Uint8Array): SignedReading {
  return { ...pick(r), sig: Buffer.from(ed25519.sign(canonical(r), secretKey)).toString("base64") };
}

// Verifying goes through the runtime's native Ed25519 (BoringSSL), about 10x noble's pure-JS
// verify: it is the appliance's cost per ingested reading (scripts/bench/vitals.ts).
const keyObjects = new Map<string, KeyObject>();
function keyObject(publicKey: Uint8Array): KeyObject {
  const x = Buffer.from(publicKey).toString("base64url");
  let k = keyObjects.get(x);
  if (!k) {
    if (keyObjects.size > 1000) keyObjects.clear();
    keyObjects.set(x, (k = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" })));
  }
  return k;
}

export function verifyReading(r: SignedReading, publicKey: Uint8Array): boolean {
  try {
    const sig = Buffer.from(r.sig, "base64");
    return sig.length === 64 && verify(null, canonical(r), keyObject(publicKey), sig);
  } catch {
    return false;
  }
}

function pick(r: Reading): Reading {
  return Object.fromEntries(FIELDS.map((f) => [f, r[f]])) as Reading;
}

export function generateDeviceKey(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const { secretKey, publicKey } = ed25519.keygen();
  return { secretKey, publicKey };
}
