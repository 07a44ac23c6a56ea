/**
 * Worksheets through the real server: a thought record is given, filled in (a draft the
 * clinician cannot see), submitted and commented on; a group assignment reaches each member; a
 * clinician's own template is built field by field with field-named refusals; nobody outside
 * the worksheet reaches it; answers are sealed; the standard templates read in French too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let nina: Client;
let pat: Client;
let sam: Client;
let quinn: Client;
let worksheetId = 0;
const SITUATION = `Bus stop, crowded ${crypto.randomUUID().slice(0, 8)}`;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const due = "2099-01-15";

async function postForm(c: Client, page: string, path: string, fields: Record<string, string>) {
  await c.get(page);
  return c.post(path, form(fields));
}

function dbHolds(needle: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  return ["hearth.db", "hearth.db-wal"].some((f) => {
    const p = join(server.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(Buffer.from(needle, "utf8"));
  });
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  sam = await accept(server, await invite(cleo, "patient"), "Sam Patient");
  quinn = await accept(server, await invite(nina, "patient"), "Quinn Patient");
});
afterAll(() => server?.close());

describe("worksheets", () => {
  test("a thought record is given, drafted, submitted and commented on", async () => {
    const given = await postForm(cleo, "/portal/worksheets", "/portal/worksheets/assignments", { template: "std:cbt-thought-record", target: `patient:${pat.personId}`, due });
    expect(given.status).toBe(303);
    expect(given.headers.location).toBe("/portal/worksheets?given=1");
    const list = (await pat.get("/portal/worksheets")).text;
    expect(list).toContain("CBT thought record");
    expect(list).toContain("To do");
    worksheetId = Number(/href="\/portal\/worksheets\/(\d+)"/.exec(list)![1]);

    const blank = (await pat.get(`/portal/worksheets/${worksheetId}`)).text;
    for (const column of ["Situation", "Automatic thoughts", "Emotions (0–100%)", "Balanced thought"]) expect(blank).toContain(column);
    expect(blank).toContain('aria-label="Situation, row 1"');

    const draft = await pat.post(`/portal/worksheets/${worksheetId}`, form({ f0_r0_c0: SITUATION, f0_r0_c1: "Everyone is staring at me", action: "draft" }));
    expect(draft.status).toBe(303);
    expect(draft.headers.location).toEndWith("?saved=draft");
    const cleoSeesDraft = (await cleo.get(`/portal/worksheets/${worksheetId}`)).text;
    expect(cleoSeesDraft).toContain("Not submitted yet");
    expect(cleoSeesDraft).not.toContain(SITUATION);
    expect((await pat.get(`/portal/worksheets/${worksheetId}`)).text).toContain(SITUATION);

    const submit = await pat.post(`/portal/worksheets/${worksheetId}`, form({ f0_r0_c0: SITUATION, f0_r0_c1: "Everyone is staring at me", f0_r0_c5: "Most people look at their phones", action: "submit" }));
    expect(submit.headers.location).toEndWith("?saved=submitted");
    expect((await pat.get(submit.headers.location!)).text).toContain("Cleo Clinician can now read it.");
    const cleoSees = (await cleo.get(`/portal/worksheets/${worksheetId}`)).text;
    expect(cleoSees).toContain(SITUATION);
    expect(cleoSees).toContain("Most people look at their phones");
    expect((await cleo.get("/portal/worksheets")).text).toContain("Submitted");

    expect((await cleo.post(`/portal/worksheets/${worksheetId}/comments`, form({ body: "  " }))).status).toBe(400);
    expect((await cleo.post(`/portal/worksheets/${worksheetId}/comments`, form({ body: "Good catch on the phones. Try it again on Thursday." }))).status).toBe(303);
    expect((await pat.get(`/portal/worksheets/${worksheetId}`)).text).toContain("Good catch on the phones.");

    const late = await pat.post(`/portal/worksheets/${worksheetId}`, form({ f0_r0_c0: "changed", action: "submit" }));
    expect(late.status).toBe(409);
    expect(late.text).toContain("already submitted");
    expect(dbHolds(SITUATION)).toBe(false);
    expect(server.hearth.db.query("SELECT 1 FROM notifications WHERE person_id = ? AND kind = 'portal.worksheet_submitted'").get(cleo.personId)).not.toBeNull();
  });

  test("nobody outside the worksheet reaches it", async () => {
    for (const c of [nina, sam, quinn]) expect((await c.get(`/portal/worksheets/${worksheetId}`)).status).toBe(404);
    expect((await admin.get(`/portal/worksheets/${worksheetId}`)).status).toBe(403);
    expect((await cleo.post(`/portal/worksheets/${worksheetId}`, form({ action: "submit" }))).status).toBe(403);
    expect((await postForm(nina, "/portal/worksheets", "/portal/worksheets/assignments", { template: "std:activity-log", target: `patient:${pat.personId}`, due })).status).toBe(400);
    expect((await postForm(cleo, "/portal/worksheets", "/portal/worksheets/assignments", { template: "std:nope", target: `patient:${pat.personId}`, due })).status).toBe(400);
    const noDue = await postForm(cleo, "/portal/worksheets", "/portal/worksheets/assignments", { template: "std:activity-log", target: `patient:${pat.personId}`, due: "soon" });
    expect(noDue.status).toBe(400);
    expect(noDue.text).toContain("Due date");
  });

  test("a group assignment reaches each member, and the diary card reads in French", async () => {
    await cleo.get("/groups/new");
    const made = await cleo.post("/groups", form({ name: "Evening IOP" }));
    const groupPath = made.headers.location!.split("?")[0]!;
    for (const id of [pat.personId, sam.personId]) await cleo.post(`${groupPath}/members`, `personId=${id}`);
    const groupId = Number(/(\d+)$/.exec(groupPath)![1]);
    const given = await postForm(cleo, "/portal/worksheets", "/portal/worksheets/assignments", { template: "std:dbt-diary-card", target: `group:${groupId}`, due });
    expect(given.headers.location).toBe("/portal/worksheets?given=2");
    sam.cookies.set("hearth_lang", "fr");
    const list = (await sam.get("/portal/worksheets")).text;
    expect(list).toContain("Fiche quotidienne TCD");
    const id = Number(/href="\/portal\/worksheets\/(\d+)"/.exec(list)![1]);
    const page = (await sam.get(`/portal/worksheets/${id}`)).text;
    expect(page).toContain("Compétences pratiquées cette semaine");
    expect(page).toContain("Acceptation radicale");
    const saved = await sam.post(`/portal/worksheets/${id}`, form({ f1_o0: "1", f1_o5: "1", f2: "4", f2_bogus: "x", action: "draft" }));
    expect(saved.status).toBe(303);
    const again = (await sam.get(`/portal/worksheets/${id}`)).text;
    expect(again).toMatch(/name="f1_o5" value="1" checked/);
    expect(again).toMatch(/name="f2" value="4" checked/);
  });

  test("a clinician builds a template field by field; a wrong field is named", async () => {
    const builder = "/portal/worksheets/templates/new";
    const badScale = await postForm(cleo, builder, "/portal/worksheets/templates", { title: "Sleep check", label0: "Hours slept", kind0: "text", label1: "How rested", kind1: "scale", details1: "ten" });
    expect(badScale.status).toBe(400);
    expect(badScale.text).toContain("Field 2: write the scale as lowest-highest");
    expect((await postForm(cleo, builder, "/portal/worksheets/templates", { title: "", label0: "x", kind0: "text" })).text).toContain("the Title field is empty");
    const ok = await postForm(cleo, builder, "/portal/worksheets/templates", {
      title: "Sleep check",
      label0: "Hours slept",
      kind0: "text",
      label1: "How rested",
      kind1: "scale",
      details1: "1-5",
      label2: "Before bed",
      kind2: "checklist",
      details2: "No screens, Warm drink, Breathing",
    });
    expect(ok.headers.location).toBe("/portal/worksheets?done=template");
    const page = (await cleo.get("/portal/worksheets")).text;
    const ref = /<option value="(own:\d+)">Sleep check<\/option>/.exec(page)?.[1];
    expect(ref).toBeDefined();
    expect((await postForm(nina, "/portal/worksheets", "/portal/worksheets/assignments", { template: ref!, target: `patient:${quinn.personId}`, due })).status).toBe(400);
    expect((await postForm(cleo, "/portal/worksheets", "/portal/worksheets/assignments", { template: ref!, target: `patient:${sam.personId}`, due })).status).toBe(303);
    const list = (await sam.get("/portal/worksheets")).text;
    expect(list).toContain("Sleep check");
  });
});
