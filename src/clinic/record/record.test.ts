/**
 * The clinical record on a real server (real SQLite, vault, passkeys from software authenticators,
 * a real SMTP server): a clinician asks a group for the PHQ-9, a patient fills it in, item 9
 * alerts the group's clinicians in Hearth and by a content-free e-mail, the patient sees the crisis
 * resources and their chart; session notes are written from the attendance, signed with a
 * passkey (the stored assertion verifies against the stored public key), refuse edits, take
 * signed addenda and are released. A clinician of another group and an admin reach none of it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { freePort, startTestServer, type TestServer } from "../../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../identity/test-client.ts";
import { writeContacts } from "../../identity/people.ts";
import { outboxOf } from "../../notify/routes.ts";
import { startVisit, markAdmitted, endVisit } from "../../rooms/attendance.ts";
import { closeSession, createSession, openSession } from "../sessions.ts";
import { canonicalNote, readNote, sha256Hex } from "./notes.ts";
import { signaturesOf, verifyStoredSignature } from "./signing.ts";

const received: string[] = [];
const smtpPort = freePort();
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  onData(stream, _session, done) {
    let raw = "";
    stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
    stream.on("end", () => (received.push(raw), done()));
  },
});

let server: TestServer;
let cleo: Client; // leads group A
let omar: Client; // leads group B only
let admin: Client;
let pat: Client; // member of group A
let quinn: Client; // member of group B only
let groupA = 0;
let groupB = 0;
const NOTE_TEXT = `Pat practised paced breathing ${crypto.randomUUID()}`;

function form(fields: Record<string, string | number>): string {
  return new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();
}

async function makeGroup(c: Client, name: string, memberIds: number[]): Promise<number> {
  await c.get("/groups/new");
  const made = await c.post("/groups", form({ name }));
  const id = Number(/\/groups\/(\d+)/.exec(made.headers.location!)![1]);
  for (const m of memberIds) await c.post(`/groups/${id}/members`, form({ personId: m }));
  return id;
}

function rawDbContains(text: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  return ["hearth.db", "hearth.db-wal"].some((f) => existsSync(join(server.dataDir, f)) && readFileSync(join(server.dataDir, f)).includes(Buffer.from(text)));
}

/** Time passes (a week between sessions): everyone signs in again, as they would. */
async function later(ms: number): Promise<void> {
  server.clock.advance(ms);
  for (const c of [cleo, omar, admin, pat, quinn]) expect((await c.signIn()).status).toBe(200);
}

/** A held session of group A: Pat in the room for 50 minutes. */
function heldSession(groupId: number, personId: number): number {
  const db = server.hearth.db;
  const id = createSession(db, groupId);
  const t0 = server.hearth.now();
  openSession(db, id, cleo.personId, t0);
  const visit = startVisit(db, id, personId, t0 + 60_000);
  markAdmitted(db, visit, cleo.personId, t0 + 120_000);
  endVisit(db, visit, "left", t0 + 120_000 + 50 * 60_000);
  closeSession(db, id, t0 + 60 * 60_000);
  return id;
}

beforeAll(async () => {
  await new Promise<void>((r) => smtp.listen(smtpPort, "127.0.0.1", () => r()));
  server = await startTestServer({ HEARTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  quinn = await accept(server, await invite(omar, "patient"), "Quinn Patient");
  await writeContacts(server.hearth, cleo.personId, cleo.personId, { reminderContact: "cleo@clinic.test", emergencyContact: "", usualLocation: "" });
  groupA = await makeGroup(cleo, "Group A", [pat.personId]);
  groupB = await makeGroup(omar, "Group B", [quinn.personId]);
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((r) => smtp.close(() => r()));
});

describe("measures", () => {
  let assignmentId = 0;

  test("a clinician asks the group for the PHQ-9; the member sees it waiting", async () => {
    await cleo.get(`/groups/${groupA}/record`);
    const r = await cleo.post(`/groups/${groupA}/record/assignments`, form({ instrument: "phq9", personId: "" }));
    expect(r.status).toBe(303);
    assignmentId = server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM measure_assignments").get()!.id;
    const page = await pat.get("/record/measures");
    expect(page.text).toContain(`href="/record/measures/${assignmentId}"`);
    expect((await pat.get("/")).text).toContain(`href="/record/measures/${assignmentId}"`);
    const dash = await cleo.get(`/groups/${groupA}/record`);
    expect(dash.text).toContain("Not answered yet: Pat Patient");
    expect(dash.text).toContain("Has not answered this round: Pat Patient");
    expect(dash.text).toContain("Worsened reliably: nobody");
  });

  test("the form has the published wording, one fieldset per question, in French and Spanish too", async () => {
    const en = await pat.get(`/record/measures/${assignmentId}`);
    expect(en.text).toContain("Over the last 2 weeks, how often have you been bothered by any of the following problems?");
    expect(en.text.match(/<fieldset/g)?.length).toBe(10);
    expect(en.text.match(/type="radio" name="q9"/g)?.length).toBe(4);
    expect((await pat.get(`/record/measures/${assignmentId}?lang=fr`)).text).toContain("Penser qu&#39;il vaudrait mieux mourir");
    expect((await pat.get(`/record/measures/${assignmentId}?lang=es`)).text).toContain("Casi todos los días");
  });

  test("a missing answer is a 400 naming the question, and the given answers stay checked", async () => {
    const r = await pat.post(`/record/measures/${assignmentId}`, form({ q1: 2, q2: 1 }));
    expect(r.status).toBe(400);
    expect(r.text).toContain("Please answer question 3.");
    expect(r.text).toMatch(/name="q1" value="2" checked/);
    expect(server.hearth.db.query("SELECT 1 FROM measure_responses").get()).toBeNull();
  });

  test("item 9 = 1: the patient sees the crisis resources; the clinician is alerted in Hearth within 2 s and by a content-free e-mail", async () => {
    const started = Date.now();
    const r = await pat.post(`/record/measures/${assignmentId}`, form({ q1: 1, q2: 2, q3: 1, q4: 2, q5: 1, q6: 0, q7: 1, q8: 0, q9: 1, language: "en" }));
    expect(r.status).toBe(200);
    expect(r.text).toContain('href="/crisis"');
    expect(r.text).toContain("PHQ-9: 9 out of 27 (mild).");
    const alerts = await cleo.send("GET", "/record/alerts", undefined, { "x-hearth-background": "1" });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(alerts.text).toContain(`href="/groups/${groupA}/record/members/${pat.personId}"`);
    expect((await omar.get("/record/alerts")).text).not.toContain("<li>");
    expect(await outboxOf(server.hearth).deliverDue()).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]).toContain("Something in Hearth needs your attention now.");
    for (const secret of ["PHQ", "Pat", "item", "dead", "9 out of"]) expect(received[0]).not.toContain(secret);
    // Answered: not waiting any more, and sealed at rest.
    expect((await pat.get("/record/measures")).text).not.toContain(`href="/record/measures/${assignmentId}"`);
    expect((await pat.post(`/record/measures/${assignmentId}`, form({ q1: 0, q2: 0, q3: 0, q4: 0, q5: 0, q6: 0, q7: 0, q8: 0, q9: 0 }))).status).toBe(409);
  });

  test("before each session: a new round opens with the next session; the patient's chart shows the last 6 scores with bands and a matching table", async () => {
    const totals = [9];
    for (const total of [14, 11, 8, 6, 5, 3]) {
      await later(7 * 86_400_000);
      heldSession(groupA, pat.personId);
      server.clock.advance(60_000);
      const answers = Array.from({ length: 9 }, (_, i) => (i < Math.floor(total / 3) ? 3 : i === Math.floor(total / 3) ? total % 3 : 0));
      const r = await pat.post(`/record/measures/${assignmentId}`, form(Object.fromEntries(answers.map((a, i) => [`q${i + 1}`, a]))));
      expect(r.status).toBe(303);
      totals.push(total);
    }
    const page = await pat.get("/record/measures");
    const svg = /<svg class="chart"[^>]*role="img" aria-labelledby="([^"]+)"[\s\S]*?<\/svg>/.exec(page.text)!;
    expect(svg).not.toBeNull();
    expect(page.text).toContain(`<title id="${svg[1]}">PHQ-9 scores over time (6 shown), with severity bands</title>`);
    expect(svg[0].match(/<circle/g)).toHaveLength(6);
    expect(svg[0].match(/<rect class="band band-/g)).toHaveLength(5);
    const rows = [...page.text.matchAll(/<tr><td>[^<]+<\/td><td>(\d+)<\/td><td>([^<]+)<\/td><\/tr>/g)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual([[14, "moderate"], [11, "moderate"], [8, "mild"], [6, "mild"], [5, "mild"], [3, "minimal"]]);
  });

  test("the clinician sees the member's answers, item 9 flagged, and the insights with their rules", async () => {
    const page = await cleo.get(`/groups/${groupA}/record/members/${pat.personId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Answered above 0: follow up");
    expect(page.text).toContain('data-rule="jt-rci"');
    expect(page.text).toContain("Rule: Jacobson–Truax reliable change index");
    expect(page.text).toContain("Attendance: present at 6 of 6 sessions");
    const audited = server.hearth.db.query<{ n: number }, [string, string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'measure.read' AND subject = ? AND actor = ?").get(`person:${pat.personId}`, `person:${cleo.personId}`);
    expect(audited!.n).toBeGreaterThan(0);
  });

  test("a clinician of another group and an admin reach no measure of a patient only in group A", async () => {
    expect((await omar.get(`/groups/${groupA}/record/members/${pat.personId}`)).status).toBe(403);
    expect((await omar.get(`/groups/${groupB}/record/members/${pat.personId}`)).status).toBe(404);
    expect((await omar.get(`/groups/${groupA}/record`)).status).toBe(403);
    expect((await admin.get(`/groups/${groupA}/record/members/${pat.personId}`)).status).toBe(403);
    expect((await admin.get(`/groups/${groupA}/record`)).status).toBe(403);
    expect((await quinn.get(`/record/measures/1`)).status).toBe(404);
    expect((await quinn.get("/record/measures")).text).not.toContain("<svg");
  });
});

describe("session notes", () => {
  let sessionId = 0;
  let noteId = 0;

  test("a DAP note for an attending member starts from the attendance", async () => {
    await later(7 * 86_400_000);
    sessionId = heldSession(groupA, pat.personId);
    const page = await cleo.get(`/groups/${groupA}/sessions/${sessionId}/notes`);
    expect(page.text).toMatch(/Present \d\d:\d\d–\d\d:\d\d \(50 min\)/);
    const r = await cleo.post(`/groups/${groupA}/sessions/${sessionId}/notes`, form({ template: "dap", personId: pat.personId }));
    expect(r.status).toBe(303);
    noteId = Number(/notes\/(\d+)$/.exec(r.headers.location!)![1]);
    const note = await cleo.get(`/groups/${groupA}/notes/${noteId}`);
    expect(note.text).toMatch(/<textarea id="f-attendance"[^>]*>Present \d\d:\d\d–\d\d:\d\d \(50 min\)<\/textarea>/);
    expect(note.text).toContain('name="data"');
    expect(note.text).toContain('name="assessment"');
    expect(note.text).toContain('name="plan"');
  });

  test("signing without text is refused naming the field; signing with a passkey seals it, and the signature verifies against the stored public key", async () => {
    const base = `/groups/${groupA}/notes/${noteId}`;
    const empty = await cleo.post(`${base}/sign/options`, {});
    expect(empty.status).toBe(400);
    expect(empty.json<{ error: string }>().error).toContain("Data");
    const o = await cleo.post(`${base}/sign/options`, { data: NOTE_TEXT, assessment: "Engaged, calmer.", plan: "Continue weekly." });
    expect(o.status).toBe(200);
    const { options } = o.json<{ options: { challenge: string } }>();
    const v = await cleo.post(`${base}/sign/verify`, { response: cleo.key.assert(options) });
    expect(v.status).toBe(200);
    expect(v.json<{ redirect: string }>().redirect).toBe(`${base}?done=signed`);

    const note = (await readNote(server.hearth, cleo.personId, noteId))!;
    const hash = sha256Hex(canonicalNote(note));
    expect(note.contentHash).toBe(hash);
    const [sig] = signaturesOf(server.hearth, noteId);
    expect(Buffer.from(sig!.challenge, "base64url").subarray(0, 32).toString("hex")).toBe(hash);
    expect(await verifyStoredSignature(server.hearth, sig!, hash)).toBe(true);
    // The same signature does not cover other text, and a tampered signature fails.
    expect(await verifyStoredSignature(server.hearth, sig!, sha256Hex(canonicalNote({ ...note, fields: { ...note.fields, plan: "Stop." } })))).toBe(false);
    const bytes = Buffer.from(sig!.signature, "base64url");
    bytes[bytes.length - 1]! ^= 1;
    expect(await verifyStoredSignature(server.hearth, { ...sig!, signature: bytes.toString("base64url") }, hash)).toBe(false);
    expect(rawDbContains(NOTE_TEXT)).toBe(false);
    expect((await cleo.get(base)).text).toContain("Signature checked against the signer&#39;s passkey");
  });

  test("a signed note refuses edits (and the database refuses too); an addendum signed the same way is added", async () => {
    const base = `/groups/${groupA}/notes/${noteId}`;
    const edit = await cleo.post(base, form({ data: "rewritten" }));
    expect(edit.status).toBe(409);
    expect(edit.text).toContain("This note is signed and cannot be changed.");
    expect(() => server.hearth.db.query("UPDATE clinical_notes SET content_hash = 'x' WHERE id = ?").run(noteId)).toThrow();
    expect((await readNote(server.hearth, cleo.personId, noteId))!.fields.data).toBe(NOTE_TEXT);
    const o = await cleo.post(`${base}/addenda/options`, { text: "Called Pat the next day: safe." });
    const v = await cleo.post(`${base}/addenda/verify`, { text: "ignored", response: cleo.key.assert(o.json<{ options: { challenge: string } }>().options) });
    expect(v.status).toBe(200);
    const page = await cleo.get(base);
    expect(page.text).toContain("Called Pat the next day: safe.");
    const sigs = signaturesOf(server.hearth, noteId);
    expect(sigs).toHaveLength(2);
    expect(await verifyStoredSignature(server.hearth, sigs[1]!, sigs[1]!.contentHash)).toBe(true);
    // A replayed assertion is refused: the challenge was single use.
    expect((await cleo.post(`${base}/sign/verify`, { response: cleo.key.assert(o.json<{ options: { challenge: string } }>().options) })).status).toBe(401);
  });

  test("the clinic's own template pre-fills a note on its structure", async () => {
    await cleo.get("/record/templates");
    expect((await cleo.post("/record/templates", form({ base: "group", name: "   " }))).status).toBe(400);
    expect((await cleo.post("/record/templates", form({ base: "group", name: "DBT skills group", theme: "DBT module: ", interventions: "Mindfulness check-in; skills teaching; homework review" }))).status).toBe(303);
    const tpl = server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM note_templates").get()!.id;
    const page = await cleo.get(`/groups/${groupA}/sessions/${sessionId}/notes`);
    expect(page.text).toContain(`<option value="t:${tpl}">DBT skills group (GROUP)</option>`);
    const r = await cleo.post(`/groups/${groupA}/sessions/${sessionId}/notes`, form({ template: `t:${tpl}` }));
    expect(r.status).toBe(303);
    const note = await cleo.get(r.headers.location!);
    expect(note.text).toContain(">Mindfulness check-in; skills teaching; homework review</textarea>");
    expect(note.text).toMatch(/<textarea id="f-attendance"[^>]*>Pat Patient: Present/);
    const unknown = await cleo.post(`/groups/${groupA}/sessions/${sessionId}/notes`, form({ template: "t:99999" }));
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("Choose a template from the list.");
    expect((await pat.get("/record/templates")).status).toBe(403);
    expect((await admin.get("/record/templates")).status).toBe(403);
  });

  test("another clinician's passkey cannot sign for Cleo", async () => {
    const r = await cleo.post(`/groups/${groupA}/sessions/${sessionId}/notes`, form({ template: "group" }));
    const gid = Number(/notes\/(\d+)$/.exec(r.headers.location!)![1]);
    const o = await cleo.post(`/groups/${groupA}/notes/${gid}/sign/options`, { theme: "Sleep", interventions: "Psychoeducation", process: "Open" });
    const v = await cleo.post(`/groups/${groupA}/notes/${gid}/sign/verify`, { response: omar.key.assert(o.json<{ options: { challenge: string } }>().options) });
    expect(v.status).toBe(401);
  });

  test("notes are the facilitators' only: another group's clinician, the admin and the patient are refused; every read is audited", async () => {
    for (const c of [omar, admin]) {
      expect((await c.get(`/groups/${groupA}/notes/${noteId}`)).status).toBe(403);
      expect((await c.get(`/groups/${groupA}/sessions/${sessionId}/notes`)).status).toBe(403);
    }
    expect((await omar.get(`/groups/${groupB}/notes/${noteId}`)).status).toBe(404);
    expect((await pat.get(`/groups/${groupA}/notes/${noteId}`)).status).toBe(403);
    const reads = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'clinical_note.read' AND subject = ?").get(`clinical_note:${noteId}`)!.n;
    await cleo.get(`/groups/${groupA}/notes/${noteId}`);
    expect(server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'clinical_note.read' AND subject = ?").get(`clinical_note:${noteId}`)!.n).toBe(reads + 1);
  });

  test("the patient sees a note only once it is released to them", async () => {
    expect((await pat.get("/record/notes")).text).not.toContain(NOTE_TEXT);
    expect((await cleo.post(`/groups/${groupA}/notes/${noteId}/release`, form({}))).status).toBe(303);
    const mine = await pat.get("/record/notes");
    expect(mine.text).toContain(NOTE_TEXT);
    expect(mine.text).toContain("Called Pat the next day: safe.");
    expect((await quinn.get("/record/notes")).text).not.toContain(NOTE_TEXT);
  });

  test("text changed behind Hearth's back (raw database write) no longer matches its signature, and the page says so", async () => {
    const tampered = await server.hearth.vault.seal(JSON.stringify({ fields: { attendance: "x", data: "rewritten outside Hearth", assessment: "x", plan: "x" } }));
    server.hearth.db.query("UPDATE clinical_notes SET content = ? WHERE id = ?").run(tampered, noteId);
    const page = await cleo.get(`/groups/${groupA}/notes/${noteId}`);
    expect(page.text).toContain("The signature does not match this text");
    expect(page.text).not.toContain("Signature checked");
  });
});
