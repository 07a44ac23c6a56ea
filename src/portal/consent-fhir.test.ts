/**
 * Consent forms in the FHIR export, through the real server: a patient who signed a form with a
 * passkey gets an active Consent in their own Bundle and in the group's, carrying the exact text
 * signed and its SHA-256, and it validates against the official R4 schema (ajv); a withdrawal
 * makes it inactive with the provision's period closed; a broken Consent fails the same check.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import type { FhirResource } from "../clinic/record/fhir.ts";
import { schemaErrors, validatorFor } from "../clinic/record/fhir-validate.ts";
import { sha256Hex } from "./consent.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let pat: Client;
let formId = 0;
let groupId = 0;
const V1 = "# Telehealth consent\n\nI agree to sessions held by video.\n";
const form = (fields: Record<string, string | number>) => new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();

async function sign(c: Client, id: number): Promise<number> {
  const page = (await c.get(`/portal/consent/forms/${id}`)).text;
  const versionId = /name="versionId" value="(\d+)"/.exec(page)?.[1] ?? "0";
  const o = await c.post(`/portal/consent/forms/${id}/sign/options`, { versionId });
  return (await c.post(`/portal/consent/forms/${id}/sign/verify`, { response: c.key.assert(o.json<{ options: never }>().options) })).status;
}

const consentsIn = (b: FhirResource) => (b.entry as { resource: FhirResource }[]).map((e) => e.resource).filter((r) => r.resourceType === "Consent");

async function myBundle(): Promise<FhirResource> {
  expect((await pat.confirm()).status).toBe(200);
  const r = await pat.post("/record/export", form({}));
  expect(r.status).toBe(200);
  return r.json<FhirResource>();
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  await admin.get("/admin/consent-forms");
  const r = await admin.post("/admin/consent-forms", form({ kind: "telehealth", title: "Telehealth consent", body: V1 }));
  formId = Number(/consent-forms\/(\d+)/.exec(r.headers.location!)![1]);
  await cleo.get("/groups/new");
  groupId = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: "Evening IOP" }))).headers.location!)![1]);
  await cleo.post(`/groups/${groupId}/members`, form({ personId: pat.personId }));
});
afterAll(() => server?.close());

describe("consent forms in the FHIR export", () => {
  let signed: FhirResource;

  test("no signature, no Consent", async () => {
    expect(consentsIn(await myBundle())).toEqual([]);
  });

  test("a signed form becomes an active Consent that validates against the R4 schema", async () => {
    expect(await sign(pat, formId)).toBe(200);
    const b = await myBundle();
    const [c, ...rest] = consentsIn(b);
    expect(rest).toEqual([]);
    signed = c!;
    expect(c!.status).toBe("active");
    expect((c!.scope as { coding: { code: string }[] }).coding[0]!.code).toBe("treatment");
    expect((c!.category as { coding: { code: string }[] }[])[0]!.coding[0]!.code).toBe("59284-0");
    const patient = (b.entry as { fullUrl: string; resource: FhirResource }[]).find((e) => e.resource.resourceType === "Patient")!;
    expect((c!.patient as { reference: string }).reference).toBe(patient.fullUrl);
    const hash = sha256Hex(V1.trim());
    expect(c!.identifier).toContainEqual({ system: "urn:hearth:sha256", value: hash });
    const attachment = c!.sourceAttachment as { data: string; title: string };
    expect(sha256Hex(Buffer.from(attachment.data, "base64").toString("utf8"))).toBe(hash);
    expect(attachment.title).toBe("Telehealth consent v1");
    expect(schemaErrors(b)).toEqual([]);
    const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'consent.exported' AND subject = ?").get(`person:${pat.personId}`)!;
    expect(audited.n).toBe(1);
  }, 60_000);

  test("the group's export carries it too", async () => {
    await cleo.confirm();
    const g = await cleo.post(`/groups/${groupId}/record/export`, form({}));
    expect(g.status).toBe(200);
    expect(consentsIn(g.json<FhirResource>()).map((c) => c.id)).toEqual([signed.id]);
    expect(schemaErrors(g.json<FhirResource>())).toEqual([]);
  });

  test("a withdrawn form is an inactive Consent whose provision ends at the withdrawal, still valid", async () => {
    await pat.get(`/portal/consent/forms/${formId}`);
    expect((await pat.post(`/portal/consent/forms/${formId}/withdraw`, form({}))).status).toBe(303);
    const b = await myBundle();
    const [c] = consentsIn(b);
    expect(c!.status).toBe("inactive");
    expect((c!.provision as { period: { end?: string } }).period.end).toBeString();
    expect(schemaErrors(b)).toEqual([]);
  }, 60_000);

  test("a broken Consent fails the same check", () => {
    const v = validatorFor("Consent");
    expect(v(signed)).toBe(true);
    expect(v({ ...signed, status: "signed" })).toBe(false);
    expect(v({ ...signed, scope: { coding: [{ code: 7 }] } })).toBe(false);
    const { patient: _p, ...rest } = signed;
    expect(v({ ...rest, dateTime: "yesterday" })).toBe(false);
  });
});
