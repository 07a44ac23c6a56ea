/**
 * The room's tools in Debian's Chromium: a clinician and two patients, each in their own browser
 * context, signed in (people made directly; tests/e2e/room.test.ts covers passkeys and invitations)
 * and admitted through the real pages. What each person sees:
 * - Chat: patient A's message appears at the clinician and at patient B, its link as plain text;
 *   A's private message to the facilitators reaches the clinician only; a message the clinician
 *   hides disappears for the members and stays, marked, for the clinician. The unread badge.
 * - Hands: A and then B raise their hands; every page shows A first (and the tile says so); the
 *   clinician calls on A and every queue shows B.
 * - Polls: an anonymous poll answered by two members shows 2 votes when closed; no row in the
 *   database links a person to an answer.
 * - axe: no serious or critical violation on the room with every panel open.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { makeGroup } from "../room-fixture.ts";
import { axeViolations, describeViolations, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "44800-44899" }),
    launchBrowser({ extraArgs: MEDIA_ARGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Everything the page's live region says from now on. */
async function listen(page: Page): Promise<void> {
  await page.evaluate(() => {
    const said: string[] = [];
    (window as unknown as { __said: string[] }).__said = said;
    const region = document.getElementById("announcer")!;
    new MutationObserver(() => said.push(region.textContent ?? "")).observe(region, { childList: true, characterData: true, subtree: true });
  });
}
const said = (page: Page) => page.evaluate(() => (window as unknown as { __said: string[] }).__said.join(" | "));

const chatTexts = (page: Page) => page.locator("#chat-log .chat-text").allTextContents();
const handNames = (page: Page) => page.locator("#hands-list .person-name").allTextContents();

async function send(page: Page, text: string, to: "Everyone" | "Facilitators only (private)" = "Everyone"): Promise<void> {
  await page.getByLabel("Send to", { exact: true }).selectOption({ label: to });
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
}

test("chat, raised hands and an anonymous poll between a clinician and two patients", async () => {
  const g = await makeGroup(server.hearth, 2);
  const path = `/sessions/${g.sessionId}`;
  const [clinician, a, b] = await Promise.all([g.clinicianIds[0]!, ...g.memberIds].map((id) => signedInPage(browser, server, id)));
  const everyone = [clinician!, a!, b!];
  const errors: string[] = [];
  for (const p of everyone) {
    p.on("pageerror", (e) => errors.push(`${e.message} ${e.stack ?? ""}`));
    // A shared CI box can be slow: wait for what a person sees, however long the machine takes.
    p.setDefaultTimeout(60_000);
    p.setDefaultNavigationTimeout(90_000);
  }

  await clinician!.goto(path);
  await clinician!.getByRole("heading", { level: 1, name: "Group session" }).waitFor();
  for (const [page, name] of [[a!, "Member 1"], [b!, "Member 2"]] as const) {
    await page.goto(path);
    await clinician!.getByRole("button", { name: `Admit ${name}` }).click();
    await page.getByRole("button", { name: "Raise hand" }).waitFor();
  }
  for (const page of everyone) await listen(page);

  // ---- Chat ----------------------------------------------------------------------------------
  await a!.getByRole("button", { name: "Chat" }).click();
  await send(a!, "Hello from A, see https://phish.example/login");
  // B's chat is closed: the unread badge says so, and opening the chat shows the message.
  await b!.getByRole("button", { name: /^Chat\s+1 unread$/ }).waitFor();
  if ((await axeViolations(b!)).length) throw new Error(describeViolations("member's room, unread badge", await axeViolations(b!)));
  for (const page of [clinician!, b!]) {
    await page.getByRole("button", { name: /^Chat/ }).click();
    await page.locator("#chat-log .chat-text", { hasText: "Hello from A" }).waitFor();
    // The address is text, not a link.
    expect(await page.locator("#chat-log a").count()).toBe(0);
  }
  await expect(b!.locator("#chat-badge").isHidden()).resolves.toBe(true);

  await send(a!, "Private: a hard week", "Facilitators only (private)");
  await clinician!.locator("#chat-log .chat-message.private", { hasText: "Private: a hard week" }).waitFor();
  await send(clinician!, "Thank you, everyone");
  await b!.locator("#chat-log .chat-text", { hasText: "Thank you, everyone" }).waitFor();
  expect(await chatTexts(b!)).not.toContain("Private: a hard week");
  expect(await chatTexts(a!)).toContain("Private: a hard week");

  await clinician!.getByRole("button", { name: "Hide the message from Member 1" }).first().click();
  await until(async () => !(await chatTexts(b!)).some((t) => t.startsWith("Hello from A")), "the hidden message gone at B");
  await until(async () => !(await chatTexts(a!)).some((t) => t.startsWith("Hello from A")), "the hidden message gone at A");
  await clinician!.locator("#chat-log .chat-message.is-hidden", { hasText: "Hello from A" }).getByText("hidden", { exact: true }).waitFor();

  // ---- Raised hands --------------------------------------------------------------------------
  await a!.getByRole("button", { name: "Raise hand" }).click();
  await until(async () => (await handNames(clinician!)).length === 1, "A's hand at the clinician");
  await b!.getByRole("button", { name: "Raise hand" }).click();
  await until(async () => (await handNames(clinician!)).length === 2, "two hands at the clinician");
  expect(await handNames(clinician!)).toEqual(["Member 1", "Member 2"]);
  await until(async () => (await handNames(a!)).length === 2 && (await handNames(b!)).length === 2, "two hands everywhere");
  expect(await handNames(a!)).toEqual(["You", "Member 2"]);
  expect(await handNames(b!)).toEqual(["Member 1", "You"]);
  // The tile says it too, and the live region said who raised their hand.
  await clinician!.locator(".tile .tile-hand", { hasText: "hand raised, 1 in line" }).waitFor();
  await until(async () => (await said(b!)).includes("Member 1 raised their hand"), "the announcement at B");
  await until(async () => (await said(a!)).includes("Your hand is raised"), "the announcement at A");
  await clinician!.getByRole("button", { name: "Call on the next person" }).click();
  for (const page of everyone) await until(async () => (await handNames(page)).length === 1, "one hand left");
  expect(await handNames(clinician!)).toEqual(["Member 2"]);
  expect(await handNames(a!)).toEqual(["Member 2"]);
  expect(await handNames(b!)).toEqual(["You"]);
  await a!.getByRole("button", { name: "Raise hand" }).waitFor();
  await until(async () => (await said(a!)).includes("The facilitator is calling on you"), "A hears they are called on");
  await until(async () => (await said(b!)).includes("Member 1 is called on"), "B hears A is called on");

  // ---- Polls ---------------------------------------------------------------------------------
  await clinician!.getByText("New poll").click();
  await clinician!.getByLabel("Question").fill("How was your week?");
  await clinician!.getByLabel("Answers, one per line").fill("Calm\nMixed\nHard");
  expect(await clinician!.getByLabel(/^Anonymous/).isChecked()).toBe(true);

  // Every panel open: the room passes axe.
  const problems: string[] = [];
  for (const page of [clinician!, a!]) {
    const found = await axeViolations(page);
    if (found.length) problems.push(describeViolations(page === a ? "member's room" : "clinician's room", found));
  }
  expect(problems).toEqual([]);

  await clinician!.getByRole("button", { name: "Start poll" }).click();
  for (const [page, answer] of [[a!, "Mixed"], [b!, "Mixed"]] as const) {
    await page.getByRole("heading", { name: "How was your week?" }).waitFor();
    await page.getByLabel(answer).check();
    await page.getByRole("button", { name: "Send answer" }).click();
    await page.getByRole("button", { name: "Change answer" }).waitFor();
  }
  await clinician!.getByText("2 people answered").waitFor();
  await clinician!.getByRole("button", { name: "Close poll" }).click();
  for (const page of everyone) {
    await page.locator('.poll-result-list li[data-option="1"][data-votes="2"]', { hasText: "2 votes" }).waitFor();
  }
  const answers = server.hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM poll_answers a JOIN polls p ON p.id = a.poll_id WHERE p.session_id = ?").get(g.sessionId)!;
  expect(answers.n).toBe(0);
  const polls = server.hearth.db.query<{ created_by: number; anonymous: number }, [number]>("SELECT created_by, anonymous FROM polls WHERE session_id = ?").all(g.sessionId);
  expect(polls).toEqual([{ created_by: g.clinicianIds[0]!, anonymous: 1 }]);

  expect(errors).toEqual([]);
}, 300_000);
