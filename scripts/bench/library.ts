#!/usr/bin/env bun
/**
 * Library video streaming: a 200 MB MP4 sealed in the library (age, 64 KiB chunks), played by
 * viewers the way a browser's <video> does: one open-ended range from the start, then a seek
 * (a new open-ended range near the end). The server runs in its own process (this script with
 * --serve), so its memory is measured alone: VmRSS from /proc every 100 ms.
 *
 *   bun scripts/bench/library.ts [--mb 200] [--viewers 4]
 *
 * Baselines in the same run: the server's RSS at rest after the upload (peak / rest is the
 * figure: flat means near 1), and for the cost of seeking, the time to the first byte of a
 * range at the start against one at 95% of the file (age-encryption exposes no seek, so the
 * server decrypts and drops everything before the range). The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";

const { values } = parseArgs({ options: { mb: { type: "string", default: "200" }, viewers: { type: "string", default: "4" }, serve: { type: "boolean", default: false } } });
const MB = Number(values.mb);
const VIEWERS = Number(values.viewers);

if (values.serve) {
  const { startTestServer } = await import("../../tests/harness.ts");
  const { accept, firstAdmin, invite } = await import("../../src/identity/test-client.ts");
  const { createSession } = await import("../../src/identity/sessions.ts");
  const { addLibraryFile } = await import("../../src/portal/library.ts");
  const server = await startTestServer({ HEARTH_LOG_LEVEL: "error" });
  const admin = await firstAdmin(server);
  const clinician = await accept(server, await invite(admin, "clinician"), "Bench Clinician");
  const total = MB * 1024 * 1024;
  const block = new Uint8Array(1024 * 1024);
  crypto.getRandomValues(block.subarray(0, 65536));
  for (let i = 65536; i < block.length; i += 65536) block.copyWithin(i, 0, 65536);
  let sent = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) return c.close();
      const chunk = block.slice();
      if (sent === 0) chunk.set([0, 0, 0, 0x18, ...new TextEncoder().encode("ftypisom"), 0, 0, 2, 0, ...new TextEncoder().encode("isomiso2")]);
      sent += chunk.length;
      c.enqueue(chunk);
    },
  });
  const id = await addLibraryFile(server.hearth, clinician.personId, { title: "Bench video", tags: [], source });
  const s = createSession(server.hearth, clinician.personId);
  Bun.gc(true);
  console.log(JSON.stringify({ url: `${server.url}/portal/library/${id}/file`, cookie: `hearth_session=${s.id}`, bytes: total, pid: process.pid }));
  const stdin = Bun.stdin.stream().getReader();
  while (!(await stdin.read()).done); // until the parent closes stdin
  await server.close();
  process.exit(0);
}

const child = Bun.spawn(["bun", import.meta.path, "--serve", "--mb", String(MB)], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
const reader = child.stdout.getReader();
let out = "";
while (!out.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) throw new Error("the server process ended before it was ready");
  out += new TextDecoder().decode(value);
}
const ready = JSON.parse(out.slice(out.indexOf("{"), out.indexOf("\n"))) as { url: string; cookie: string; bytes: number; pid: number };
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ready.pid}/status`, "utf8"))?.[1]) / 1024;

async function play(range: string): Promise<{ bytes: number; firstByteMs: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(ready.url, { headers: { cookie: ready.cookie, range } });
  if (res.status !== 206) throw new Error(`range ${range}: ${res.status}`);
  const r = res.body!.getReader();
  let bytes = 0;
  let firstByteMs = 0;
  for (;;) {
    const { value, done } = await r.read();
    if (done) break;
    if (!bytes) firstByteMs = performance.now() - t0;
    bytes += value.length;
  }
  return { bytes, firstByteMs, ms: performance.now() - t0 };
}

await Bun.sleep(500);
const rest = rssMb();
let peak = rest;
const samples: { at: number; mb: number }[] = [];
const sampler = setInterval(() => {
  const mb = rssMb();
  peak = Math.max(peak, mb);
  samples.push({ at: performance.now(), mb });
}, 100);

const near = Math.floor(ready.bytes * 0.95);
const seekStart = await play("bytes=0-65535");
const seekEnd = await play(`bytes=${near}-${near + 65535}`);

const t0 = performance.now();
const viewers = await Promise.all(
  Array.from({ length: VIEWERS }, async () => {
    const whole = await play("bytes=0-");
    const seek = await play(`bytes=${Math.floor(ready.bytes * 0.75)}-`);
    return { whole, seek };
  }),
);
const wallMs = performance.now() - t0;
// Flat: the second half of the viewing needs no more memory than the first (nothing grows with bytes served).
const half = (from: number, to: number) => Math.max(...samples.filter((x) => x.at >= t0 + wallMs * from && x.at < t0 + wallMs * to).map((x) => x.mb));
const firstHalf = half(0, 0.5);
const secondHalf = half(0.5, 1.01);
clearInterval(sampler);
const after = rssMb();
child.stdin.end();
await child.exited;

for (const v of viewers) if (v.whole.bytes !== ready.bytes) throw new Error(`a viewer got ${v.whole.bytes} of ${ready.bytes} bytes`);
const served = viewers.reduce((n, v) => n + v.whole.bytes + v.seek.bytes, 0) / (1024 * 1024);
const result = {
  mb: MB,
  viewers: VIEWERS,
  rssRestMb: Math.round(rest),
  rssPeakMb: Math.round(peak),
  rssAfterMb: Math.round(after),
  peakOverRest: Number((peak / rest).toFixed(2)),
  rssFirstHalfMb: Math.round(firstHalf),
  rssSecondHalfMb: Math.round(secondHalf),
  secondOverFirstHalf: Number((secondHalf / firstHalf).toFixed(2)),
  servedMb: Math.round(served),
  wallMs: Math.round(wallMs),
  perViewerMbps: Number(((MB / (viewers.reduce((n, v) => n + v.whole.ms, 0) / VIEWERS)) * 1000).toFixed(1)),
  firstByteAtStartMs: Math.round(seekStart.firstByteMs),
  firstByteAt95Ms: Math.round(seekEnd.firstByteMs),
  seekCostRatio: Number((seekEnd.firstByteMs / Math.max(1, seekStart.firstByteMs)).toFixed(1)),
};
console.log(`server RSS: ${result.rssRestMb} MB at rest, ${result.rssPeakMb} MB peak with ${VIEWERS} viewers (${result.peakOverRest}x), ${result.rssAfterMb} MB after`);
console.log(`server RSS while viewing: ${result.rssFirstHalfMb} MB peak in the first half, ${result.rssSecondHalfMb} MB in the second (${result.secondOverFirstHalf}x)`);
console.log(`${VIEWERS} viewers, each the whole ${MB} MB then a seek to 75%: ${result.servedMb} MB served in ${result.wallMs} ms, ${result.perViewerMbps} MB/s per viewer`);
console.log(`first byte: ${result.firstByteAtStartMs} ms at the start, ${result.firstByteAt95Ms} ms at 95% (${result.seekCostRatio}x: decrypt-and-skip)`);
console.log(JSON.stringify(result));
