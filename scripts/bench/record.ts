#!/usr/bin/env bun
/**
 * The clinical record under two years of weekly data: one group of 12 members that met every
 * week for 104 weeks, everyone in the room, a PHQ-9 and a GAD-7 from each member before each
 * session (2,496 sealed answers) and a signed, released DAP note per member per session (1,248
 * sealed notes). All data goes in through the record's own functions (sealed, audited); only the
 * "signed" and "released" marks are set directly, since signing needs a person's passkey.
 *
 *   bun scripts/bench/record.ts [--runs 5] [--views 200]
 *
 * 1. FHIR export of one patient (POST .../export, as the browser sends it): wall time per run
 *    and the server process's peak RSS during the exports (sampled every 2 ms). Baseline, right
 *    before each run: opening every sealed value the export reads, without building anything.
 * 2. The group's dashboard (GET /groups/:id/record) `--views` times: p50 and p99. Baseline,
 *    alternating with it: the group's own page (GET /groups/:id), which opens the group and 12
 *    names.
 * The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import { startTestServer } from "../../tests/harness.ts";
import { insertPerson, newWebauthnHandle, sealProfile } from "../../src/identity/people.ts";
import { createSession as signIn } from "../../src/identity/sessions.ts";
import { addMember, createGroup } from "../../src/clinic/groups.ts";
import { closeSession, createSession, openSession } from "../../src/clinic/sessions.ts";
import { endVisit, markAdmitted, startVisit } from "../../src/rooms/attendance.ts";
import { assignMeasure, assignmentById, recordResponse } from "../../src/clinic/record/measures.ts";
import { createNote } from "../../src/clinic/record/notes.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, views: { type: "string", default: "200" } } });
const RUNS = Number(values.runs);
const VIEWS = Number(values.views);
const WEEK = 7 * 86_400_000;

const server = await startTestServer({ HEARTH_LOG_LEVEL: "error" });
const h = server.hearth;
const person = async (role: "clinician" | "patient", name: string) =>
  insertPerson(h, { role, sealedProfile: await sealProfile(h, { displayName: name, pronouns: "", language: "en" }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null });
const clinicianId = await person("clinician", "Cleo Clinician");
const members: number[] = [];
for (let i = 0; i < 12; i++) members.push(await person("patient", `Member ${i + 1}`));
const groupId = await createGroup(h, { name: "Two years of Tuesdays", createdBy: clinicianId });
for (const m of members) addMember(h, clinicianId, groupId, m, "member");
const started = h.now() - 104 * WEEK;
const phq = assignmentById(h, assignMeasure(h, { instrument: "phq9", groupId, personId: null, by: clinicianId }))!;
const gad = assignmentById(h, assignMeasure(h, { instrument: "gad7", groupId, personId: null, by: clinicianId }))!;
const t0 = performance.now();
for (let w = 0; w < 104; w++) {
  const at = started + w * WEEK;
  const sessionId = createSession(h.db, groupId, at);
  openSession(h.db, sessionId, clinicianId, at);
  for (const [i, m] of members.entries()) {
    const level = Math.max(0, Math.min(3, Math.round(2 - (w / 104) * 2 + ((i + w) % 3) - 1)));
    await recordResponse(h, phq, { personId: m, answers: [level, level, 1, 1, level, 0, 1, 0, 0], difficulty: 1, language: "en" }, at - 86_400_000);
    await recordResponse(h, gad, { personId: m, answers: [level, 1, level, 1, 0, 1, 0], difficulty: null, language: "en" }, at - 86_400_000);
    const v = startVisit(h.db, sessionId, m, at);
    markAdmitted(h.db, v, clinicianId, at + 60_000);
    endVisit(h.db, v, "ended", at + 90 * 60_000);
    const noteId = await createNote(h, { sessionId, groupId, personId: m, template: "dap", by: clinicianId, fields: { attendance: "Present 90 min", data: `Week ${w}: shared about the week; practised the skill.`, assessment: "Engaged.", plan: "Continue." } });
    h.db.query("UPDATE clinical_notes SET signed_at = ?, signed_by = ?, content_hash = ?, released_at = ?, released_by = ? WHERE id = ?").run(at + WEEK / 2, clinicianId, "0".repeat(64), at + WEEK / 2, clinicianId, noteId);
  }
  closeSession(h.db, sessionId, at + 90 * 60_000);
}
const seedSeconds = (performance.now() - t0) / 1000;

const session = signIn(h, clinicianId);
const headers = { cookie: `hearth_session=${session.id}`, "x-csrf-token": session.csrfToken, "content-type": "application/x-www-form-urlencoded" };
const patient = members[0]!;

// The server runs in this process: its RSS is this process's. Each export run is preceded by its
// baseline (opening every sealed value the export reads), so both see the same load on a shared box.
const sealed = [
  ...h.db.query<{ c: Uint8Array }, [number]>("SELECT content AS c FROM measure_responses WHERE person_id = ?").all(patient),
  ...h.db.query<{ c: Uint8Array }, [number]>("SELECT content AS c FROM clinical_notes WHERE person_id = ?").all(patient),
];
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
Bun.gc(true);
const rssBefore = process.memoryUsage().rss;
const exportMs: number[] = [];
const openMs: number[] = [];
let bundleBytes = 0;
for (let r = 0; r < RUNS; r++) {
  let a = performance.now();
  for (const s of sealed) await h.vault.open(s.c);
  openMs.push(performance.now() - a);
  a = performance.now();
  const res = await fetch(`${server.url}/groups/${groupId}/record/members/${patient}/export`, { method: "POST", headers, body: "" });
  const body = await res.arrayBuffer();
  exportMs.push(performance.now() - a);
  if (res.status !== 200) throw new Error(`export: ${res.status}`);
  bundleBytes = body.byteLength;
}
clearInterval(sampler);

/** Dashboard and group page, one after the other each round, so both meet the same load. */
async function timeViews(paths: string[]): Promise<number[][]> {
  const out: number[][] = paths.map(() => []);
  for (let i = 0; i < VIEWS + 5; i++) {
    for (const [k, path] of paths.entries()) {
      const a = performance.now();
      const res = await fetch(`${server.url}${path}`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      if (i >= 5) out[k]!.push(performance.now() - a);
    }
  }
  return out.map((xs) => xs.sort((x, y) => x - y));
}
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [dash, groupPage] = (await timeViews([`/groups/${groupId}/record`, `/groups/${groupId}`])) as [number[], number[]];

const result = {
  seedSeconds: Number(seedSeconds.toFixed(1)),
  sealedAnswers: 104 * 12 * 2,
  sealedNotes: 104 * 12,
  export: { runs: RUNS, medianMs: Math.round(median(exportMs)), maxMs: Math.round(Math.max(...exportMs)), bundleKiB: Math.round(bundleBytes / 1024), peakRssMiB: Math.round(peak / 2 ** 20), rssGrowthMiB: Math.round((peak - rssBefore) / 2 ** 20) },
  exportBaseline: { openEverySealedValueMedianMs: Math.round(median(openMs)), values: sealed.length, ratio: Number((median(exportMs) / median(openMs)).toFixed(2)) },
  dashboard: { views: VIEWS, p50Ms: Math.round(q(dash, 0.5)), p99Ms: Math.round(q(dash, 0.99)) },
  dashboardBaseline: { groupPageP50Ms: Math.round(q(groupPage, 0.5)), groupPageP99Ms: Math.round(q(groupPage, 0.99)), p99Ratio: Number((q(dash, 0.99) / q(groupPage, 0.99)).toFixed(2)) },
};
console.log(`export of one patient (208 answers, 104 notes): median ${result.export.medianMs} ms, ${result.export.bundleKiB} KiB, peak RSS ${result.export.peakRssMiB} MiB (+${result.export.rssGrowthMiB} MiB); baseline opening ${sealed.length} sealed values ${result.exportBaseline.openEverySealedValueMedianMs} ms (x${result.exportBaseline.ratio})`);
console.log(`dashboard (12 members, 2 years): p50 ${result.dashboard.p50Ms} ms, p99 ${result.dashboard.p99Ms} ms; group page p99 ${result.dashboardBaseline.groupPageP99Ms} ms (x${result.dashboardBaseline.p99Ratio})`);
console.log(JSON.stringify(result));
await server.close();
process.exit(0);
