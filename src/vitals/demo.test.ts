// The demo's vitals: a paired kit lent to a consenting patient with a day of signed readings (some
// flagged, as the simulator's artefacts are), a spare device, an SpO2 threshold; all through the
// real ingest path, so every stored signature verifies.
import { afterAll, expect, test } from "bun:test";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { openHearth } from "../server.ts";
import { createDemoClinic } from "../demo/clinic.ts";
import { verifyReading } from "../../device/src/reading.ts";
import { vitalsDemo } from "./demo.ts";
import { storedReading } from "./ingest.ts";
import { listDevices } from "./registry.ts";
import { thresholdsOf } from "./thresholds.ts";

const dir = tempDir();
afterAll(() => dir.remove());

test("the demo pairs a simulated kit, lends it with consent, and ingests a day of signed readings", async () => {
  const hearth = await openHearth(testConfig(dir.path));
  const clinic = await createDemoClinic(hearth);
  await vitalsDemo(hearth, clinic);
  const devices = listDevices(hearth);
  expect(devices.map((d) => [d.name, d.status, d.assigned])).toEqual([["Spare oximeter", "never", false], ["Ward kit (simulator)", "active", true]]);
  const patientId = clinic.groups[0]!.memberIds[0]!;
  const rows = hearth.db.query("SELECT seq, flags, patient_id FROM vitals_readings").all() as { seq: number; flags: string; patient_id: number | null }[];
  expect(rows.length).toBeGreaterThan(300);
  expect(rows.every((r) => r.patient_id === patientId)).toBe(true);
  expect(rows.some((r) => r.flags.includes("implausible"))).toBe(true);
  const kit = devices.find((d) => d.assigned)!;
  const pk = new Uint8Array((hearth.db.query("SELECT public_key FROM vitals_devices WHERE id = ?").get(kit.id) as { public_key: Uint8Array }).public_key);
  for (const r of rows.slice(0, 20)) expect(verifyReading((await storedReading(hearth, kit.id, r.seq))!, pk)).toBe(true);
  expect(thresholdsOf(hearth, patientId).map((t) => [t.loinc, t.below])).toEqual([["59408-5", 92]]);
  hearth.db.close();
});
