/**
 * The client portal in Debian's Chromium, passkeys with PRF on the virtual authenticator, one
 * context per person. Journal: the patient writes a private entry (the recovery key is shown
 * once, as text and QR), signs out and in and reads it; the plaintext is in no request body, no
 * database byte and no log line; clinician A cannot see it until it is shared, then reads it,
 * while clinician B (not in the care team) is refused; unshared, A cannot read it either. With a
 * new passkey, the old one revoked, the recovery key opens the old entries again. Every page
 * passes axe with no serious or critical violation. Messaging: the patient writes to their care
 * team, the clinician sees the unread count on the nav, reads and replies, and the patient sees
 * theirs, with the crisis link and the retention policy on the page. Worksheets: A gives the
 * patient a thought record, which they fill in, submit, and read A's comment on. Documents: a
 * 25 MB file uploads with a progress bar and A downloads it byte-identical. Consent: the patient
 * signs v1 with their passkey and downloads the PDF; after v2 they are asked again and A sees
 * "pending re-consent", the stored signature verified. Goals: set, checked in on, charted. My data
 * page. Axe on each.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { firstAdmin, invite } from "../../src/identity/test-client.ts";
import { addMember, createGroup } from "../../src/clinic/groups.ts";
import { createSession } from "../../src/clinic/sessions.ts";
import { axeViolations, describeViolations, launchBrowser, newPerson, type Person } from "./browser.ts";

let server: TestServer;
let browser: Browser;
let base: string;
const axeProblems: string[] = [];
const bodies: string[] = [];
const logged: string[] = [];
const SECRET = `Today the group helped more than I expected ${crypto.randomUUID().slice(0, 8)}`;

let pat: Person;
let a: Person;
let admin: Awaited<ReturnType<typeof firstAdmin>>;

const writeErr = process.stderr.write.bind(process.stderr);
const writeOut = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  // Every log line the server writes during the journey is kept, to look for the plaintext.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => (logged.push(String(chunk)), writeErr(chunk, ...rest))) as typeof process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => (logged.push(String(chunk)), writeOut(chunk, ...rest))) as typeof process.stdout.write;
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  base = server.hearth.config.publicUrl;
});
afterAll(async () => {
  process.stderr.write = writeErr;
  process.stdout.write = writeOut;
  await browser?.close();
  await server?.close();
});

async function person(): Promise<Person> {
  const p = await newPerson(browser, base, { prf: true });
  p.page.on("request", (r) => {
    const body = r.postData();
    if (body) bodies.push(body);
  });
  return p;
}

async function axe(page: Page, label = new URL(page.url()).pathname): Promise<void> {
  const found = await axeViolations(page);
  if (found.length) axeProblems.push(describeViolations(label, found));
}

async function register(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByLabel("Your name").fill(name);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/invite")), page.getByRole("button", { name: "Create my passkey" }).click()]);
}

async function signOutAndIn(page: Page): Promise<void> {
  await page.goto("/signout");
  await Promise.all([page.waitForURL("**/signin?ended=signedout"), page.getByRole("button", { name: "Sign out", exact: true }).click()]);
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole("button", { name: "Sign in with a passkey" }).click()]);
}

async function unlock(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Unlock with my passkey" }).click();
}

function dbHolds(needle: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  return ["hearth.db", "hearth.db-wal"].some((f) => {
    const p = join(server.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(Buffer.from(needle, "utf8"));
  });
}

test("journal: private, read again after signing in, shared with A (B refused), unshared, recovered with a new passkey", async () => {
  admin = await firstAdmin(server);
  let b: Person;
  [a, b, pat] = [await person(), await person(), await person()];
  await register(a.page, base + (await invite(admin, "clinician")), "Cleo Clinician");
  await register(b.page, base + (await invite(admin, "clinician")), "Nina Clinician");

  // Clinician A invites the patient, and both clinicians set up their journal key.
  await a.page.goto("/invitations");
  await a.page.locator("#role").selectOption("patient");
  await a.page.getByRole("button", { name: "Create invitation" }).click();
  await register(pat.page, await a.page.locator("[data-invite-link]").inputValue(), "Pat Patient");
  const patId = server.hearth.db.query<{ id: number }, []>("SELECT id FROM people WHERE role = 'patient' ORDER BY id DESC LIMIT 1").get()!.id;
  for (const c of [a, b]) {
    await c.page.goto("/portal/shared-journals");
    await axe(c.page, "shared journals (locked)");
    await unlock(c.page);
    await c.page.getByRole("heading", { name: "Your recovery key" }).waitFor();
    await c.page.getByRole("button", { name: "I have kept my recovery key" }).click();
    await c.page.getByText("No patient has shared a journal entry with you.").waitFor();
  }

  // The patient's first unlock: a recovery key shown once, as text and as a QR code.
  await pat.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Journal" }).click();
  await pat.page.getByText("Your journal is not set up yet").waitFor();
  await axe(pat.page, "journal (locked)");
  await unlock(pat.page);
  await pat.page.getByRole("heading", { name: "Your recovery key" }).waitFor();
  const recovery = (await pat.page.locator("[data-recovery-key]").textContent())!.replace(/\s+/g, "");
  expect(recovery).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
  expect(await pat.page.locator("[data-recovery-qr] svg path").count()).toBe(1);
  await pat.page.getByText("cannot be recovered by anyone").waitFor();
  await axe(pat.page, "journal (recovery key)");
  await pat.page.getByRole("button", { name: "I have kept my recovery key" }).click();
  expect(await pat.page.locator("[data-recovery-key]").textContent()).toBe("");

  await pat.page.getByLabel("Mood (optional)").selectOption("4");
  await pat.page.getByLabel("Tags (optional, separated by commas)").fill("group, hope");
  await pat.page.getByLabel("Entry", { exact: true }).fill(SECRET);
  await pat.page.getByRole("button", { name: "Save entry" }).click();
  await pat.page.getByText(SECRET).waitFor();
  await pat.page.getByText("Mood: 4 of 5").waitFor();
  await axe(pat.page, "journal (an entry)");

  // Signed out and in again: the passkey unlocks it, and the entry reads the same.
  await signOutAndIn(pat.page);
  await pat.page.goto("/portal/journal");
  expect(await pat.page.getByText(SECRET).count()).toBe(0);
  await unlock(pat.page);
  await pat.page.getByText(SECRET).waitFor();
  expect(await pat.page.getByRole("heading", { name: "Your recovery key" }).isVisible()).toBe(false);
  // "My data": the journal exported decrypted by this browser (the request check below proves nothing was sent).
  const [exported] = await Promise.all([pat.page.waitForEvent("download"), pat.page.getByRole("button", { name: /Export my journal/ }).click()]);
  expect(readFileSync((await exported.path())!, "utf8")).toContain(SECRET);

  // Clinician A sees nothing of it yet; B is outside the care team and refused outright.
  await a.page.goto(`/portal/shared-journals/${patId}`);
  await unlock(a.page);
  await a.page.getByText("This patient shares no entries with you now.").waitFor();
  const refused = await b.page.goto(`/portal/shared-journals/${patId}`);
  expect(refused!.status()).toBe(403);

  // Shared with A: A reads it, marked with when it was shared.
  await pat.page.getByLabel("Share with Cleo Clinician").check();
  await pat.page.getByText("Entry shared with Cleo Clinician.").waitFor();
  await pat.page.getByText(/Shared with Cleo Clinician since/).waitFor();
  await axe(pat.page, "journal (shared)");
  await a.page.reload();
  await unlock(a.page);
  await a.page.getByText(SECRET).waitFor();
  await a.page.getByText(/Shared with you on/).waitFor();
  await axe(a.page, "a shared journal");
  expect((await b.page.goto(`/portal/journal/shared/${patId}`))!.status()).toBe(403);
  await a.page.goto("/portal/shared-journals");
  await a.page.getByRole("link", { name: "Pat Patient" }).waitFor();

  // Unshared: A cannot read it any more.
  await pat.page.getByLabel(/Shared with Cleo Clinician since/).uncheck();
  await pat.page.getByText("Cleo Clinician can no longer read this entry.").waitFor();
  await a.page.goto(`/portal/shared-journals/${patId}`);
  await unlock(a.page);
  await a.page.getByText("This patient shares no entries with you now.").waitFor();
  expect(await a.page.getByText(SECRET).count()).toBe(0);

  // A new passkey, the old one revoked: the recovery key opens the journal, and from then on
  // the new passkey does by itself.
  const [first] = await pat.credentials();
  await pat.removeCredential(first!.credentialId);
  await pat.page.goto("/account");
  await pat.page.getByLabel("Name for this passkey").fill("New phone");
  await Promise.all([pat.page.waitForURL("**/account?added=1"), pat.page.getByRole("button", { name: "Add a passkey" }).click()]);
  await Promise.all([pat.page.waitForURL("**/account?revoked=1"), pat.page.getByRole("button", { name: "Remove passkey First passkey" }).click()]);
  await pat.page.goto("/portal/journal");
  await unlock(pat.page);
  await pat.page.getByRole("heading", { name: "Unlock with your recovery key" }).waitFor();
  await axe(pat.page, "journal (recovery)");
  await pat.page.getByRole("textbox", { name: "Recovery key" }).fill("AGE-SECRET-KEY-1 not a key");
  await pat.page.getByRole("button", { name: "Unlock with the recovery key" }).click();
  await pat.page.getByText("That is not a recovery key.").waitFor();
  await pat.page.getByRole("textbox", { name: "Recovery key" }).fill(recovery.toLowerCase());
  await pat.page.getByRole("button", { name: "Unlock with the recovery key" }).click();
  await pat.page.getByText(SECRET).waitFor();
  await signOutAndIn(pat.page);
  await pat.page.goto("/portal/journal");
  await unlock(pat.page);
  await pat.page.getByText(SECRET).waitFor();

  // The plaintext and the keys never reached the server, its database or its log.
  expect(bodies.length).toBeGreaterThan(10);
  expect(bodies.filter((b) => b.includes(SECRET) || b.toUpperCase().includes("AGE-SECRET-KEY"))).toEqual([]);
  expect(dbHolds(SECRET)).toBe(false);
  expect(dbHolds(recovery)).toBe(false);
  expect(logged.filter((l) => l.includes(SECRET))).toEqual([]);

  // Dark theme and large text: the journal passes axe there too.
  await pat.context.addCookies([
    { name: "hearth_theme", value: "dark", url: base },
    { name: "hearth_text", value: "large", url: base },
  ]);
  await pat.page.reload();
  await unlock(pat.page);
  await pat.page.getByText(SECRET).waitFor();
  await axe(pat.page, "journal (dark, large text)");
  expect(axeProblems).toEqual([]);
}, 180_000);

test("messaging: a thread both ways, with the unread count on the nav", async () => {
  const nav = (p: Person) => p.page.getByRole("navigation", { name: "Main" });
  await nav(pat).getByRole("link", { name: "Messages" }).click();
  await pat.page.getByText("Messages are not watched around the clock.").waitFor();
  await pat.page.getByText(/^Retention:/).waitFor();
  await axe(pat.page, "messages");
  await pat.page.getByLabel("To").selectOption({ label: "My whole care team" });
  await pat.page.getByLabel("Subject").fill("After Tuesday");
  await pat.page.getByLabel("Message", { exact: true }).fill("The breathing exercise helped on the bus.");
  await pat.page.getByRole("button", { name: "Send", exact: true }).click();
  await pat.page.getByText("Message sent.").waitFor();
  await pat.page.getByText("The breathing exercise helped on the bus.").waitFor();
  await axe(pat.page, "a thread");

  await a.page.goto("/");
  await nav(a).getByRole("link", { name: "Messages (1 unread)" }).click();
  await a.page.getByRole("link", { name: "After Tuesday" }).click();
  await a.page.getByText("The breathing exercise helped on the bus.").waitFor();
  expect(await nav(a).getByRole("link", { name: "Messages", exact: true }).count()).toBe(1);
  await a.page.getByLabel("Reply").fill("Glad to hear it. Keep practising.");
  await a.page.getByRole("button", { name: "Send reply" }).click();
  await a.page.getByText("Message sent.").waitFor();
  await axe(a.page, "a thread (clinician)");

  await pat.page.goto("/");
  await nav(pat).getByRole("link", { name: "Messages (1 unread)" }).click();
  await pat.page.getByRole("link", { name: "After Tuesday" }).click();
  await pat.page.getByText("Glad to hear it. Keep practising.").waitFor();
  await pat.page.getByText("Cleo Clinician").waitFor();
  expect(await nav(pat).getByRole("link", { name: "Messages", exact: true }).count()).toBe(1);
  // An attachment goes up through the shared upload script: its title, accents and % and all, in a header.
  await pat.page.getByText("Attach a file").click();
  await pat.page.getByLabel("File").setInputFiles({ name: "diary.txt", mimeType: "text/plain", buffer: Buffer.from("Mon 5h\nTue 6h\n") });
  await pat.page.getByLabel("Title").fill("Sleep diary: 100% été");
  await pat.page.getByRole("button", { name: "Upload" }).click();
  await pat.page.getByRole("link", { name: "Attachment: Sleep diary: 100% été" }).waitFor();
  expect(axeProblems).toEqual([]);
}, 120_000);

test("worksheets: a thought record given, filled in, submitted and commented on", async () => {
  const nav = (p: Person) => p.page.getByRole("navigation", { name: "Main" });
  await a.page.goto("/portal/worksheets");
  await axe(a.page, "worksheets (clinician)");
  await a.page.getByLabel("Worksheet", { exact: true }).selectOption({ label: "CBT thought record" });
  await a.page.getByLabel("To", { exact: true }).selectOption({ label: "Pat Patient" });
  await a.page.getByLabel("Due date").fill("2099-01-15");
  await a.page.getByRole("button", { name: "Give the worksheet" }).click();
  await a.page.getByText("Worksheet given to 1 person.").waitFor();

  await pat.page.goto("/");
  await nav(pat).getByRole("link", { name: "Worksheets" }).click();
  await pat.page.getByRole("link", { name: "CBT thought record" }).click();
  await axe(pat.page, "a worksheet to fill in");
  await pat.page.getByRole("textbox", { name: "Situation, row 1" }).fill("Waiting for the bus");
  await pat.page.getByRole("textbox", { name: "Automatic thoughts, row 1" }).fill("They think I look strange");
  await pat.page.getByRole("button", { name: "Save draft" }).click();
  await pat.page.getByText("Draft saved.").waitFor();
  expect(await pat.page.getByRole("textbox", { name: "Situation, row 1" }).inputValue()).toBe("Waiting for the bus");
  await pat.page.getByRole("textbox", { name: "Balanced thought, row 1" }).fill("People are busy with their own day");
  await pat.page.getByRole("button", { name: "Submit" }).click();
  await pat.page.getByText("Cleo Clinician can now read it.").waitFor();

  await a.page.goto("/portal/worksheets");
  await a.page.getByRole("link", { name: "CBT thought record" }).click();
  expect(await a.page.getByRole("textbox", { name: "Balanced thought, row 1" }).inputValue()).toBe("People are busy with their own day");
  await a.page.getByRole("textbox", { name: "Comment", exact: true }).fill("Well noticed. Try it again on Thursday.");
  await a.page.getByRole("button", { name: "Add the comment" }).click();
  await a.page.getByText("Well noticed. Try it again on Thursday.").waitFor();
  await axe(a.page, "a submitted worksheet");

  await pat.page.reload();
  await pat.page.getByText("Well noticed. Try it again on Thursday.").waitFor();
  expect(axeProblems).toEqual([]);
}, 120_000);

test("documents: a 25 MB file uploads with a progress bar and downloads byte-identical", async () => {
  const file = Buffer.alloc(25 * 1024 * 1024);
  for (let i = 0; i < file.length; i += 65536) crypto.getRandomValues(file.subarray(i, i + 65536));
  file.write("%PDF-1.7\n", 0, "latin1");
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

  await pat.page.goto("/");
  await pat.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await pat.page.getByRole("heading", { name: "Add a document" }).waitFor();
  await axe(pat.page, "documents");
  // What the status line says while the file goes up (the page moves on once it is done).
  const said: string[] = [];
  pat.page.on("console", (m) => said.push(m.text()));
  await pat.page.evaluate(() => {
    const status = document.getElementById("document-status")!;
    new MutationObserver(() => console.log(`status: ${status.textContent}`)).observe(status, { childList: true, characterData: true, subtree: true });
  });
  await pat.page.getByLabel("File").setInputFiles({ name: "summary.pdf", mimeType: "application/pdf", buffer: file });
  await pat.page.getByLabel("Title").fill("Discharge summary");
  await pat.page.getByLabel("Who can see it").selectOption({ label: "Me and my care team" });
  await pat.page.getByRole("button", { name: "Upload" }).click();
  await pat.page.getByText("Document added.").waitFor({ timeout: 60_000 });
  expect(said.some((t) => /status: Uploading… \d+%/.test(t))).toBe(true);
  await pat.page.getByRole("link", { name: "Download Discharge summary" }).waitFor();

  await a.page.goto("/portal/documents");
  await a.page.getByRole("link", { name: "Pat Patient" }).click();
  const [download] = await Promise.all([a.page.waitForEvent("download"), a.page.getByRole("link", { name: "Download Discharge summary" }).click()]);
  expect(download.suggestedFilename()).toBe("Discharge summary.pdf");
  expect(sha(readFileSync((await download.path())!))).toBe(sha(file));
  await axe(a.page, "a patient's documents (clinician)");
  expect(axeProblems).toEqual([]);
}, 180_000);

test("consent: signed with a passkey, a PDF copy, asked again after v2, pending for the clinician", async () => {
  await admin.get("/admin/consent-forms");
  const made = await admin.post("/admin/consent-forms", new URLSearchParams({ kind: "telehealth", title: "Telehealth consent", body: "# Telehealth\n\nSessions may be held by **video**." }).toString());
  const formId = Number(/(\d+)\?/.exec(made.headers.location!)![1]);
  await pat.page.goto("/");
  await pat.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Consent forms" }).click();
  await pat.page.getByRole("link", { name: "Telehealth consent" }).click();
  await axe(pat.page, "a consent form");
  await pat.page.getByRole("button", { name: "Sign with my passkey" }).click();
  await pat.page.getByText("Signed. You can download the signed copy.").waitFor();
  const [pdf] = await Promise.all([pat.page.waitForEvent("download"), pat.page.getByRole("link", { name: "Download the signed copy (PDF)" }).click()]);
  expect(readFileSync((await pdf.path())!).subarray(0, 5).toString()).toBe("%PDF-");

  await admin.get(`/admin/consent-forms/${formId}`);
  await admin.post(`/admin/consent-forms/${formId}/versions`, new URLSearchParams({ body: "# Telehealth\n\nSessions may be held by **video** or phone." }).toString());
  await pat.page.reload();
  await pat.page.getByText("This form has a new version").waitFor();
  const patId = server.hearth.db.query<{ id: number }, []>("SELECT id FROM people WHERE role = 'patient' ORDER BY id DESC LIMIT 1").get()!.id;
  await a.page.goto(`/portal/patients/${patId}/consent`);
  await a.page.getByText("Pending re-consent: signed version 1, version 2 is new").waitFor();
  await a.page.getByText("Signature verified against the stored passkey").waitFor();
  await axe(a.page, "a patient's consent (clinician)");
  expect(axeProblems).toEqual([]);
}, 120_000);

test("goals and my data: a goal set and checked in on, its chart; the my-data page", async () => {
  const nav = pat.page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Goals" }).click();
  await pat.page.getByLabel("What exactly do you want to do? (Specific)").fill("Walk to the park");
  await pat.page.getByLabel("How will you know you did it? (Measurable)").fill("Three times a week");
  await pat.page.getByLabel("Why is it within reach? (Achievable)").fill("It is ten minutes away");
  await pat.page.getByLabel("Why does it matter to you? (Relevant)").fill("I sleep better");
  await pat.page.getByLabel("By when? (Time-bound)").fill("2099-01-15");
  await pat.page.getByLabel("Steps (one per line)").fill("Shoes by the door");
  await axe(pat.page, "goals");
  await pat.page.getByRole("button", { name: "Save the goal" }).click();
  await pat.page.getByText("Goal saved.").waitFor();
  await pat.page.getByRole("link", { name: "Walk to the park" }).click();
  await pat.page.getByLabel("Progress (0 = not started, 10 = done)").selectOption("5");
  await pat.page.getByRole("button", { name: "Save the check-in" }).click();
  await pat.page.getByText("Check-in saved.").waitFor();
  await pat.page.getByRole("img", { name: "Progress over 1 check-ins" }).waitFor();
  await axe(pat.page, "a goal with its chart");
  await nav.getByRole("link", { name: "My data", exact: true }).click();
  await pat.page.getByRole("link", { name: "Download my data (zip)" }).waitFor();
  await axe(pat.page, "my data");
  expect(axeProblems).toEqual([]);
}, 120_000);

test("group consent: the group's clinician requires a form; the member is shown what to sign, signs it, then reaches the waiting room", async () => {
  admin ??= await firstAdmin(server);
  await admin.get("/admin/consent-forms");
  await admin.post("/admin/consent-forms", new URLSearchParams({ kind: "group-confidentiality", title: "Group confidentiality agreement", body: "What is said in the group stays in the group." }).toString());
  const [c, m] = [await person(), await person()];
  await register(c.page, base + (await invite(admin, "clinician")), "Gail Clinician");
  await c.page.goto("/invitations");
  await c.page.locator("#role").selectOption("patient");
  await c.page.getByRole("button", { name: "Create invitation" }).click();
  await register(m.page, await c.page.locator("[data-invite-link]").inputValue(), "Max Member");
  const id = (role: string) => server.hearth.db.query<{ id: number }, [string]>("SELECT id FROM people WHERE role = ? ORDER BY id DESC LIMIT 1").get(role)!.id;
  const groupId = await createGroup(server.hearth, { name: "Tuesday group", createdBy: id("clinician") });
  addMember(server.hearth, id("clinician"), groupId, id("patient"), "member");
  const sessionId = createSession(server.hearth.db, groupId);

  await c.page.goto(`/groups/${groupId}`);
  await c.page.getByLabel("Group confidentiality agreement").check();
  await c.page.getByRole("button", { name: "Save required forms" }).click();
  await c.page.waitForURL(`**/groups/${groupId}#group-consent`);
  expect(await c.page.getByLabel("Group confidentiality agreement").isChecked()).toBe(true);
  await axe(c.page, "a group's page with required consent forms");

  await m.page.goto(`/sessions/${sessionId}`);
  await m.page.getByRole("heading", { name: "Before you join: consent forms" }).waitFor();
  await axe(m.page, "consent forms to sign before joining");
  for (const ctx of [m.context, c.context]) {
    await ctx.addCookies([
      { name: "hearth_theme", value: "dark", url: base },
      { name: "hearth_text", value: "large", url: base },
    ]);
  }
  await m.page.reload();
  await m.page.getByRole("heading", { name: "Before you join: consent forms" }).waitFor();
  await axe(m.page, "consent forms to sign before joining (dark, large text)");
  await c.page.reload();
  await c.page.getByRole("heading", { name: "Consent forms required to join" }).waitFor();
  await axe(c.page, "a group's page with required consent forms (dark, large text)");
  await m.page.getByRole("link", { name: "Group confidentiality agreement" }).click();
  await m.page.getByRole("button", { name: "Sign with my passkey" }).click();
  await m.page.getByText("Signed. You can download the signed copy.").waitFor();
  await m.page.goto(`/sessions/${sessionId}`);
  await m.page.getByRole("heading", { name: "Waiting room" }).waitFor();
  expect(await m.page.getByRole("heading", { name: "Before you join: consent forms" }).count()).toBe(0);
  expect(axeProblems).toEqual([]);
}, 180_000);
