/**
 * `hearth demo` holds a clinical record worth looking at: months of PHQ-9 and GAD-7 answers with
 * some reliable improvements and a reliable worsening (by the same Jacobson–Truax rule the pages
 * use), the attendance they were asked before, and notes for the latest sessions, and fees and payments for invoices.
 */
import { afterAll, expect, test } from "bun:test";
import { tempDir, testConfig } from "../../../tests/harness.ts";
import { openHearth } from "../../server.ts";
import { runDemo } from "../../demo/index.ts";
import { memberProgress, baselines } from "./progress.ts";
import { exportPatient } from "./export.ts";
import { schemaErrors } from "./fhir-validate.ts";

const dir = tempDir();
afterAll(() => dir.remove());

test("the demo's record: months of measures, reliable changes both ways, notes", async () => {
  const hearth = await openHearth(testConfig(dir.path));
  const clinic = await runDemo(hearth, () => {});
  const span = hearth.db.query<{ first: number; last: number; n: number }, []>("SELECT min(answered_at) AS first, max(answered_at) AS last, count(*) AS n FROM measure_responses").get()!;
  expect(span.n).toBeGreaterThan(200);
  expect(span.last - span.first).toBeGreaterThan(150 * 86_400_000);
  const sd0 = await baselines(hearth);
  expect(sd0.phq9!.n).toBe(12);
  const verdicts: string[] = [];
  for (const g of clinic.groups) {
    for (const m of g.memberIds) {
      const p = await memberProgress(hearth, g.clinicianId, g.id, m, { sd0 });
      for (const i of p.insights) verdicts.push(i.rule === "jt-rci" ? `${i.params.measure} ${i.params.verdict}` : i.rule);
    }
  }
  expect(verdicts).toContain("PHQ-9 improved");
  expect(verdicts).toContain("PHQ-9 worsened");
  expect(verdicts).toContain("GAD-7 improved");
  expect(verdicts).toContain("jt-clinical");
  expect(verdicts).toContain("not-answered");
  const notes = hearth.db.query<{ n: number; groups: number }, []>("SELECT count(*) AS n, sum(person_id IS NULL) AS groups FROM clinical_notes").get()!;
  expect(notes.groups).toBe(3);
  expect(notes.n).toBeGreaterThan(6);
  const billing = hearth.db.query<{ fees: number; payments: number }, []>("SELECT (SELECT count(*) FROM group_fees) AS fees, (SELECT count(*) FROM payments) AS payments").get()!;
  expect(billing).toEqual({ fees: 3, payments: 12 });
  expect(hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM note_templates").get()!.n).toBe(1);
  // A demo patient's FHIR Bundle validates against the R4 schema with 0 errors.
  const g = clinic.groups[0]!;
  const bundle = await exportPatient(hearth, g.clinicianId, g.memberIds[0]!, [g.id]);
  expect((bundle.entry as unknown[]).length).toBeGreaterThan(100);
  expect(schemaErrors(bundle)).toEqual([]);
  hearth.db.close();
}, 60_000);
