#!/usr/bin/env bun
/**
 * Whiteboard: N strokes on a session's board, then a member let in late. The clinician draws
 * through the real protocol on a plain room socket (each stroke a Yjs update, as the page makes
 * them, paced to the server's drawing budget); the late joiner is a real Chromium page, with the
 * board panel opened as soon as the room shows. Measured in that page, from the moment the room
 * shows (its `admitted` handled) to the first frame painted after all N items are in its document:
 * what a person waits for. Baseline, same run, same steps: a late joiner to an empty board.
 * Also the document's size: encoded (what a late joiner downloads) and sealed in the database.
 *
 *   bun scripts/bench/whiteboard.ts [--strokes 2000] [--points 40] [--runs 5]
 *
 * The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import * as Y from "yjs";
import { makeGroup, startRoomServer } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { launchBrowser, MEDIA_ARGS, signedInPage } from "../../tests/e2e/browser.ts";
import { BOARD_ITEMS, type BoardItem } from "../../src/rooms/whiteboard-protocol.ts";
import { savesFinished } from "../../src/rooms/whiteboard.ts";

const { values } = parseArgs({ options: { strokes: { type: "string", default: "2000" }, points: { type: "string", default: "40" }, runs: { type: "string", default: "5" } } });
const STROKES = Number(values.strokes);
const POINTS = Number(values.points);
const RUNS = Number(values.runs);

const world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "45200-45299", HEARTH_LOG_LEVEL: "error" });
const browser = await launchBrowser({ extraArgs: MEDIA_ARGS });
const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64");

/** A hand-drawn-looking stroke: a wobbly line of POINTS points with pressure. */
function stroke(i: number): BoardItem {
  const points: number[] = [];
  const x0 = (i * 37) % 1500;
  const y0 = (i * 53) % 850;
  for (let p = 0; p < POINTS; p++) points.push(x0 + p * 3, Math.round(y0 + 10 * Math.sin(p / 4 + i)), 40 + ((p * 7) % 30));
  return { id: crypto.randomUUID(), kind: "stroke", color: "#1d4ed8", size: 8, points };
}

/** Draws `n` strokes as the clinician, one update each, within the 64 KiB/s budget. */
async function draw(clinician: RoomSocket, n: number): Promise<void> {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on("update", (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < n; i++) doc.getArray<BoardItem>(BOARD_ITEMS).push([stroke(i)]);
  // Batches of merged updates, under 10 a second and 60 KiB/s (the budget is 64 KiB/s after a 256 KiB burst).
  const batches: Uint8Array[][] = [[]];
  let size = 0;
  for (const u of updates) {
    if (size + u.length > 40_000) {
      batches.push([]);
      size = 0;
    }
    batches.at(-1)!.push(u);
    size += u.length;
  }
  let bytes = 0;
  const t0 = performance.now();
  for (const batch of batches) {
    const merged = Y.mergeUpdates(batch);
    bytes += merged.length;
    while (bytes > ((performance.now() - t0) / 1000) * 60 * 1024 + 200 * 1024) await Bun.sleep(20);
    clinician.send({ type: "board-update", update: b64(merged) });
    await Bun.sleep(110);
  }
  if (clinician.all("error").some((e) => e.ref === "board-update")) throw new Error(`the board refused a batch: ${JSON.stringify(clinician.all("error"))}`);
}

/** Milliseconds from the room showing to the full board painted, in the late joiner's page. */
async function lateJoin(sessionId: number, clinician: RoomSocket, personId: number, expected: number): Promise<number> {
  const mark = clinician.mark;
  const page = await signedInPage(browser, world, personId);
  await page.goto(`/sessions/${sessionId}`);
  await page.locator("#waiting-view:not([hidden])").waitFor();
  await page.evaluate((n) => {
    const w = window as unknown as { __shown?: number; __painted?: number };
    const view = document.getElementById("room-view")!;
    const canvas = document.getElementById("board-canvas")!;
    new MutationObserver(() => {
      if (!view.hidden && w.__shown === undefined) {
        w.__shown = performance.now();
        document.getElementById("btn-board")!.click();
      }
    }).observe(view, { attributes: true, attributeFilter: ["hidden"] });
    new MutationObserver(() => {
      if (Number(canvas.dataset.items) === n && w.__painted === undefined) requestAnimationFrame(() => (w.__painted = performance.now()));
    }).observe(canvas, { attributes: true, attributeFilter: ["data-items"] });
    if (n === 0) w.__painted = -1;
  }, expected);
  const waiting = await clinician.next("room", (r) => (r.waiting ?? []).length > 0, mark);
  clinician.send({ type: "admit", memberId: waiting.waiting![0]!.id });
  await page.waitForFunction(() => {
    const w = window as unknown as { __shown?: number; __painted?: number };
    return w.__shown !== undefined && w.__painted !== undefined && (w.__painted === -1 ? document.getElementById("board-canvas") !== null : true);
  }, undefined, { timeout: 60_000 });
  // An empty board: painted in the first frame after the panel opens.
  const ms = await page.evaluate(async () => {
    const w = window as unknown as { __shown: number; __painted: number };
    if (w.__painted === -1) await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => (w.__painted = performance.now()));
    return w.__painted - w.__shown;
  });
  await page.context().close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const full: number[] = [];
const empty: number[] = [];
let encoded = 0;
let sealed = 0;
for (let run = 0; run < RUNS; run++) {
  const g = await makeGroup(world.hearth, 2);
  const clinician = await RoomSocket.open(world.wsUrl(g.sessionId), g.clinician);
  empty.push(await lateJoin(g.sessionId, clinician, g.memberIds[0]!, 0));
  await draw(clinician, STROKES);
  full.push(await lateJoin(g.sessionId, clinician, g.memberIds[1]!, STROKES));
  clinician.send({ type: "end" });
  await clinician.next("ended").catch(() => undefined);
  await savesFinished();
  const row = world.hearth.db.query<{ bytes: number; board: Uint8Array }, [number]>("SELECT bytes, board FROM whiteboards WHERE session_id = ?").get(g.sessionId)!;
  encoded = row.bytes;
  sealed = row.board.length;
  console.log(`run ${run + 1}: empty board ${empty.at(-1)!.toFixed(0)} ms, ${STROKES} strokes ${full.at(-1)!.toFixed(0)} ms`);
}

const result = {
  strokes: STROKES,
  pointsPerStroke: POINTS,
  runs: RUNS,
  lateJoinMedianMs: Math.round(median(full)),
  lateJoinMaxMs: Math.round(Math.max(...full)),
  emptyBoardMedianMs: Math.round(median(empty)),
  ratioToEmpty: Number((median(full) / Math.max(1, median(empty))).toFixed(2)),
  documentBytes: encoded,
  sealedBytes: sealed,
};
console.log(JSON.stringify(result));
await browser.close();
await world.close();
