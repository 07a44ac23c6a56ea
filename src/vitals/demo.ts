// The demo clinic's vitals: one paired simulated oximeter kit lent to the first patient (who agreed),
// a day of simulator readings signed with the device's key and ingested through the real path
// (signature checks, plausibility flags, sealing, thresholds), and an SpO2 threshold. A second
// device is paired but never lent, so the registry shows both states.
import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { generateDeviceKey, signReading } from "../../device/src/reading.ts";
import { Simulator } from "../../device/src/sources/simulator.ts";
import { completePairing, startPairing } from "./pairing.ts";
import { answerAssignment, assignDevice } from "./assignments.ts";
import { setThreshold } from "./thresholds.ts";
import { ingest } from "./ingest.ts";

const DAY = 86_400_000;

function pairDemo(hearth: Hearth, adminId: number, name: string) {
  const key = generateDeviceKey();
  const r = completePairing(hearth, startPairing(hearth, adminId).code, Buffer.from(key.publicKey).toString("base64"), name);
  if (!r.ok) throw new Error(`demo device not paired: ${r.code}`);
  return { deviceId: r.deviceId, key };
}

export async function vitalsDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const group = clinic.groups[0]!;
  const patientId = group.memberIds[0]!;
  const now = hearth.now();
  const kit = pairDemo(hearth, clinic.admin.id, "Ward kit (simulator)");
  pairDemo(hearth, clinic.admin.id, "Spare oximeter");
  const lent = assignDevice(hearth, group.clinicianId, { deviceId: kit.deviceId, patientId, startsAt: now - 2 * DAY, endsAt: null });
  if (!lent.ok) throw new Error(`demo device not lent: ${lent.error}`);
  answerAssignment(hearth, patientId, lent.id, true);
  // The patient agreed "two days ago", so the day of readings below is theirs.
  hearth.db.query("UPDATE vitals_assignments SET consented_at = ? WHERE id = ?").run(now - 2 * DAY, lent.id);
  setThreshold(hearth, group.clinicianId, patientId, { loinc: "59408-5", below: 92, above: null });
  const sim = new Simulator({ seed: 7 });
  const readings = [];
  let seq = 0;
  // One source reading every 6 minutes over the last 24 hours.
  for (let t = now - DAY; t < now; t += 6 * 60_000) {
    const r = sim.next(t);
    for (const o of r.observations) {
      readings.push(signReading({
        deviceId: kit.deviceId, seq: ++seq, sensor: r.sensor, loinc: o.loinc, value: o.special || !Number.isFinite(o.value) ? null : o.value,
        unit: o.unit, special: o.special ?? null, measuredAt: new Date(t).toISOString(), artefact: r.artefact ?? null, battery: r.battery ?? null, firmware: r.firmware ?? null,
      }, kit.key.secretKey));
    }
  }
  const pk = kit.key.publicKey;
  for (let i = 0; i < readings.length; i += 200) await ingest(hearth, kit.deviceId, pk, `demo:${i}`, readings.slice(i, i + 200));
}
