// A patient's readings as the clinician's pages use them: the sealed values opened, each read
// written to the audit trail. Flagged readings (implausible, artefact, special, clock skew) come
// back marked so a chart can leave them out and a table can say why.
import type { Hearth } from "../context.ts";

export type PatientReading = {
  deviceId: string;
  seq: number;
  loinc: string;
  unit: string;
  value: number | null;
  measuredAt: number;
  flags: string[];
};

export async function readingsOf(hearth: Hearth, actorId: number, patientId: number, o: { since?: number; loinc?: string; limit?: number } = {}): Promise<PatientReading[]> {
  const rows = hearth.db.query(
    `SELECT device_id, seq, loinc, unit, sealed_value, measured_at, flags FROM vitals_readings
     WHERE patient_id = ? AND measured_at >= ? AND (? IS NULL OR loinc = ?) ORDER BY measured_at DESC, seq DESC LIMIT ?`,
  ).all(patientId, o.since ?? 0, o.loinc ?? null, o.loinc ?? null, o.limit ?? 2000) as
    { device_id: string; seq: number; loinc: string; unit: string; sealed_value: Uint8Array; measured_at: number; flags: string }[];
  hearth.audit.append({ actor: `person:${actorId}`, action: "vitals.readings_read", subject: `person:${patientId}`, ownerId: patientId, outcome: "ok" });
  const out: PatientReading[] = [];
  for (const r of rows) {
    const v = JSON.parse(await hearth.vault.openText(new Uint8Array(r.sealed_value))) as { value: number | null };
    out.push({ deviceId: r.device_id, seq: r.seq, loinc: r.loinc, unit: r.unit, value: v.value, measuredAt: r.measured_at, flags: r.flags ? r.flags.split(",") : [] });
  }
  return out.reverse();
}

/** Readings a device sent outside any consented assignment: counted, never opened or shown as anyone's. */
export function readingsApart(hearth: Hearth, deviceId: string): number {
  return (hearth.db.query("SELECT count(*) AS n FROM vitals_readings WHERE device_id = ? AND patient_id IS NULL").get(deviceId) as { n: number }).n;
}
