/**
 * The whiteboard in Debian's Chromium: a clinician and two patients, each in their own browser
 * context, signed in (people made directly; tests/e2e/room.test.ts covers passkeys) and admitted
 * through the real pages. What each person sees:
 * - a stroke the clinician draws with the mouse is painted on both members' canvases (pixels read
 *   back from each canvas) and is in each page's document;
 * - a member draws only once the clinician ticks "Let ... draw"; the other member's tools stay hidden;
 * - a member let in late sees the board as it is;
 * - a sticky note is undone; "Save as picture" puts a PNG in the session's materials;
 * - axe finds no serious or critical violation with the board open;
 * - after the session, the record shows the saved board (its words as text), and passes axe.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { makeGroup } from "../room-fixture.ts";
import { axeViolations, describeViolations, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";
import { savesFinished } from "../../src/rooms/whiteboard.ts";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "44900-44999" }),
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

const items = (page: Page) => page.locator("#board-canvas").getAttribute("data-items").then(Number);

/** The canvas pixel at board coordinates (x, y): [r, g, b]. */
const pixel = (page: Page, x: number, y: number) =>
  page.evaluate(([px, py]) => [...(document.getElementById("board-canvas") as HTMLCanvasElement).getContext("2d")!.getImageData(px!, py!, 1, 1).data].slice(0, 3), [x, y]);
const isInk = ([r, g, b]: number[]) => r! + g! + b! < 300;

/** Drags the mouse across the canvas from one share of its size to another (0..1 each way). */
async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.locator("#board-canvas").scrollIntoViewIfNeeded();
  const box = (await page.locator("#board-canvas").boundingBox())!;
  const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(...at([from[0] + ((to[0] - from[0]) * i) / 12, from[1] + ((to[1] - from[1]) * i) / 12]));
  await page.mouse.up();
}

async function openBoard(page: Page): Promise<void> {
  // From the keyboard: the tiles above it move while videos start, and a keyboard user does not wait for them.
  await page.getByRole("button", { name: "Whiteboard" }).press("Enter");
  await page.getByRole("heading", { name: "Whiteboard", exact: true }).waitFor();
}

test("a clinician's stroke reaches both members and a late joiner; a member draws when let; undo; save as picture", async () => {
  const g = await makeGroup(server.hearth, 3);
  const path = `/sessions/${g.sessionId}`;
  const [clinician, a, b] = await Promise.all([g.clinicianIds[0]!, g.memberIds[0]!, g.memberIds[1]!].map((id) => signedInPage(browser, server, id)));
  const errors: string[] = [];
  for (const p of [clinician!, a!, b!]) {
    p.on("pageerror", (e) => errors.push(`${e.message} ${e.stack ?? ""}`));
    // A room message the page failed to handle is caught and logged, not thrown: count it too.
    p.on("console", (m) => m.text().includes("not handled") && errors.push(m.text()));
  }

  await clinician!.goto(path);
  await clinician!.getByRole("heading", { level: 1, name: "Group session" }).waitFor();
  for (const [page, name] of [[a!, "Member 1"], [b!, "Member 2"]] as const) {
    await page.goto(path);
    await clinician!.getByRole("button", { name: `Admit ${name}` }).click();
    await page.getByRole("button", { name: "Whiteboard" }).waitFor();
  }
  for (const page of [clinician!, a!, b!]) await openBoard(page);
  // Members see the board but may not draw until the clinician lets them.
  await a!.getByText("You can see the whiteboard.").waitFor();
  expect(await a!.locator("#board-tools").isHidden()).toBe(true);

  // A stroke across the middle of the board (board units: y = 450, x from 320 to 1280).
  await drag(clinician!, [0.2, 0.5], [0.8, 0.5]);
  for (const page of [clinician!, a!, b!]) await until(async () => (await items(page)) === 1, `the stroke in every page's board (${await items(clinician!)}, ${await items(a!)}, ${await items(b!)}; ${errors.join("; ")})`);
  for (const page of [a!, b!]) {
    await until(async () => isInk(await pixel(page, 800, 450)), "the stroke painted");
    expect(isInk(await pixel(page, 800, 200))).toBe(false);
  }

  // The clinician lets A draw; A draws a rectangle; B is still only watching.
  await clinician!.getByLabel("Let Member 1 draw").check();
  await a!.getByText("You can draw on the whiteboard.").waitFor();
  await a!.getByRole("button", { name: "Rectangle" }).click();
  await drag(a!, [0.1, 0.1], [0.3, 0.3]);
  for (const page of [clinician!, a!, b!]) await until(async () => (await items(page)) === 2, "A's rectangle everywhere");
  expect(await b!.locator("#board-tools").isHidden()).toBe(true);

  // A member let in late sees the board as it stands.
  const late = await signedInPage(browser, server, g.memberIds[2]!);
  late.on("pageerror", (e) => errors.push(e.message));
  await late.goto(path);
  await clinician!.getByRole("button", { name: "Admit Member 3" }).click();
  await openBoard(late);
  await until(async () => (await items(late)) === 2, "the late joiner's board");
  await until(async () => isInk(await pixel(late, 800, 450)), "the stroke painted for the late joiner");

  // A sticky note, then undo: gone everywhere.
  await clinician!.getByRole("button", { name: "Sticky note" }).click();
  await clinician!.getByLabel("Text to place on the whiteboard").fill("Breathe in for four");
  await clinician!.locator("#board-canvas").click({ position: { x: 500, y: 40 } });
  await until(async () => (await items(b!)) === 3, "the sticky note at B");
  await clinician!.getByRole("button", { name: "Undo" }).click();
  for (const page of [clinician!, b!, late]) await until(async () => (await items(page)) === 2, "the sticky note undone");
  // Without a pointer: the text tool and Enter; the words are listed for screen readers everywhere.
  await clinician!.getByRole("button", { name: "Text", exact: true }).click();
  await clinician!.getByLabel("Text to place on the whiteboard").fill("Check the facts");
  await clinician!.getByLabel("Text to place on the whiteboard").press("Enter");
  await until(async () => (await items(late)) === 3, "the text at the late joiner");
  expect(await late.locator("#board-words li").allTextContents()).toEqual(["Check the facts"]);

  // axe with the board open, as the clinician and as a member.
  const problems = [];
  for (const [page, who] of [[clinician!, "clinician"], [a!, "member"]] as const) {
    const found = await axeViolations(page);
    if (found.length) problems.push(describeViolations(`${path} (${who}, board open)`, found));
  }
  expect(problems).toEqual([]);

  // Save as picture: a PNG in the session's materials.
  await clinician!.getByRole("button", { name: "Save as picture" }).click();
  await clinician!.locator("#board-notice", { hasText: "saved in this session's materials" }).waitFor({ timeout: 60_000 });
  const row = server.hearth.db.query<{ mime: string; bytes: number }, [number]>("SELECT mime, bytes FROM materials WHERE group_id = ? ORDER BY id DESC").get(g.groupId);
  expect(row?.mime).toBe("image/png");
  expect(row!.bytes).toBeGreaterThan(1000);

  // After the session: the record shows the saved board (the words as text), and passes axe.
  server.rooms.room(g.sessionId)!.end(null);
  await savesFinished();
  await clinician!.goto(`/groups/${g.groupId}/sessions/${g.sessionId}`);
  await clinician!.getByRole("img", { name: "Whiteboard" }).waitFor();
  expect(await clinician!.locator(".board-record li").allTextContents()).toEqual(["Check the facts"]);
  const record = await axeViolations(clinician!);
  expect(describeViolations("session record", record)).toBe("");
  expect(errors).toEqual([]);
}, 180_000);
