/**
 * Breakout rooms in Debian's Chromium: a clinician and four patients, each in a browser context of
 * their own with Chromium's fake camera and microphone, signed in (people made directly;
 * tests/e2e/room.test.ts covers passkeys) and admitted through the real pages. The clinician splits
 * the four into two rooms by hand; each member's page is told where it is, and its own getStats
 * shows it decodes its partner's video and has no inbound stream from the other room at all
 * (the server offers none); the clinician visits a room and comes back; the timer's one-minute warning (the room's clock moved on) and a
 * message to all rooms reach every page; after "Bring everyone back"
 * every member decodes the other three again. axe on the panels.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import { startTestServer, type TestServer } from "../harness.ts";
import { makeGroup } from "../room-fixture.ts";
import { axeViolations, describeViolations, keepPeerConnections, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";

type Offer = Extract<ServerMessage, { type: "offer" }>;

interface Person {
  name: string;
  page: Page;
  memberId: number;
  offers: Offer[];
  errors: string[];
}

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "47300-47499" }),
    launchBrowser({ extraArgs: MEDIA_ARGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Five fake cameras on two cores: each page captures small and slow. Runs in the page before its
 * scripts; the app's own constraints are replaced for video only.
 */
function smallCamera(): void {
  const md = navigator.mediaDevices;
  const native = md.getUserMedia.bind(md);
  md.getUserMedia = (c?: MediaStreamConstraints) => native(c?.video ? { ...c, video: { width: { exact: 320 }, height: { exact: 240 }, frameRate: { max: 10 } } } : c);
}

async function person(personId: number, name: string): Promise<Person> {
  const page = await signedInPage(browser, server, personId);
  await page.context().addInitScript(keepPeerConnections);
  await page.context().addInitScript(smallCamera);
  const p: Person = { name, page, memberId: 0, offers: [], errors: [] };
  page.on("pageerror", (e) => p.errors.push(e.message));
  // A shared CI box can be slow: wait for what a person sees, however long the machine takes.
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(90_000);
  page.on("websocket", (ws) => {
    if (!/\/rooms\/\d+\/ws$/.test(ws.url())) return;
    ws.on("framereceived", ({ payload }) => {
      const msg = JSON.parse(String(payload)) as ServerMessage;
      if (msg.type === "welcome") p.memberId = msg.memberId;
      if (msg.type === "offer") p.offers.push(msg);
    });
  });
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Frames decoded per mid on the page's live connection (video only). */
async function decoded(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    const pc = [...pcs].reverse().find((x) => x.connectionState !== "closed");
    const out: Record<string, number> = {};
    if (!pc) return out;
    (await pc.getStats()).forEach((r: { type: string; kind: string; mid?: string; framesDecoded?: number }) => {
      if (r.type === "inbound-rtp" && r.kind === "video" && r.mid !== undefined) out[r.mid] = Math.max(out[r.mid] ?? 0, r.framesDecoded ?? 0);
    });
    return out;
  });
}

/** Which member's camera each video mid of the page's newest offer carries. */
function cameraMids(p: Person): Map<string, number> {
  const offer = p.offers.at(-1);
  return new Map((offer?.receive ?? []).filter((r) => r.source === "camera").map((r) => [r.mid, r.memberId]));
}

/**
 * Waits until the page decodes, on its live connection, rising video from exactly `from` and from
 * nobody else. Returns the counts seen from anyone else (none when the page gets only these).
 */
async function decodesOnly(p: Person, from: Person[], what: string, timeoutMs = 90_000): Promise<void> {
  const want = new Set(from.map((x) => x.memberId));
  const first = new Map<string, number>();
  const end = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    const mids = cameraMids(p);
    const counts = await decoded(p.page);
    const generation = p.offers.filter((o) => o.fresh).length;
    const rising = new Set<number>();
    const extra: number[] = [];
    for (const [mid, memberId] of mids) {
      const count = counts[mid] ?? 0;
      const key = `${generation}:${mid}`;
      if (!want.has(memberId)) {
        extra.push(memberId);
        continue;
      }
      if (!first.has(key)) first.set(key, count);
      else if (count > first.get(key)! && count > 0) rising.add(memberId);
    }
    if (extra.length === 0 && rising.size === want.size) return;
    last = `rising from ${[...rising]}, offered others ${extra}, counts ${JSON.stringify(counts)}`;
    if (Date.now() > end) throw new Error(`${p.name}: ${what}: ${last}`);
    await sleep(400);
  }
}

test("the clinician splits four members into two rooms; each page decodes only its own room; everyone together again after", async () => {
  const g = await makeGroup(server.hearth, 4);
  const path = `/sessions/${g.sessionId}`;
  const clinician = await person(g.clinicianIds[0]!, "Clinician 1");
  const members = await Promise.all(g.memberIds.map((id, i) => person(id, `Member ${i + 1}`)));
  const [a, b, c, d] = members as [Person, Person, Person, Person];

  await clinician.page.goto(path);
  await clinician.page.getByRole("heading", { level: 1, name: "Group session" }).waitFor();
  for (const m of members) {
    await m.page.goto(path);
    await clinician.page.getByRole("button", { name: `Admit ${m.name}` }).click();
    await m.page.getByRole("heading", { level: 1, name: "Group session" }).waitFor();
  }
  await clinician.page.locator("#people-list li").nth(4).waitFor();

  // ---- the split, by hand ------------------------------------------------------------------
  const cp = clinician.page;
  await cp.getByLabel("Number of rooms").selectOption("2");
  await cp.getByLabel("By hand").check();
  const rooms: [Person, number][] = [[a, 1], [b, 1], [c, 2], [d, 2]];
  for (const [m, room] of rooms) await cp.getByLabel(`Room for ${m.name}`).selectOption({ label: `Room ${room}` });
  const problems: string[] = [];
  const axe = async (page: Page, label: string) => {
    const found = await axeViolations(page);
    if (found.length) problems.push(describeViolations(label, found));
  };
  await cp.getByLabel("Timer in minutes (optional)").fill("3");
  await axe(cp, "clinician's breakout form");
  // Everything the pages' breakout status says from now on.
  for (const m of members) {
    await m.page.evaluate(() => {
      const said: string[] = [];
      (window as unknown as { __where: string[] }).__where = said;
      const where = document.getElementById("breakout-where")!;
      new MutationObserver(() => said.push(where.textContent ?? "")).observe(where, { childList: true, characterData: true, subtree: true });
    });
  }
  await cp.getByRole("button", { name: "Open breakout rooms" }).click();

  // Each member is told where they are going, in words.
  for (const [m, room] of rooms) await m.page.locator("#breakout-where", { hasText: `Room ${room}` }).waitFor();
  for (const [m, room] of rooms) expect(await m.page.evaluate(() => (window as unknown as { __where: string[] }).__where)).toContain(`Moving you to Room ${room}`);
  await cp.getByRole("button", { name: "Bring everyone back" }).waitFor();
  const partner = new Map([[a, b], [b, a], [c, d], [d, c]]);
  for (const m of members) await decodesOnly(m, [partner.get(m)!], "in the breakout");
  // The grid shows one's own room: oneself and the partner.
  for (const m of members) expect(await m.page.locator("#tiles .tile[data-member]").count()).toBe(2);
  // The people list still shows everyone, and where they are.
  await a.page.locator("#people-list li", { hasText: "Member 3" }).getByText("in Room 2").waitFor();
  // What stays flat: nothing from the other room reaches the page, over a few more seconds.
  const before = await Promise.all(members.map((m) => decoded(m.page)));
  await sleep(2000);
  for (const [i, m] of members.entries()) {
    const mids = cameraMids(m);
    expect([...mids.values()]).toEqual([partner.get(m)!.memberId]);
    const after = await decoded(m.page);
    for (const mid of Object.keys(after)) if (!mids.has(mid)) expect(after[mid]).toBe(before[i]![mid] ?? 0);
  }

  // ---- the clinician visits room 1: their own media moves there, then back -------------------
  await cp.getByRole("button", { name: "Visit room 1" }).click();
  await cp.locator("#breakout-where", { hasText: "Room 1" }).waitFor();
  await decodesOnly(clinician, [a, b], "visiting room 1");
  await decodesOnly(a, [b, clinician], "the clinician visiting");
  await cp.getByRole("button", { name: "Back to the main room" }).click();
  await cp.getByRole("button", { name: "Visit room 1" }).waitFor();

  // ---- the timer, on the room's clock: the time left, then the one-minute warning -------------
  for (const m of members) await m.page.locator("#breakout-time", { hasText: /Time left: [23]:\d\d/ }).waitFor();
  server.clock.advance(125_000);
  for (const m of [...members, clinician]) await m.page.getByRole("alert").filter({ hasText: "One minute left" }).waitFor();

  // ---- a message to every room -------------------------------------------------------------
  await cp.getByLabel("Message to all rooms").fill("Five more minutes, then we come back together");
  await cp.getByRole("button", { name: "Send to all rooms" }).click();
  for (const m of members) await m.page.locator("#breakout-banner", { hasText: "Five more minutes" }).waitFor();
  await axe(a.page, "member in a breakout, with the banner");
  await axe(cp, "clinician's open breakouts");

  // ---- everyone back -------------------------------------------------------------------------
  await cp.getByRole("button", { name: "Bring everyone back" }).click();
  await cp.getByRole("button", { name: "Open breakout rooms" }).waitFor();
  for (const m of members) await decodesOnly(m, members.filter((x) => x !== m).concat(clinician), "back together");
  for (const m of members) expect(await m.page.locator("#tiles .tile[data-member]").count()).toBe(5);

  expect(problems).toEqual([]);
  for (const p of [clinician, ...members]) expect(p.errors).toEqual([]);
}, 420_000);
