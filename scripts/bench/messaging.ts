#!/usr/bin/env bun
/**
 * The messaging page at 200 patients, in one process on a temp data dir: one clinician caring for
 * 200 patients (20 groups of 10), each patient with a thread of 4 sealed messages with them, made
 * through the portal's own functions. Timed, sequential requests after 20 warm-up ones:
 *
 * - the clinician's inbox (/portal/messages: 200 threads, each subject and name opened, and the
 *   "new message" list of the 200 patients they may write to), p50 / p99;
 * - a patient's inbox and one thread (/portal/messages/:id), p50 / p99.
 *
 * Baselines in the same run, same client: a bare Bun.serve answering "hello", and the app's own
 * /healthz (the whole middleware stack, no data). Ratios are p99 over the baseline's p99.
 *
 *   bun scripts/bench/messaging.ts [--requests 200]
 *
 * The last line is one JSON object.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startTestServer } from "../../tests/harness.ts";
import { createSession } from "../../src/identity/sessions.ts";
import { makePerson } from "../../src/clinic/test-people.ts";
import { addMember, createGroup } from "../../src/clinic/groups.ts";
import { addMessage, startThread, threadById } from "../../src/portal/messages.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "200" } } });
const REQUESTS = Number(values.requests);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const r2 = (x: number) => Math.round(x * 100) / 100;

const server = await startTestServer({ HEARTH_LOG_LEVEL: "error" });
const h = server.hearth;

const clinician = await makePerson(h, "clinician", "Sam Clinician");
const patients: number[] = [];
for (let g = 0; g < 20; g++) {
  const id = await createGroup(h, { name: `Program ${g}`, createdBy: clinician });
  for (let m = 0; m < 10; m++) {
    const p = await makePerson(h, "patient", `Patient ${g}-${m}`);
    addMember(h, clinician, id, p, "member");
    patients.push(p);
  }
}
let firstThread = 0;
for (const p of patients) {
  const { threadId } = await startThread(h, { patientId: p, clinicianId: clinician, authorId: p, subject: "About Thursday", body: "I may be late on Thursday because of work." });
  const thread = threadById(h, threadId)!;
  await addMessage(h, thread, clinician, "Thank you for letting me know. Join when you can.");
  await addMessage(h, thread, p, "I will. The breathing exercise helped this week.");
  await addMessage(h, thread, clinician, "Glad to hear it. See you then.");
  firstThread ||= threadId;
}
const messages = h.db.query<{ n: number }, []>("SELECT count(*) AS n FROM messages").get()!.n;

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

const load = loadavg()[0]!;
const hello = Bun.serve({ port: 0, fetch: () => new Response("hello") });
const helloTimes = await timed(`http://127.0.0.1:${hello.port}/`, "");
const healthTimes = await timed(`${server.url}/healthz`, "");
const clinicianCookie = `hearth_session=${createSession(h, clinician).id}`;
const patientCookie = `hearth_session=${createSession(h, patients[0]!).id}`;
const inboxTimes = await timed(`${server.url}/portal/messages`, clinicianCookie);
const patientInboxTimes = await timed(`${server.url}/portal/messages`, patientCookie);
const threadTimes = await timed(`${server.url}/portal/messages/${firstThread}`, patientCookie);

const base = (xs: number[]) => ({ p50Ms: r2(pct(xs, 50)), p99Ms: r2(pct(xs, 99)) });
const page = (xs: number[]) => ({ ...base(xs), p99VsHello: r2(pct(xs, 99) / pct(helloTimes, 99)), p99VsHealthz: r2(pct(xs, 99) / pct(healthTimes, 99)) });
const result = {
  patients: patients.length,
  threads: patients.length,
  messages,
  requests: REQUESTS,
  loadAverage1m: r2(load),
  hello: base(helloTimes),
  healthz: base(healthTimes),
  clinicianInbox: page(inboxTimes),
  patientInbox: page(patientInboxTimes),
  thread: page(threadTimes),
};
console.log(JSON.stringify(result));
hello.stop(true);
server.close();
process.exit(0);
