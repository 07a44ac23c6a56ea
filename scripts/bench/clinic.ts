#!/usr/bin/env bun
/**
 * The clinic's program at size, in one process on a temp data dir:
 *
 * 1. Occurrence generation: 50 groups with a weekly schedule, all sessions of 52 weeks through
 *    plannedSessions (rules from the store, rrule, zone conversion, single-session changes).
 *    Baseline, same run: the same 50 rules through bare rrule `between` (no zone, no store).
 * 2. Pages at 200 patients and 2 years of history (20 groups of 10, each a weekly schedule
 *    started two years ago with every past session held): the clinician's week (/calendar) and
 *    a patient's home (/), sequential requests, p50/p99. Baseline, same run, same client: a bare
 *    Bun.serve answering "hello".
 * 3. Materials: a 25 MB worksheet uploaded (streamed body) and downloaded, MB/s and the process's
 *    peak RSS during each (sampled every 5 ms) against its RSS before. Baseline, same run: the
 *    same 25 MB to a bare Bun.serve that drains the body, and from one that streams it back.
 *
 *   bun scripts/bench/clinic.ts [--requests 300]
 *
 * The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import { RRule, Weekday } from "rrule";
import { startTestServer } from "../../tests/harness.ts";
import { createSession } from "../../src/identity/sessions.ts";
import { makePerson } from "../../src/clinic/test-people.ts";
import { addMember, createGroup } from "../../src/clinic/groups.ts";
import { createSchedule, plannedSessions, setClinicZone } from "../../src/clinic/schedule/schedules.ts";
import { sessionOfOccurrence } from "../../src/clinic/schedule/scheduler.ts";
import { WEEKDAYS } from "../../src/clinic/schedule/recurrence.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "300" } } });
const REQUESTS = Number(values.requests);
const DAY = 86_400_000;
const ZONE = "America/Toronto";

const server = await startTestServer({ HEARTH_LOG_LEVEL: "error" });
const h = server.hearth;
const now = server.clock.now;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

// ---- 1. occurrence generation
const admin = await makePerson(h, "admin", "Ada");
setClinicZone(h, admin, ZONE);
const lead = await makePerson(h, "clinician", "Cleo");
const genGroups: number[] = [];
for (let i = 0; i < 50; i++) {
  const g = await createGroup(h, { name: `Group ${i}`, createdBy: lead });
  createSchedule(h, lead, g, { startsOn: iso(now), time: `${String(8 + (i % 12)).padStart(2, "0")}:00`, durationMin: 90, zone: ZONE, days: [WEEKDAYS[i % 7]!], interval: 1, count: 520 });
  genGroups.push(g);
}
const YEAR = [now, now + 52 * 7 * DAY] as const;
const genRuns: number[] = [];
let sessions = 0;
for (let run = 0; run < 10; run++) {
  const t0 = performance.now();
  sessions = plannedSessions(h, genGroups, ...YEAR).length;
  genRuns.push(performance.now() - t0);
}
const bareRuns: number[] = [];
for (let run = 0; run < 10; run++) {
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 50; i++) {
    const rule = new RRule({ freq: RRule.WEEKLY, byweekday: [new Weekday(i % 7)], dtstart: new Date(now), count: 520 });
    n += rule.between(new Date(YEAR[0]), new Date(YEAR[1]), true).length;
  }
  bareRuns.push(performance.now() - t0);
  if (n < sessions) throw new Error("baseline generated fewer sessions");
}
const generation = { groups: 50, weeks: 52, sessions, medianMs: r2(pct(genRuns, 50)), bareRruleMedianMs: r2(pct(bareRuns, 50)) };
console.log("generation", generation);

// ---- 2. pages at 200 patients and 2 years of history
const clinician = await makePerson(h, "clinician", "Sam");
const patients: number[] = [];
const twoYearsAgo = now - 104 * 7 * DAY;
for (let g = 0; g < 20; g++) {
  const id = await createGroup(h, { name: `Program ${g}`, createdBy: clinician });
  createSchedule(h, clinician, id, { startsOn: iso(twoYearsAgo), time: "18:00", durationMin: 90, zone: ZONE, days: [WEEKDAYS[g % 5]!], interval: 1, count: 160 });
  for (let m = 0; m < 10; m++) {
    const p = await makePerson(h, "patient", `Patient ${g}-${m}`);
    addMember(h, clinician, id, p, "member");
    patients.push(p);
  }
  h.db.transaction(() => {
    for (const p of plannedSessions(h, [id], twoYearsAgo, now).filter((x) => x.endsAt < now)) {
      const sid = sessionOfOccurrence(h, p);
      h.db.query("UPDATE group_sessions SET opened_at = ?, closed_at = ? WHERE id = ?").run(p.startsAt - 600_000, p.endsAt, sid);
    }
  })();
}
const held = h.db.query<{ n: number }, []>("SELECT count(*) AS n FROM group_sessions WHERE closed_at IS NOT NULL").get()!.n;

async function timed(url: string, cookie: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < REQUESTS + 20; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: cookie ? { cookie } : {} });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    if (i >= 20) out.push(performance.now() - t0);
  }
  return out;
}
const hello = Bun.serve({ port: 0, fetch: () => new Response("hello") });
const helloTimes = await timed(`http://127.0.0.1:${hello.port}/`, "");
const weekTimes = await timed(`${server.url}/calendar`, `hearth_session=${createSession(h, clinician).id}`);
const homeTimes = await timed(`${server.url}/`, `hearth_session=${createSession(h, patients[0]!).id}`);
const page = (xs: number[]) => ({ p50Ms: r2(pct(xs, 50)), p99Ms: r2(pct(xs, 99)), p99VsHello: r2(pct(xs, 99) / pct(helloTimes, 99)) });
const pages = { patients: patients.length, heldSessions: held, requests: REQUESTS, hello: { p50Ms: r2(pct(helloTimes, 50)), p99Ms: r2(pct(helloTimes, 99)) }, week: page(weekTimes), home: page(homeTimes) };
console.log("pages", pages);

// ---- 3. a 25 MB material, streamed in and out
const SIZE = 25 * 1024 * 1024;
const CHUNK = 64 * 1024;
function body(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= SIZE) return c.close();
      const chunk = new Uint8Array(Math.min(CHUNK, SIZE - sent)).fill(0x20);
      if (sent === 0) chunk.set(new TextEncoder().encode("%PDF-1.4\n"));
      sent += chunk.length;
      c.enqueue(chunk);
    },
  });
}
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
async function measure(fn: () => Promise<void>): Promise<{ mbPerS: number; peakRssMb: number; rssBeforeMb: number }> {
  Bun.gc(true);
  const before = process.memoryUsage.rss();
  peak = before;
  const t0 = performance.now();
  await fn();
  const s = (performance.now() - t0) / 1000;
  return { mbPerS: r2(25 / s), peakRssMb: r2(peak / 2 ** 20), rssBeforeMb: r2(before / 2 ** 20) };
}
const group = genGroups[0]!;
const leadSession = createSession(h, lead);
const cookie = `hearth_session=${leadSession.id}`;
const csrf = leadSession.csrfToken;
const upload = await measure(async () => {
  const res = await fetch(`${server.url}/groups/${group}/materials`, {
    method: "POST",
    body: body(),
    headers: { cookie, "x-csrf-token": csrf, "content-type": "application/octet-stream", "x-material-title": "Big", "hx-request": "true" },
  });
  if (res.status !== 204) throw new Error(`upload: ${res.status} ${await res.text()}`);
});
const materialId = h.db.query<{ id: number }, []>("SELECT id FROM materials ORDER BY id DESC LIMIT 1").get()!.id;
const download = await measure(async () => {
  const res = await fetch(`${server.url}/materials/${materialId}`, { headers: { cookie } });
  let n = 0;
  for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
  if (n !== SIZE) throw new Error(`download: ${n} bytes`);
});
const drain = Bun.serve({ port: 0, maxRequestBodySize: SIZE * 2, fetch: async (r) => { for await (const _ of r.body as unknown as AsyncIterable<Uint8Array>); return new Response(null, { status: 204 }); } });
const bareUp = await measure(async () => void (await fetch(`http://127.0.0.1:${drain.port}/`, { method: "POST", body: body() })));
const source = Bun.serve({ port: 0, fetch: () => new Response(body()) });
const bareDown = await measure(async () => {
  const res = await fetch(`http://127.0.0.1:${source.port}/`);
  for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>);
});
clearInterval(sampler);
const materials = { sizeMb: 25, upload, download, bareUpload: bareUp, bareDownload: bareDown, uploadVsBare: r2(upload.mbPerS / bareUp.mbPerS), downloadVsBare: r2(download.mbPerS / bareDown.mbPerS) };
console.log("materials", materials);

hello.stop(true);
drain.stop(true);
source.stop(true);
await server.close();
console.log(JSON.stringify({ generation, pages, materials }));
