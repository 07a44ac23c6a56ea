// Ingest: each reading's signature is checked against its device's key, its (device, seq) stored at
// most once, its value sealed, flags set (implausible, clock skew, artefact), and attributed to a
// patient only inside an assignment the patient consented to; otherwise kept apart (patient NULL).
// Refusals are counted per device and code.
import type { Hearth } from "../context.ts";
import { verifyReading, type SignedReading } from "../../device/src/reading.ts";
import { plausible } from "./plausible.ts";
import { patientFor } from "./assignments.ts";
import { evaluate } from "./thresholds.ts";
import { newReadings } from "./live.ts";

/** A device clock this far ahead of the appliance's is flagged. */
export const SKEW_LIMIT_MS = 2 * 60 * 1000;

export type IngestAnswer = {
  accepted: number[];
  duplicate: number[];
  refused: { seq: number; code: string; message: string }[];
};

export type DeviceCheck = { ok: true; publicKey: Uint8Array } | { ok: false; status: 401 | 403; code: string; message: string };

export function checkDevice(hearth: Hearth, deviceId: string): DeviceCheck {
  const d = hearth.db.query("SELECT public_key, revoked_at FROM vitals_devices WHERE id = ?").get(deviceId) as { public_key: Uint8Array; revoked_at: number | null } | null;
  if (!d) return { ok: false, status: 401, code: "unknown-device", message: "This device is not paired with this appliance." };
  if (d.revoked_at !== null) return { ok: false, status: 403, code: "revoked", message: "This device was unpaired on the appliance; its readings are no longer accepted." };
  return { ok: true, publicKey: new Uint8Array(d.public_key) };
}

function refuse(hearth: Hearth, deviceId: string, code: string): void {
  hearth.db.query("INSERT INTO vitals_refusals (device_id, code, count) VALUES (?, ?, 1) ON CONFLICT (device_id, code) DO UPDATE SET count = count + 1").run(deviceId, code);
}

export function refusals(hearth: Hearth, deviceId: string): Record<string, number> {
  const rows = hearth.db.query("SELECT code, count FROM vitals_refusals WHERE device_id = ?").all(deviceId) as { code: string; count: number }[];
  return Object.fromEntries(rows.map((r) => [r.code, r.count]));
}

/** Rebuilds a stored reading (opening its sealed value) so its signature can be checked again. */
export async function storedReading(hearth: Hearth, deviceId: string, seq: number): Promise<SignedReading | null> {
  const row = hearth.db.query("SELECT sensor, loinc, unit, sealed_value, sig FROM vitals_readings WHERE device_id = ? AND seq = ?").get(deviceId, seq) as
    { sensor: string; loinc: string; unit: string; sealed_value: Uint8Array; sig: string } | null;
  if (!row) return null;
  const v = JSON.parse(await hearth.vault.openText(new Uint8Array(row.sealed_value))) as { value: number | null; special: string | null; artefact: string | null; battery: number | null; firmware: string | null; measuredAt: string };
  return { deviceId, seq, sensor: row.sensor, loinc: row.loinc, value: v.value, unit: row.unit, special: v.special, measuredAt: v.measuredAt, artefact: v.artefact, battery: v.battery, firmware: v.firmware, sig: row.sig };
}

export async function ingest(hearth: Hearth, deviceId: string, publicKey: Uint8Array, idempotencyKey: string, readings: SignedReading[]): Promise<IngestAnswer> {
  const answer: IngestAnswer = { accepted: [], duplicate: [], refused: [] };
  const now = hearth.now();
  const retry = hearth.db.query("SELECT 1 FROM vitals_upload_keys WHERE key = ?").get(`${deviceId}|${idempotencyKey}`) !== null;
  const existing = hearth.db.query("SELECT sig FROM vitals_readings WHERE device_id = ? AND seq = ?");
  const insert = hearth.db.query(
    "INSERT INTO vitals_readings (device_id, seq, sensor, loinc, unit, sealed_value, measured_at, received_at, flags, patient_id, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const rows: unknown[][] = [];
  let last: SignedReading | undefined;
  const trusted: [number, string, number][] = [];
  for (const r of readings) {
    if (r.deviceId !== deviceId || !verifyReading(r, publicKey)) {
      refuse(hearth, deviceId, "bad-signature");
      answer.refused.push({ seq: r.seq, code: "bad-signature", message: "The signature does not match this device's key: forged or altered." });
      continue;
    }
    const before = existing.get(deviceId, r.seq) as { sig: string } | null;
    if (before || rows.some((x) => x[1] === r.seq)) {
      if (before && before.sig !== r.sig) {
        refuse(hearth, deviceId, "seq-reused");
        answer.refused.push({ seq: r.seq, code: "seq-reused", message: "A different reading with this sequence number is already stored." });
        continue;
      }
      // Stored before: acknowledged so the agent can let it go; outside a retry of the same batch it is a replay.
      if (!retry) refuse(hearth, deviceId, "replayed");
      answer.duplicate.push(r.seq);
      continue;
    }
    const measuredAt = Date.parse(r.measuredAt);
    if (!Number.isFinite(measuredAt)) {
      answer.refused.push({ seq: r.seq, code: "bad-time", message: "measuredAt is not an ISO 8601 time." });
      refuse(hearth, deviceId, "bad-input");
      continue;
    }
    const flags: string[] = [];
    if (r.value === null) flags.push("special");
    else if (!plausible(r.loinc, r.unit, r.value)) flags.push("implausible");
    if (measuredAt - now > SKEW_LIMIT_MS) flags.push("clock-skew");
    if (r.artefact) flags.push("artefact");
    const sealed = await hearth.vault.seal(JSON.stringify({ value: r.value, special: r.special, artefact: r.artefact, battery: r.battery, firmware: r.firmware, measuredAt: r.measuredAt }));
    const patient = patientFor(hearth, deviceId, measuredAt);
    rows.push([deviceId, r.seq, r.sensor, r.loinc, r.unit, sealed, measuredAt, now, flags.join(","), patient, r.sig]);
    if (patient !== null && flags.length === 0 && r.value !== null) trusted.push([patient, r.loinc, r.value]);
    answer.accepted.push(r.seq);
    last = r;
  }
  hearth.db.transaction(() => {
    for (const row of rows) insert.run(...(row as [string]));
    hearth.db.query("INSERT OR IGNORE INTO vitals_upload_keys (key, received_at) VALUES (?, ?)").run(`${deviceId}|${idempotencyKey}`, now);
    hearth.db.query("UPDATE vitals_devices SET last_seen = ?, battery = coalesce(?, battery), firmware = coalesce(?, firmware) WHERE id = ?")
      .run(now, last?.battery ?? null, last?.firmware ?? null, deviceId);
    // Thresholds see only attributed, unflagged readings, stored in the same transaction.
    for (const [patient, loinc, value] of trusted) evaluate(hearth, patient, loinc, value);
  })();
  newReadings(hearth, new Set(trusted.map(([patient]) => patient)));
  return answer;
}
