/**
 * Recording with consent, as people see it in Debian's Chromium: a facilitator and two members in
 * a live session. The facilitator asks; each member's own page asks them in a dialog (axe-checked),
 * one answers from the keyboard, the other says no: nothing records, and only the facilitator
 * learns who said no. The second changes their mind: every page shows it recording. A third joins
 * later: it pauses on every page until they agree in their own dialog. The first
 * withdraws: it stops on every page, and the facilitator reads the consent record (axe-checked) and
 * plays what was recorded in the page's own player (the sealed file, opened by ranges as it plays).
 * src/rooms/recording-consent.test.ts tries every order of events against the rule;
 * src/rooms/recorder.test.ts checks the files themselves (sealed on disk, VP8 and Opus inside).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { makeGroup } from "../room-fixture.ts";
import { axeViolations, describeViolations, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "45300-45399" }), launchBrowser({ extraArgs: MEDIA_ARGS })]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const indicator = (page: Page) => page.locator("#recording-indicator");

test("asked on each person's page; a no holds it and only the facilitator learns who; all yes records on every page; a later join pauses it until they agree; a withdrawal stops it", async () => {
  const g = await makeGroup(server.hearth, 3);
  const path = `/sessions/${g.sessionId}`;
  const lead = await signedInPage(browser, server, g.clinicianIds[0]!);
  const a = await signedInPage(browser, server, g.memberIds[0]!);
  const b = await signedInPage(browser, server, g.memberIds[1]!);
  const c = await signedInPage(browser, server, g.memberIds[2]!);
  for (const page of [lead, a, b, c]) page.setDefaultTimeout(60_000);

  await lead.goto(path);
  await lead.getByText("Nobody is waiting.").waitFor();
  await a.goto(path);
  await b.goto(path);
  await lead.getByRole("button", { name: "Admit Member 1" }).click();
  await lead.getByRole("button", { name: "Admit Member 2" }).click();
  await a.getByRole("button", { name: "I need help now" }).waitFor();
  await b.getByRole("button", { name: "I need help now" }).waitFor();
  expect(await indicator(a).isVisible()).toBe(false);

  await lead.getByRole("button", { name: "Ask to record" }).click();
  const dialogA = a.getByRole("dialog", { name: "May this session be recorded?" });
  await dialogA.waitFor();
  await a.locator("#recording-question").filter({ hasText: "Clinician 1 asks to record this session" }).waitFor();
  // Focus is in the dialog, on the question; the answer is a deliberate keypress away.
  expect(await a.evaluate(() => document.activeElement?.id)).toBe("recording-dialog-title");
  const problems = await axeViolations(a);
  expect(problems.length ? describeViolations("consent dialog", problems) : "").toBe("");
  await indicator(lead).getByText("Asking everyone before recording").waitFor();

  // B says no: nothing records; the facilitator sees who; A never does.
  await b.getByRole("dialog", { name: "May this session be recorded?" }).getByRole("button", { name: "No, do not record" }).click();
  await lead.locator("#recording-holding").getByText("Member 2: said no").waitFor();
  await indicator(b).getByText("You said no.").waitFor();

  // A agrees from the keyboard.
  await a.keyboard.press("Tab");
  expect(await a.evaluate(() => document.activeElement?.id)).toBe("recording-agree");
  await a.keyboard.press("Enter");
  await dialogA.waitFor({ state: "hidden" });
  await indicator(a).getByText("You agreed to be recorded.").waitFor();
  expect(await indicator(a).getAttribute("data-phase")).toBe("asking");
  expect(await a.locator("body").innerText()).not.toContain("said no");

  // B changes their mind: every page shows it recording.
  await indicator(b).getByRole("button", { name: "I agree after all" }).click();
  for (const page of [lead, a, b]) await indicator(page).getByText("Recording", { exact: true }).waitFor();
  expect(await indicator(a).getAttribute("data-phase")).toBe("recording");

  // C joins later: it pauses on every page until C, asked on their own page, agrees.
  await c.goto(path);
  await lead.getByRole("button", { name: "Admit Member 3" }).click();
  const dialogC = c.getByRole("dialog", { name: "May this session be recorded?" });
  await dialogC.waitFor();
  for (const page of [lead, a, b]) await indicator(page).getByText("Recording paused: waiting for everyone to agree").waitFor();
  await lead.locator("#recording-holding").getByText("Member 3: no answer yet").waitFor();
  await dialogC.getByRole("button", { name: "Yes, I agree" }).click();
  for (const page of [lead, a, b, c]) await indicator(page).getByText("Recording", { exact: true }).waitFor();

  // A withdraws: it stops everywhere, and the facilitator can ask again.
  await indicator(a).getByRole("button", { name: "Withdraw my consent" }).click();
  for (const page of [lead, a, b, c]) await indicator(page).waitFor({ state: "hidden" });
  await lead.getByRole("button", { name: "Ask to record" }).waitFor();
  await lead.locator("#announcer").filter({ hasText: "Someone withdrew their consent" }).waitFor();

  // The consent record on the session's safety record, as the facilitator reads it.
  const record = await lead.context().newPage();
  record.setDefaultTimeout(60_000);
  await record.goto(`/groups/${g.groupId}/sessions/${g.sessionId}/safety`);
  await record.getByRole("heading", { name: "Recording consent" }).waitFor();
  await record.getByRole("row", { name: /Member 2 Refused/ }).waitFor();
  await record.getByRole("row", { name: /Member 1 Withdrew/ }).waitFor();
  // What was recorded: a player per person and stretch, playable from the box.
  const players = record.locator("#recordings video");
  const unfinished = record.locator("#recordings").getByText(/not finished/);
  for (let i = 0; ((await players.count()) === 0 || (await unfinished.count()) > 0) && i < 30; i++) {
    await record.waitForTimeout(500); // the files are sealed shut just after the stop; the page is read again
    await record.reload();
  }
  expect(await unfinished.count()).toBe(0);
  expect(await players.count()).toBeGreaterThan(0);
  const seconds = await players.first().evaluate(
    (v: HTMLVideoElement) =>
      new Promise<number>((resolve, reject) => {
        v.addEventListener("loadedmetadata", () => resolve(v.duration), { once: true });
        v.addEventListener("error", () => reject(new Error(`media error ${v.error?.code}`)), { once: true });
        v.preload = "metadata";
        v.load();
      }),
  );
  // The real length of what was recorded (a few seconds), not werift's placeholder of a day.
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThan(120);
  const recordProblems = await axeViolations(record);
  expect(recordProblems.length ? describeViolations("consent record", recordProblems) : "").toBe("");
  for (const page of [lead, a, b, c]) await page.context().close();
}, 240_000);
