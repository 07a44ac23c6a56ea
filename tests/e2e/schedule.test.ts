/**
 * A group program in Debian's Chromium: a clinician adds a schedule from the group page (an
 * impossible one is refused in the alert region, naming the field), attaches tonight's worksheet
 * with the upload's progress shown; the patient sees the next session on their home page,
 * downloads the worksheet, and gets "Join" when the session opens by itself (the server's own
 * scheduler, on the test clock), which takes them to the session's page. axe-core finds no
 * serious or critical violation on any page of the program.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { accept, firstAdmin, invite } from "../../src/identity/test-client.ts";
import { POLL_SECONDS } from "../../src/clinic/home.ts";
import { localParts, WEEKDAYS } from "../../src/clinic/schedule/recurrence.ts";
import { plannedSessions } from "../../src/clinic/schedule/schedules.ts";
import { schedulerOf } from "../../src/clinic/schedule/scheduler.ts";
import { axeViolations, describeViolations, launchBrowser, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;
const axeProblems: string[] = [];
const ZONE = "America/Toronto";

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function axe(page: Page, label = new URL(page.url()).pathname): Promise<void> {
  const found = await axeViolations(page);
  if (found.length) axeProblems.push(describeViolations(label, found));
}

test("a clinician schedules a group and attaches tonight's worksheet; the patient sees it, downloads it, and joins when it opens by itself", async () => {
  const admin = await firstAdmin(server);
  const cleoClient = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  const patClient = await accept(server, await invite(cleoClient, "patient"), "Pat Patient");
  // The admin names the clinic's zone; the group and its member exist already.
  await admin.get("/admin/clinic");
  expect((await admin.post("/admin/clinic", new URLSearchParams({ zone: ZONE, lead: "10" }).toString())).status).toBe(303);
  await cleoClient.get("/groups/new");
  const made = await cleoClient.post("/groups", new URLSearchParams({ name: "Evening skills group" }).toString());
  const groupPath = made.headers.location!.split("?")[0]!;
  const groupId = Number(groupPath.split("/")[2]);
  await cleoClient.get(groupPath);
  await cleoClient.post(`${groupPath}/members`, `personId=${patClient.personId}`);

  const adminPage = await signedInPage(browser, server, admin.personId);
  await adminPage.goto("/admin/clinic");
  await axe(adminPage, "admin clinic settings");
  await adminPage.context().close();

  // Tonight: the session starts 15 minutes from the (test) clock's now, in Toronto (within everyone's idle time).
  const start = Math.ceil((server.clock.now + 15 * 60_000) / 60_000) * 60_000;
  const local = localParts(ZONE, start);
  const weekday = WEEKDAYS[(new Date(`${local.date}T00:00:00Z`).getUTCDay() + 6) % 7]!;

  const cleo = await signedInPage(browser, server, cleoClient.personId);
  await cleo.goto(groupPath);
  await cleo.getByText("Add a schedule").click();
  const form = cleo.locator(`form[action="${groupPath}/schedules"]`);
  await form.getByLabel("First day").fill(local.date);
  await form.getByLabel("Start time").fill(local.time);
  await form.getByLabel("Length in minutes").fill("60");
  await form.getByRole("checkbox", { name: { MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday", SU: "Sunday" }[weekday] }).check();
  // An end before the start: refused in words, naming the field; what was typed stays.
  await form.getByRole("radio", { name: "On a last day" }).check();
  await form.getByLabel("Last day", { exact: true }).fill("2020-01-01");
  await form.getByRole("button", { name: "Save schedule" }).click();
  await cleo.locator("#flash").getByText("Last day: it is before the first day.").waitFor();
  expect(await form.getByLabel("Start time").inputValue()).toBe(local.time);
  await axe(cleo, "group page, schedule refused");
  await form.getByRole("radio", { name: "After a number of sessions" }).check();
  await form.getByLabel("Number of sessions", { exact: true }).fill("8");
  await form.getByRole("button", { name: "Save schedule" }).click();
  await cleo.getByRole("heading", { name: "Sessions of this schedule" }).waitFor();
  await axe(cleo, "schedule page");
  await cleo.goto(groupPath);
  await cleo.getByText(`at ${local.time} for 60 minutes`).waitFor();
  await axe(cleo, "group page with a schedule");
  const tonight = plannedSessions(server.hearth, [groupId], start - 1, start + 1)[0]!;
  expect(tonight.startsAt).toBe(start);

  await cleo.goto("/calendar");
  await cleo.getByText("Evening skills group").first().waitFor();
  await axe(cleo, "clinician's week");

  // Tonight's worksheet, attached to tonight's session; the upload shows its progress.
  const worksheet = new Uint8Array(3 * 1024 * 1024);
  worksheet.set(new TextEncoder().encode("%PDF-1.4\n% tonight's worksheet\n"));
  worksheet.fill(0x20, 40);
  const statuses: string[] = [];
  await cleo.exposeFunction("__uploadStatus", (text: string) => statuses.push(text));
  await cleo.goto(`/calendar/groups/${groupId}`);
  await axe(cleo, "group dates and materials (clinician)");
  await cleo.evaluate(() => {
    const status = document.getElementById("material-status")!;
    new MutationObserver(() => (window as unknown as { __uploadStatus(t: string): void }).__uploadStatus(status.textContent ?? "")).observe(status, { childList: true, characterData: true, subtree: true });
  });
  const upload = cleo.getByRole("region", { name: "Attach a file" });
  await upload.getByLabel("File", { exact: true }).setInputFiles({ name: "worksheet.pdf", mimeType: "application/pdf", buffer: Buffer.from(worksheet) });
  await upload.getByLabel("Title members will see").fill("Tonight's worksheet");
  await upload.getByLabel("Attach to").selectOption({ index: 1 });
  await Promise.all([cleo.waitForEvent("framenavigated"), upload.getByRole("button", { name: "Upload" }).click()]);
  await cleo.getByText("Tonight's worksheet").waitFor();
  expect(statuses.some((s) => /^Uploading: \d+%$/.test(s))).toBe(true);
  expect(statuses).toContain("Uploaded.");

  // The patient: the next session on their home page, the worksheet, and Join once it opens.
  const pat = await signedInPage(browser, server, patClient.personId);
  await pat.clock.install();
  await pat.goto("/calendar/groups/" + groupId);
  await pat.getByText(`For the session of`).waitFor();
  await axe(pat, "group dates and materials (patient)");
  const [download] = await Promise.all([pat.waitForEvent("download"), pat.getByRole("link", { name: /Download Tonight's worksheet/ }).click()]);
  expect(download.suggestedFilename()).toBe("Tonight's worksheet.pdf");
  expect(new Uint8Array(readFileSync((await download.path())!))).toEqual(worksheet);
  await pat.goto("/calendar");
  await axe(pat, "patient's calendar");
  await pat.goto("/calendar/feed");
  await axe(pat, "calendar feed");
  await pat.goto("/");
  await pat.getByText(`Next session:`).waitFor();
  expect(await pat.getByText(`${local.time} (${ZONE})`).count()).toBeGreaterThan(0);
  expect(await pat.getByRole("link", { name: /Join the session/ }).count()).toBe(0);
  await axe(pat, "patient home with a schedule");

  // Ten minutes before, the server's scheduler opens it; nobody pressed "Open session now".
  server.clock.now = start - 10 * 60_000;
  await schedulerOf(server.hearth).tick();
  await pat.clock.runFor((POLL_SECONDS + 1) * 1000);
  const join = pat.getByRole("link", { name: "Join the session of Evening skills group" });
  await join.waitFor();
  await Promise.all([pat.waitForURL(/\/sessions\/\d+$/), join.click()]);

  // The intake and matching pages, and the notifications the reminders went to.
  await patClient.get("/intake");
  await patClient.post("/intake", "focus=anxiety&language=en&windows=TU-evening&preference=group");
  await pat.goto("/intake");
  await axe(pat, "patient's intake");
  await pat.goto("/notifications");
  await axe(pat, "notifications");
  const review = await signedInPage(browser, server, cleoClient.personId);
  await review.goto("/intake");
  await axe(review, "clinician's intake and matching");
  await review.goto(`/intake/people/${patClient.personId}`);
  await review.getByRole("heading", { name: "Groups with open seats" }).waitFor();
  await axe(review, "ranked suggestions");
  expect(axeProblems.join("\n")).toBe("");
}, 120_000);
