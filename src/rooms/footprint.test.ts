import { expect, test } from "bun:test";
import { FootprintTrimmer, footprint } from "./footprint.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a burst of negotiations is trimmed once, after it has been quiet; the next not sooner than the least interval", async () => {
  const at: number[] = [];
  const t0 = performance.now();
  const trimmer = new FootprintTrimmer({ quietMs: 30, minIntervalMs: 150, trim: () => at.push(performance.now() - t0) });
  for (let i = 0; i < 5; i++) {
    trimmer.note();
    await sleep(10);
  }
  expect(at).toEqual([]);
  await sleep(60);
  expect(at.length).toBe(1);
  // Another burst right away: it waits for the least interval since the first trim.
  trimmer.note();
  await sleep(60);
  expect(at.length).toBe(1);
  await sleep(120);
  expect(at.length).toBe(2);
  expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(145);
  trimmer.note();
  trimmer.stop();
  await sleep(200);
  expect(trimmer.trims).toBe(2);
});

test("the process's trimmer has Bun's shrink to call", () => {
  expect(typeof (Bun as unknown as { shrink?: unknown }).shrink).toBe("function");
  expect(footprint.trims).toBe(0);
});
