/**
 * Recording consents in the FHIR export: after `hearth demo` (a request in the first group where
 * everyone said yes and one member later withdrew), each member's Bundle holds a Consent per answer
 * with the question they answered, the withdrawal closes their permit, and the Bundle validates
 * against the official R4 schema (ajv); a broken Consent fails the same check.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { runDemo } from "../demo/index.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { exportPatient } from "../clinic/record/export.ts";
import type { FhirResource } from "../clinic/record/fhir.ts";
import { schemaErrors } from "../clinic/record/fhir-validate.ts";

let server: TestServer;
let clinic: DemoClinic;
beforeAll(async () => {
  server = await startTestServer();
  clinic = await runDemo(server.hearth, () => {});
}, 120_000);
afterAll(() => server.close());

const recordingConsents = (b: FhirResource) =>
  (b.entry as { resource: FhirResource }[])
    .map((e) => e.resource)
    .filter((r) => r.resourceType === "Consent" && (r.identifier as { system: string }[]).some((i) => i.system === "urn:hearth:recording-answer"));

test("a member's recording answers are Consents in their Bundle, the withdrawal closing the permit, valid R4", async () => {
  const group = clinic.groups[0]!;
  const withdrew = group.memberIds[0]!;
  const stayed = group.memberIds[1]!;
  const mine = await exportPatient(server.hearth, group.clinicianId, withdrew, [group.id]);
  const consents = recordingConsents(mine);
  expect(consents.map((c) => (c.provision as { type: string }).type)).toEqual(["permit", "deny"]);
  expect(consents.map((c) => c.status)).toEqual(["inactive", "inactive"]);
  const permit = consents[0]!.provision as { period: { start: string; end?: string } };
  expect(permit.period.end).toBe(consents[1]!.dateTime as string);
  const question = Buffer.from((consents[0]!.sourceAttachment as { data: string }).data, "base64").toString("utf8");
  expect(question).toContain("asks to record this session");
  expect(schemaErrors(mine)).toEqual([]);

  // Another member's consent is theirs alone: not in this Bundle, and ended with the request in theirs.
  const theirs = recordingConsents(await exportPatient(server.hearth, group.clinicianId, stayed, [group.id]));
  expect(theirs.length).toBe(1);
  expect(consents.some((c) => theirs.some((t) => t.id === c.id))).toBe(false);
  expect(theirs[0]!.status).toBe("inactive");

  const broken = structuredClone(mine);
  const entry = (broken.entry as { resource: FhirResource }[]).find((e) => e.resource.id === consents[0]!.id)!;
  entry.resource.status = "agreed";
  expect(schemaErrors(broken).length).toBeGreaterThan(0);
});
