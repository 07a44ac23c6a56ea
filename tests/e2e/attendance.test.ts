/**
 * Attendance as a clinician checks it, in Debian's Chromium: a clinician and two patients in
 * their own browser contexts go through the real session page (knock, admit, leave, end), while
 * the server's test clock is moved forward between the steps instead of waiting real minutes.
 * After the session the clinician's session page is the record; its CSV, downloaded through the
 * page's link, lists each person with minutes present within a minute of the times the test set.
 * The record and the group page pass axe.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { makeGroup } from "../room-fixture.ts";
import { axeViolations, describeViolations, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;
const MIN = 60_000;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "45300-45399" }),
    launchBrowser({ extraArgs: MEDIA_ARGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The person's visits in the database (no waiting on the page: the server's own record). */
const admittedCount = (sessionId: number) =>
  server.hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM attendance WHERE session_id = ? AND admitted_at IS NOT NULL").get(sessionId)!.n;

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a 35-minute session: the CSV from the session page gives each person's minutes within a minute", async () => {
  const g = await makeGroup(server.hearth, 2);
  const path = `/sessions/${g.sessionId}`;
  const [clinician, a, b] = await Promise.all([g.clinicianIds[0]!, ...g.memberIds].map((id) => signedInPage(browser, server, id)));
  const errors: string[] = [];
  for (const p of [clinician!, a!, b!]) {
    p.on("pageerror", (e) => errors.push(e.message));
    // A room message the page failed to handle is caught and logged, not thrown: count it too.
    p.on("console", (m) => m.text().includes("not handled") && errors.push(m.text()));
  }

  await clinician!.goto(path);
  await clinician!.getByRole("heading", { level: 1, name: "Group session" }).waitFor();
  await until(() => admittedCount(g.sessionId) === 1, "the clinician in");
  await a!.goto(path);
  await b!.goto(path);
  await clinician!.getByRole("button", { name: "Admit Member 2" }).waitFor();
  server.clock.advance(2 * MIN); // A and B wait: not counted
  await clinician!.getByRole("button", { name: "Admit Member 1" }).click();
  await until(() => admittedCount(g.sessionId) === 2, "A let in");
  server.clock.advance(3 * MIN);
  await clinician!.getByRole("button", { name: "Admit Member 2" }).click();
  await until(() => admittedCount(g.sessionId) === 3, "B let in");
  server.clock.advance(20 * MIN);
  await b!.getByRole("button", { name: "Leave" }).click();
  await until(() => server.hearth.db.query("SELECT 1 FROM attendance WHERE person_id = ? AND left_at IS NOT NULL").get(g.memberIds[1]!) !== null, "B gone");
  server.clock.advance(10 * MIN);
  await clinician!.getByRole("button", { name: "End session for everyone" }).click();
  await clinician!.getByRole("button", { name: "End now" }).click();
  await a!.getByRole("heading", { name: "The session has ended" }).waitFor();

  // A new page (the sign-in of the first has idled out over the test clock's 35 minutes).
  const later = await signedInPage(browser, server, g.clinicianIds[0]!);
  await later.goto(path);
  await later.getByRole("heading", { name: "Attendance", exact: true }).waitFor();
  expect(new URL(later.url()).pathname).toBe(`/groups/${g.groupId}/sessions/${g.sessionId}`);
  const download = later.waitForEvent("download");
  await later.getByRole("link", { name: "Download attendance (CSV)" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`^attendance-session-${g.sessionId}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const rows = readFileSync((await file.path())!, "utf8")
    .replace(/^\uFEFF/, "")
    .trim()
    .split("\r\n")
    .map((line) => line.split(",").map((cell) => cell.replace(/^"|"$/g, "")));
  expect(rows[0]).toEqual(["Name", "Part", "First let in", "Last left", "Minutes present", "Visits", "How it ended"]);
  const minutes = new Map(rows.slice(1).map((r) => [r[0], Number(r[4])]));
  const expected = new Map([["Clinician 1", 35], ["Member 1", 33], ["Member 2", 20]]);
  expect([...minutes.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, want] of expected) expect(Math.abs(minutes.get(name)! - want)).toBeLessThanOrEqual(1);

  // The group page shows the same minutes; both pages pass axe.
  const problems: string[] = [];
  const found = await axeViolations(later);
  if (found.length) problems.push(describeViolations("session record", found));
  await later.goto(`/groups/${g.groupId}`);
  await later.locator("#group-attendance").waitFor();
  const cell = await later.locator(`#group-attendance tr[data-person-id="${g.memberIds[0]}"] td`).first().getAttribute("data-minutes");
  expect(Math.abs(Number(cell) - 33)).toBeLessThanOrEqual(1);
  const onGroup = await axeViolations(later);
  if (onGroup.length) problems.push(describeViolations("group page", onGroup));
  expect(problems).toEqual([]);
  expect(errors).toEqual([]);
  for (const p of [clinician!, a!, b!, later]) await p.context().close();
}, 180_000);
