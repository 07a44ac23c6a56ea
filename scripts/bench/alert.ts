#!/usr/bin/env bun
/**
 * Alert latency as people meet it: in Debian's Chromium, a member presses "I need help now" and
 * the time until the facilitator's page shows the banner is recorded (both pages' Date.now() on
 * this machine; the banner's insertion seen by a MutationObserver). The facilitator acknowledges
 * each alert and the next press waits for the banner to clear, so every press raises a new alert
 * (sealed, stored, audited). A fake camera and microphone run on both pages, as in a session.
 *
 *   bun scripts/bench/alert.ts [--presses 100] [--warmup 5]
 *
 * Baseline, same run, same pages: the member's "Raise hand" button to the hand appearing in the
 * facilitator's list (one broadcast, nothing sealed or stored). The ratio alert / hand is what the
 * alert path (reading how to reach the member, sealing, storing, auditing) adds. The last line is
 * one JSON object.
 */
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { startRoomServer } from "../../tests/room-fixture.ts";
import { launchBrowser, MEDIA_ARGS, signedInPage } from "../../tests/e2e/browser.ts";
import { saveWhereabouts } from "../../src/safety/whereabouts.ts";

const { values } = parseArgs({ options: { presses: { type: "string", default: "100" }, warmup: { type: "string", default: "5" } } });
const PRESSES = Number(values.presses);
const WARMUP = Number(values.warmup);

const world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "45300-45399", HEARTH_LOG_LEVEL: "error" });
const browser = await launchBrowser({ extraArgs: [...MEDIA_ARGS, "--autoplay-policy=no-user-gesture-required"] });
const g = await world.group(1);
await saveWhereabouts(world.hearth, g.sessionId, g.memberIds[0]!, { location: "14 Rue Cartier, Montréal", phone: "514-555-0142", emergencyContact: "Sam 514 555 0199" });
const path = `/sessions/${g.sessionId}`;
const clinician = await signedInPage(browser, world, g.clinicianIds[0]!);
const member = await signedInPage(browser, world, g.memberIds[0]!);
await clinician.goto(path);
await clinician.getByText("Nobody is waiting.").waitFor();
await member.goto(path);
await clinician.getByRole("button", { name: "Admit Member 1" }).click();
await member.locator("#btn-help").waitFor();
await member.locator("#btn-hand").waitFor();

// The facilitator's page notes when a banner or a hand appears.
await clinician.evaluate(() => {
  const w = window as unknown as { __seen: { alert: number[]; hand: number[] } };
  w.__seen = { alert: [], hand: [] };
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLElement && n.classList.contains("safety-alert")) w.__seen.alert.push(Date.now());
  }).observe(document.getElementById("safety-alerts")!, { childList: true });
  let had = false;
  new MutationObserver(() => {
    const has = document.querySelectorAll("#hands-list li").length > 0;
    if (has && !had) w.__seen.hand.push(Date.now());
    had = has;
  }).observe(document.getElementById("hands-list")!, { childList: true, subtree: true });
});

const seen = (page: Page, kind: "alert" | "hand") => page.evaluate((k) => (window as unknown as { __seen: Record<string, number[]> }).__seen[k]!.length, kind);

async function pressHelp(): Promise<number> {
  const before = await seen(clinician, "alert");
  const t0 = await member.evaluate(() => {
    const at = Date.now();
    document.getElementById("btn-help")!.click();
    return at;
  });
  await clinician.waitForFunction((n) => (window as unknown as { __seen: { alert: number[] } }).__seen.alert.length > n, before, { polling: 10 });
  const at = await clinician.evaluate(() => (window as unknown as { __seen: { alert: number[] } }).__seen.alert.at(-1)!);
  await clinician.evaluate(() => (document.querySelector("#safety-alerts button[data-ack]") as HTMLButtonElement).click());
  await clinician.waitForFunction(() => !document.querySelector("#safety-alerts .safety-alert"), undefined, { polling: 10 });
  return at - t0;
}

async function raiseHand(): Promise<number> {
  const before = await seen(clinician, "hand");
  const t0 = await member.evaluate(() => {
    const at = Date.now();
    document.getElementById("btn-hand")!.click();
    return at;
  });
  await clinician.waitForFunction((n) => (window as unknown as { __seen: { hand: number[] } }).__seen.hand.length > n, before, { polling: 10 });
  const at = await clinician.evaluate(() => (window as unknown as { __seen: { hand: number[] } }).__seen.hand.at(-1)!);
  // Lower it again (once the member's page knows it is up), and wait for the facilitator's list to empty.
  await member.waitForFunction(() => document.getElementById("btn-hand")!.getAttribute("aria-pressed") === "true", undefined, { polling: 10 });
  await member.evaluate(() => document.getElementById("btn-hand")!.click());
  await clinician.waitForFunction(() => document.querySelectorAll("#hands-list li").length === 0, undefined, { polling: 10 });
  await member.waitForFunction(() => document.getElementById("btn-hand")!.getAttribute("aria-pressed") === "false", undefined, { polling: 10 });
  return at - t0;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s.at(-1) ?? NaN };
}

for (let i = 0; i < WARMUP; i++) await pressHelp();
const alerts: number[] = [];
const hands: number[] = [];
// Interleaved, so both see the same moments of the machine's load.
for (let i = 0; i < PRESSES; i++) {
  alerts.push(await pressHelp());
  hands.push(await raiseHand());
}
const a = stats(alerts);
const h = stats(hands);
const stored = world.hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM safety_alerts WHERE session_id = ? AND acknowledged_at IS NOT NULL").get(g.sessionId)!.n;
console.log(`"I need help now" to the facilitator's banner, ${a.n} presses: p50 ${a.p50} ms, p95 ${a.p95} ms, p99 ${a.p99} ms, max ${a.max} ms (${stored} alerts stored and acknowledged incl. warm-up)`);
console.log(`baseline ("Raise hand" to the facilitator's list, not sealed or stored): p50 ${h.p50} ms, p95 ${h.p95} ms, p99 ${h.p99} ms, max ${h.max} ms`);
console.log(`ratio alert/hand: p50 ${(a.p50 / h.p50).toFixed(2)}, p99 ${(a.p99 / h.p99).toFixed(2)}`);
console.log(JSON.stringify({ presses: PRESSES, alert: a, hand: h, ratioP50: +(a.p50 / h.p50).toFixed(2), ratioP99: +(a.p99 / h.p99).toFixed(2) }));
await browser.close();
await world.close();
process.exit(0);
