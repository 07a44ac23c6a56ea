#!/usr/bin/env bun
/**
 * Comfort effects' cost on this machine: a member's session page in Debian's Chromium (fake
 * camera and microphone), waiting room. Three phases of --seconds each, on the same page:
 *   off    baseline: the page as it is (preview, level meter, check)
 *   blur   background blur on
 *   noise  blur off, noise suppression on
 * For each, the renderer's main-thread busy time per second (CDP Performance.getMetrics
 * TaskDuration: everything the page's main thread did), and what the page's own check line says
 * (its in-page measurement: segmentation and drawing time per second, RNNoise's time over two
 * seconds of sound). RNNoise runs on the audio thread, which TaskDuration does not see; the
 * check's figure is the measure there.
 *
 *   bun scripts/bench/comfort.ts [--seconds 10]
 *
 * The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import { makeGroup, startRoomServer } from "../../tests/room-fixture.ts";
import { launchBrowser, MEDIA_ARGS, signedInPage } from "../../tests/e2e/browser.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "10" } } });
const SECONDS = Number(values.seconds);

const world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "46300-46349", HEARTH_LOG_LEVEL: "error" });
const browser = await launchBrowser({ extraArgs: MEDIA_ARGS });
try {
  const g = await makeGroup(world.hearth, 1);
  const page = await signedInPage(browser, world, g.memberIds[0]!);
  page.setDefaultTimeout(120_000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.goto(`/sessions/${g.sessionId}`);
  await page.getByRole("heading", { level: 1, name: "Waiting room" }).waitFor();
  await page.getByText("Off (no extra work for this device)").waitFor();
  const check = page.locator('[data-check="comfort"]');

  const taskSeconds = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return metrics.find((m: { name: string }) => m.name === "TaskDuration")!.value as number;
  };
  /** Main-thread busy share over SECONDS, after `ready` holds. */
  const phase = async (ready: RegExp) => {
    const end = Date.now() + 120_000;
    while (!ready.test(await check.innerText())) {
      if (Date.now() > end) throw new Error(`the check never said ${ready}: ${await check.innerText()}`);
      await Bun.sleep(250);
    }
    const t0 = await taskSeconds();
    const w0 = performance.now();
    await Bun.sleep(SECONDS * 1000);
    const busy = (await taskSeconds()) - t0;
    return { mainThreadShare: +(busy / ((performance.now() - w0) / 1000)).toFixed(3), check: await check.innerText() };
  };
  const toggle = (name: string) => page.getByRole("button", { name, exact: true }).click();

  const off = await phase(/Off/);
  await toggle("Blur my background");
  const blur = await phase(/Blur: about \d+%/);
  await toggle("Blur my background");
  await toggle("Reduce background noise");
  const noise = await phase(/Noise reduction: about \d+%/);
  const percent = (text: string, what: RegExp) => Number(what.exec(text)?.[1] ?? NaN);
  const result = {
    seconds: SECONDS,
    cores: navigator.hardwareConcurrency,
    off,
    blur: { ...blur, pageShare: percent(blur.check, /Blur: about (\d+)%/) / 100, picturesPerSecond: percent(blur.check, /\((\d+) pictures a second\)/) },
    noise: { ...noise, pageShare: percent(noise.check, /Noise reduction: about (\d+)%/) / 100 },
    blurOverBaseline: +(blur.mainThreadShare / Math.max(0.001, off.mainThreadShare)).toFixed(1),
  };
  console.log(`main thread busy: off ${off.mainThreadShare}, blur ${blur.mainThreadShare} (x${result.blurOverBaseline}), noise ${noise.mainThreadShare}`);
  console.log(`the page's check: blur "${blur.check}"; noise "${noise.check}"`);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  await world.close();
}
