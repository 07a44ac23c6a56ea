/**
 * "My data": after a patient has written a message, filled in a worksheet, uploaded a document,
 * signed a consent form and written a journal entry, the zip they download holds every one of
 * those items (the journal as its age files) and their FHIR R4 Bundle (valid against the R4
 * schema, audited as an export by the patient), and nobody else can download it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { unzipSync, strFromU8 } from "fflate";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { createSession } from "../identity/sessions.ts";
import { newIdentity, recipientOf, sealNewEntry, toBase64, wrapKey } from "../../web/portal/journal-crypto.ts";
import { activePasskeys } from "../identity/passkeys.ts";
import { schemaErrors } from "../clinic/record/fhir-validate.ts";
import type { FhirResource } from "../clinic/record/fhir.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let pat: Client;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
});
afterAll(() => server?.close());

test("the zip holds every item the patient created, and only they can download it", async () => {
  await cleo.get("/groups/new");
  const groupId = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: "Evening IOP" }))).headers.location!)![1]);
  await cleo.post(`/groups/${groupId}/members`, form({ personId: String(pat.personId) }));
  await pat.get("/portal/messages");
  await pat.post("/portal/messages", form({ to: "team", subject: "Tuesday", body: "A message for my data" }));

  await cleo.get("/portal/worksheets");
  await cleo.post("/portal/worksheets/assignments", form({ template: "std:cbt-thought-record", target: `patient:${pat.personId}`, due: "2099-01-01" }));
  const wsId = server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM worksheet_assignments").get()!.id;
  await pat.get(`/portal/worksheets/${wsId}`);
  await pat.post(`/portal/worksheets/${wsId}`, form({ f0_r0_c0: "A worksheet answer for my data", action: "submit" }));

  const s = createSession(server.hearth, pat.personId);
  const doc = new TextEncoder().encode("A document for my data\n");
  const up = await fetch(`${server.url}/portal/patients/${pat.personId}/documents`, {
    method: "POST",
    headers: { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken, "content-type": "application/octet-stream", "x-document-title": "My note" },
    body: doc,
    redirect: "manual",
  });
  expect(up.status).toBe(303);

  await admin.get("/admin/consent-forms");
  await admin.post("/admin/consent-forms", form({ kind: "treatment", title: "Consent to treatment", body: "I agree." }));
  await pat.get("/portal/consent/forms/1");
  const o = await pat.post("/portal/consent/forms/1/sign/options", { versionId: "1" });
  expect((await pat.post("/portal/consent/forms/1/sign/verify", { response: pat.key.assert(o.json<{ options: never }>().options) })).status).toBe(200);

  await pat.get(`/portal/patients/${pat.personId}/goals`);
  await pat.post(`/portal/patients/${pat.personId}/goals`, form({ specific: "Walk to the park", measurable: "Three times a week", achievable: "It is close", relevant: "I sleep better", by: "2099-01-01", steps: "Shoes by the door" }));
  await pat.get("/portal/goals/1");
  await pat.post("/portal/goals/1/checkins", form({ progress: "4", note: "A check-in for my data" }));

  const identity = await newIdentity();
  const credentialId = activePasskeys(server.hearth, pat.personId)[0]!.credentialId;
  await pat.post("/portal/journal/key", { recipient: await recipientOf(identity), wraps: [{ credentialId, wrapped: toBase64(await wrapKey(identity, [await recipientOf(identity)])) }] });
  const sealed = await sealNewEntry({ text: "never in the zip as plaintext", mood: null, tags: [], date: "2026-12-06" }, [await recipientOf(identity)]);
  await pat.post("/portal/journal/entries", { ciphertext: toBase64(sealed.ciphertext), wrapped: toBase64(sealed.wrapped) });

  const res = await fetch(`${server.url}/portal/my-data.zip`, { headers: { cookie: `hearth_session=${createSession(server.hearth, pat.personId).id}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-disposition")).toStartWith("attachment;");
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  const names = Object.keys(files);
  expect(names).toContain("README.txt");
  expect(strFromU8(files["profile.json"]!)).toContain("Pat Patient");
  expect(strFromU8(files["messages.json"]!)).toContain("A message for my data");
  expect(strFromU8(files["worksheets.json"]!)).toContain("A worksheet answer for my data");
  expect(strFromU8(files["consents.json"]!)).toContain('"status": "signed"');
  expect(strFromU8(files["goals.json"]!)).toContain("A check-in for my data");
  expect(names.some((n) => n.startsWith("consents/") && n.endsWith(".pdf"))).toBe(true);
  const docName = names.find((n) => n.startsWith("documents/"))!;
  expect(strFromU8(files[docName]!)).toBe("A document for my data\n");
  const journal = JSON.parse(strFromU8(files["journal-encrypted.json"]!));
  expect(journal).toHaveLength(1);
  expect(atob(journal[0].versions[0].ciphertext)).toStartWith("age-encryption.org/v1");
  expect(names.map((n) => strFromU8(files[n]!)).some((t) => t.includes("never in the zip as plaintext"))).toBe(false);

  const fhir = JSON.parse(strFromU8(files["record-fhir.json"]!)) as FhirResource;
  expect(fhir.resourceType).toBe("Bundle");
  const types = (fhir.entry as { resource: FhirResource }[]).map((e) => e.resource.resourceType);
  expect(types).toEqual(expect.arrayContaining(["Patient", "Practitioner", "Group", "Consent"]));
  expect(schemaErrors(fhir)).toEqual([]);
  const exported = server.hearth.db.query<{ n: number }, [string, string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'record.exported' AND actor = ? AND subject = ?").get(`person:${pat.personId}`, `person:${pat.personId}`)!;
  expect(exported.n).toBe(1);

  for (const other of [cleo, admin]) expect((await other.get("/portal/my-data.zip")).status).toBe(403);
});

test("the zip holds what the library keeps about the patient (recommendations, reading) and none of another patient's rows", async () => {
  const quinn = await accept(server, await invite(cleo, "patient"), "Quinn Patient");
  await cleo.get("/groups/new");
  const groupId = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: "Morning group" }))).headers.location!)![1]);
  await cleo.post(`/groups/${groupId}/members`, form({ personId: String(pat.personId) }));
  await admin.get("/admin/library");
  expect((await admin.post("/admin/library", "tracked=on")).status).toBe(303);
  await cleo.get("/portal/library");
  const article = async (title: string) => Number(/\/portal\/library\/(\d+)/.exec((await cleo.post("/portal/library/articles", form({ title, body: "Read slowly." }))).headers.location!)![1]);
  const [sleep, breathing, quinnOnly] = [await article("Sleep hygiene"), await article("Breathing basics"), await article("Only for Quinn")];
  await cleo.post(`/portal/library/${sleep}/assign`, `groupId=${groupId}`);
  await cleo.post(`/portal/library/${breathing}/assign`, `patientId=${pat.personId}`);
  await cleo.post(`/portal/library/${breathing}/assign`, `patientId=${quinn.personId}`);
  await cleo.post(`/portal/library/${quinnOnly}/assign`, `patientId=${quinn.personId}`);
  for (const id of [sleep, sleep, breathing]) expect((await pat.get(`/portal/library/${id}`)).status).toBe(200);
  // Quinn opens the item Pat opened too, more often, and one of their own.
  for (const id of [breathing, breathing, breathing, quinnOnly]) expect((await quinn.get(`/portal/library/${id}`)).status).toBe(200);

  const res = await fetch(`${server.url}/portal/my-data.zip`, { headers: { cookie: `hearth_session=${createSession(server.hearth, pat.personId).id}` } });
  expect(res.status).toBe(200);
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  expect(strFromU8(files["README.txt"]!)).toContain("library.json");
  const text = strFromU8(files["library.json"]!);
  expect(text).not.toContain("Only for Quinn");
  const library = JSON.parse(text) as { recommended: { title: string; to: string }[]; reading: { title: string; times: number; firstReadAt: string }[] };
  expect(library.recommended.map((r) => [r.title, r.to])).toEqual([
    ["Sleep hygiene", "group"],
    ["Breathing basics", "you"],
  ]);
  expect(library.reading.map((r) => [r.title, r.times])).toEqual([
    ["Sleep hygiene", 2],
    ["Breathing basics", 1],
  ]);
  expect(new Date(library.reading[0]!.firstReadAt).getTime()).toBeGreaterThan(0);
});
