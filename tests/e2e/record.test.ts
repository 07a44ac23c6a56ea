/**
 * The clinical record in Debian's Chromium. A clinician who registered their passkey in the
 * browser (virtual authenticator) asks the group for the PHQ-9; the patient fills it in at home
 * with the keyboard, answers item 9 with "Several days" and is shown the crisis resources, while
 * the clinician's open home page shows the alert within 2 s. The clinician then writes a DAP note
 * for the patient from the pre-filled attendance and signs it with the passkey; an edit is
 * refused, an addendum signed the same way is added, and the stored signature verifies against
 * the stored public key; released, the note reaches the patient. Every page passes axe-core with
 * no serious or critical violation.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { Client, accept, firstAdmin, invite } from "../../src/identity/test-client.ts";
import { createSession as signInSession } from "../../src/identity/sessions.ts";
import { startVisit, markAdmitted, endVisit } from "../../src/rooms/attendance.ts";
import { closeSession, createSession, openSession } from "../../src/clinic/sessions.ts";
import { canonicalNote, noteMeta, readNote, sha256Hex } from "../../src/clinic/record/notes.ts";
import { signaturesOf, verifyStoredSignature } from "../../src/clinic/record/signing.ts";
import { axeViolations, describeViolations, launchBrowser, newPerson, signedInPage, type Person } from "./browser.ts";

let server: TestServer;
let browser: Browser;
let base = "";
let cleo: Person;
const axeProblems: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  base = server.hearth.config.publicUrl;
});
afterAll(async () => {
  await cleo?.close();
  await browser?.close();
  await server?.close();
});

async function axe(page: Page, label = new URL(page.url()).pathname): Promise<void> {
  const found = await axeViolations(page);
  if (found.length) axeProblems.push(describeViolations(label, found));
}

function form(fields: Record<string, string | number>): string {
  return new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();
}

test("PHQ-9 at home alerts the clinician; a DAP note from the attendance is signed with a passkey, refuses edits and takes a signed addendum", async () => {
  const admin = await firstAdmin(server);
  // The clinician registers a passkey in the browser's virtual authenticator.
  cleo = await newPerson(browser, base);
  await cleo.page.goto(await invite(admin, "clinician"));
  await cleo.page.getByLabel("Your name").fill("Cleo Clinician");
  await Promise.all([cleo.page.waitForURL((u) => !u.pathname.startsWith("/invite")), cleo.page.getByRole("button", { name: "Create my passkey" }).click()]);
  const cleoId = server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM people WHERE role = 'clinician'").get()!.id;
  // The same clinician, from a program, for the set-up steps that are not this journey's.
  const cleoApi = new Client(server);
  cleoApi.cookies.set("hearth_session", signInSession(server.hearth, cleoId).id);
  await cleoApi.get("/");
  const patApi = await accept(server, await invite(cleoApi, "patient"), "Pat Patient");
  await cleoApi.get("/groups/new");
  const groupId = Number(/\/groups\/(\d+)/.exec((await cleoApi.post("/groups", form({ name: "Tuesday circle" }))).headers.location!)![1]);
  await cleoApi.post(`/groups/${groupId}/members`, form({ personId: patApi.personId }));

  // The clinician asks the group for the PHQ-9 from the group's record.
  const c = cleo.page;
  await c.goto(`/groups/${groupId}`);
  await Promise.all([c.waitForURL(`**/groups/${groupId}/record`), c.getByRole("link", { name: /Clinical record/ }).click()]);
  await axe(c, "group record");
  await c.getByLabel("Measure", { exact: true }).selectOption("phq9");
  await c.getByLabel("From whom").selectOption({ label: "Every member, before each session" });
  await Promise.all([c.waitForURL("**?done=assigned"), c.getByRole("button", { name: "Ask", exact: true }).click()]);
  await c.getByText("Not answered yet: Pat Patient").waitFor();
  await c.goto("/");

  // The patient fills it in at home, with the keyboard only.
  const pat = await signedInPage(browser, server, patApi.personId);
  await pat.goto("/");
  await Promise.all([pat.waitForURL("**/record/measures"), pat.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Questionnaires" }).click()]);
  await axe(pat, "questionnaires");
  await Promise.all([pat.waitForURL(/\/record\/measures\/\d+$/), pat.getByRole("link", { name: "Fill in the PHQ-9" }).click()]);
  await axe(pat, "PHQ-9 form");
  const answers = [1, 2, 1, 2, 1, 0, 1, 0, 1];
  for (const [i, a] of answers.entries()) {
    const group = pat.getByRole("group", { name: new RegExp(`^${i + 1}\\. `) });
    await group.getByRole("radio").first().focus();
    // Arrow keys move through a radio group and check as they go.
    for (let k = 0; k < a; k++) await pat.keyboard.press("ArrowRight");
    if (a === 0) await pat.keyboard.press("Space");
    expect(await group.getByRole("radio", { checked: true }).getAttribute("value")).toBe(String(a));
  }
  await pat.getByRole("button", { name: "Send my answers" }).focus();
  await Promise.all([pat.waitForURL(/\/record\/measures\/\d+$/), pat.keyboard.press("Enter")]);
  await pat.getByRole("heading", { name: "You are not alone" }).waitFor();
  expect(await pat.getByText("PHQ-9: 9 out of 27 (mild).").count()).toBe(1);
  expect(await pat.getByRole("link", { name: "Crisis lines you can call now" }).getAttribute("href")).toBe("/crisis");
  await axe(pat, "crisis resources after PHQ-9");
  // The clinician's open home page shows the alert by itself, within 2 s of the answers being stored.
  await c.getByRole("heading", { name: "Needs your attention" }).waitFor({ timeout: 2000 });
  await axe(c, "home with alert");
  await Promise.all([c.waitForURL(`**/groups/${groupId}/record/members/${patApi.personId}`), c.getByRole("link", { name: /A questionnaire answer/ }).click()]);
  await c.getByText("Answered above 0: follow up").first().waitFor();
  await axe(c, "member record");

  // A session Pat attended for 50 minutes.
  const db = server.hearth.db;
  const sessionId = createSession(db, groupId);
  const t0 = server.hearth.now();
  openSession(db, sessionId, cleoId, t0);
  const visit = startVisit(db, sessionId, patApi.personId, t0);
  markAdmitted(db, visit, cleoId, t0 + 60_000);
  endVisit(db, visit, "left", t0 + 51 * 60_000);
  closeSession(db, sessionId, t0 + 55 * 60_000);

  // The clinician writes a DAP note from the pre-filled attendance and signs it.
  await c.goto(`/groups/${groupId}/record`);
  await Promise.all([c.waitForURL(`**/sessions/${sessionId}/notes`), c.getByRole("link", { name: /^Session notes:/ }).click()]);
  await axe(c, "session notes");
  await c.getByRole("row", { name: /Pat Patient/ }).getByText(/Present .*\(50 min\)/).waitFor();
  await c.getByRole("row", { name: /Pat Patient/ }).getByLabel("Template").selectOption("dap");
  await Promise.all([c.waitForURL(/\/notes\/\d+$/), c.getByRole("button", { name: "Write note for Pat Patient" }).click()]);
  const noteId = Number(/\/notes\/(\d+)$/.exec(c.url())![1]);
  expect(await c.getByLabel("Attendance").inputValue()).toMatch(/^Present \d\d:\d\d–\d\d:\d\d \(50 min\)$/);
  await c.getByLabel("Data").fill("Pat described two nights of poor sleep and practised paced breathing with the group.");
  await c.getByLabel("Assessment").fill("Engaged; mood lower than last week; PHQ-9 item 9 followed up by phone.");
  await c.getByLabel("Plan").fill("Safety plan reviewed; continue weekly group.");
  await c.getByRole("button", { name: "Save draft" }).click();
  await c.locator("#note-status").getByText("Draft saved.").waitFor();
  await axe(c, "draft note");
  await Promise.all([c.waitForURL("**?done=signed"), c.getByRole("button", { name: "Sign with your passkey" }).click()]);
  await c.getByText("The note is signed.").waitFor();
  expect(await c.locator("textarea[name=data]").count()).toBe(0);
  await axe(c, "signed note");

  // An edit is refused, with the reason, and the text did not change.
  const edit = await c.evaluate(async (url) => {
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": token }, body: "data=rewritten" });
    return { status: r.status, text: await r.text() };
  }, `/groups/${groupId}/notes/${noteId}`);
  expect(edit.status).toBe(409);
  expect(edit.text).toContain("This note is signed and cannot be changed.");

  // An addendum, signed the same way.
  await c.getByLabel("Addendum").fill("Phoned Pat the next morning: safe, plan in place.");
  await Promise.all([c.waitForURL("**?done=addendum"), c.getByRole("button", { name: "Sign and add the addendum" }).click()]);
  await c.getByText("Phoned Pat the next morning: safe, plan in place.").waitFor();

  // The stored assertions verify against the stored public key of the browser's passkey.
  const note = (await readNote(server.hearth, cleoId, noteId))!;
  expect(note.fields.data).toStartWith("Pat described two nights");
  expect(noteMeta(server.hearth, noteId)!.contentHash).toBe(sha256Hex(canonicalNote(note)));
  const sigs = signaturesOf(server.hearth, noteId);
  expect(sigs).toHaveLength(2);
  expect(await verifyStoredSignature(server.hearth, sigs[0]!, sha256Hex(canonicalNote(note)))).toBe(true);
  expect(await verifyStoredSignature(server.hearth, sigs[1]!, sigs[1]!.contentHash)).toBe(true);
  expect((await cleo.credentials())[0]!.signCount).toBeGreaterThanOrEqual(3);

  // The other pages of the record pass axe too: billing, the clinic's templates, the member's notes.
  await c.goto(`/groups/${groupId}/record/billing`);
  await c.getByRole("heading", { level: 1, name: "Billing" }).waitFor();
  await axe(c, "billing");
  await c.goto("/record/templates");
  await axe(c, "note templates");
  await c.goto(`/groups/${groupId}/notes/${noteId}`);
  await Promise.all([c.waitForURL("**?done=released"), c.getByRole("button", { name: "Release this note to the patient" }).click()]);
  await pat.goto("/record/notes");
  await pat.getByText("Phoned Pat the next morning: safe, plan in place.").waitFor();
  await axe(pat, "member's released notes");

  await pat.context().close();
  expect(axeProblems.join("\n")).toBe("");
}, 120_000);
