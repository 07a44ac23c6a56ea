// A reading as it travels from the agent to the appliance: one coded value, signed by the device
// key over a canonical serialisation (fixed field order, so the appliance can rebuild the bytes).
// Shared by the agent (signs) and the appliance (src/vitals verifies).
import { ed25519 } from "@noble/curves/ed25519.js";

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

export function verifyReading(r: SignedReading, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(Buffer.from(r.sig, "base64"), canonical(r), publicKey);
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
