#!/usr/bin/env bun
/**
 * The journal page with many entries, in Debian's Chromium: the time from pressing "Unlock" to
 * every entry decrypted (age: the entry key unwrapped, then the entry) and drawn on the page.
 * The journal is clinic-protected here so no passkey prompt is in the timing (the PRF path adds
 * one assertion, once, before the same work).
 *
 *   bun scripts/bench/journal.ts [--entries 1000] [--runs 3]
 *
 * Baseline, same run, same entries: Bun decrypting them with the same code
 * (web/portal/journal-crypto.ts) and nothing drawn. The ratio page / Bun is what the browser, the
 * JSON and the drawing add. The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import { startTestServer } from "../../tests/harness.ts";
import { launchBrowser, signedInPage } from "../../tests/e2e/browser.ts";
import { accept, firstAdmin, invite } from "../../src/identity/test-client.ts";
import { clinicIdentityOf, createClinicJournalKey, createEntry, entriesFor } from "../../src/portal/journals.ts";
import { openEntry, sealNewEntry, unwrapKey } from "../../web/portal/journal-crypto.ts";

const { values } = parseArgs({ options: { entries: { type: "string", default: "1000" }, runs: { type: "string", default: "3" } } });
const N = Number(values.entries);
const RUNS = Number(values.runs);

const server = await startTestServer({ HEARTH_LOG_LEVEL: "error" });
const admin = await firstAdmin(server);
const clinician = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
const patient = await accept(server, await invite(clinician, "patient"), "Pat Patient");
const h = server.hearth;
const key = await createClinicJournalKey(h, patient.personId);
const text = "Today the group helped. ".repeat(20); // ~500 characters, a typical entry
for (let i = 0; i < N; i++) {
  const sealed = await sealNewEntry({ text: `${i} ${text}`, mood: (i % 5) + 1, tags: ["group", "sleep"], date: "2026-12-06" }, [key.recipient]);
  createEntry(h, patient.personId, sealed.ciphertext, sealed.wrapped);
}

const identity = (await clinicIdentityOf(h, patient.personId))!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const bunMs: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  for (const e of entriesFor(h, patient.personId, patient.personId)) await openEntry(e.ciphertext, await unwrapKey(e.wrapped, identity));
  bunMs.push(performance.now() - t0);
}

const browser = await launchBrowser();
const page = await signedInPage(browser, server, patient.personId);
const pageMs: number[] = [];
for (let r = 0; r < RUNS; r++) {
  await page.goto("/portal/journal");
  const t0 = performance.now();
  await page.getByRole("button", { name: "Unlock with my passkey" }).click();
  await page.waitForFunction((n) => document.querySelectorAll("[data-journal-list] article").length === n, N, { timeout: 600_000, polling: 50 });
  pageMs.push(performance.now() - t0);
}
await browser.close();
await server.close();

const result = { entries: N, runs: RUNS, pageMedianMs: Math.round(median(pageMs)), bunMedianMs: Math.round(median(bunMs)), ratio: +(median(pageMs) / median(bunMs)).toFixed(2), pageMs: pageMs.map(Math.round), bunMs: bunMs.map(Math.round) };
console.log(`journal page, ${N} entries: unlock to all drawn ${result.pageMedianMs} ms (median of ${RUNS}); Bun decrypting the same: ${result.bunMedianMs} ms; ratio ${result.ratio}`);
console.log(JSON.stringify(result));
