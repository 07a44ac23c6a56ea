#!/usr/bin/env bun
/**
 * SFU load: K rooms x P members of synthetic werift members (scripts/bench/sfu-bot.ts) using the
 * real signaling and real DTLS-SRTP against a server this script spawns (`bun src/main.ts serve`
 * on a temp data dir, optionally pinned to one core). Each member sends VP8-shaped video at
 * 30 packets/s x 1,100 bytes and Opus-shaped audio at 50 packets/s x 100 bytes and receives
 * everyone else's.
 *
 *   bun scripts/bench/sfu.ts [--rooms 1] [--members 12] [--seconds 20] [--warmup 5] [--pin CORE]
 *
 * Reports forwarded packets/s (as received by the members), loss, one-way latency member to
 * member through the SFU (send time travels in the payload), the server's CPU (/proc/PID/stat)
 * and RSS (/proc/PID/status), and the load generator's own CPU (if it is saturated, the figures
 * say more about it than about the server). The last line is one JSON object for scripts.
 * With --pin, the server runs on that core (taskset) and the load generator on the others.
 * The members run in --workers processes (default: one per room, at most one per core left),
 * so the load generator is not capped at one core; all members of a room share a process, so
 * send and receive times come from one clock.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config.ts";
import { openHearth } from "../../src/server.ts";
import { loopbackStunSink } from "../../src/rooms/ice.ts";
import { makeGroup, type GroupFixture } from "../../tests/room-fixture.ts";
import { freePort } from "../../tests/harness.ts";
import { Bot } from "./sfu-bot.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
const VIDEO_PPS = 30;
const AUDIO_PPS = 50;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rooms: { type: "string", default: "1" },
    members: { type: "string", default: "12" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    pin: { type: "string" },
    workers: { type: "string" },
    worker: { type: "boolean", default: false },
  },
  strict: true,
});

const log = (line: string) => console.error(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;
}

/** What a worker process is given: its rooms (URL and cookies) and where to leave latency samples. */
interface Assignment {
  rooms: { url: string; clinician: string; members: string[] }[];
  latencyFile: string;
}

/** What a worker reports for the measured window. */
interface Report {
  sent: number;
  received: number;
  expected: number;
  samples: number;
  cpuSeconds: number;
}

/**
 * A worker: connects its rooms' members, then follows the parent's commands on stdin, one per
 * line: start (media on), measure (window opens), report (window closes: one JSON line on
 * stdout), stop.
 */
async function worker(): Promise<void> {
  const job = JSON.parse(process.env.HEARTH_BENCH_ASSIGNMENT!) as Assignment;
  const stun = await loopbackStunSink();
  const bots: Bot[] = [];
  for (const room of job.rooms) {
    const clinician = new Bot(room.url, { cookie: room.clinician, stun, latency: true, lean: true });
    bots.push(clinician);
    await clinician.connect();
    for (const cookie of room.members) {
      const m = new Bot(room.url, { cookie, stun, latency: true, lean: true });
      bots.push(m);
      await m.connect();
      clinician.send({ type: "admit", memberId: m.memberId });
      await m.next("admitted");
    }
  }
  await Promise.all(bots.map((b) => b.connected(15_000)));
  console.log("ready");
  let sent0: number[] = [];
  let cpu0 = process.cpuUsage();
  for await (const line of console) {
    const command = line.trim();
    if (command === "start") {
      for (const b of bots) b.startMedia({ videoPps: VIDEO_PPS, audioPps: AUDIO_PPS, videoBytes: 1100, audioBytes: 100 });
    } else if (command === "measure") {
      for (const b of bots) {
        b.fromBots.clear();
        b.latencies.length = 0;
      }
      sent0 = bots.map((b) => b.sent);
      cpu0 = process.cpuUsage();
    } else if (command === "report") {
      const cpu = process.cpuUsage(cpu0);
      const report: Report = { sent: 0, received: 0, expected: 0, samples: 0, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
      const latencies: number[] = [];
      bots.forEach((b, k) => {
        report.sent += b.sent - sent0[k]!;
        for (const st of b.fromBots.values()) {
          report.received += st.packets;
          report.expected += st.last - st.first + 1;
        }
        for (const v of b.latencies) latencies.push(v);
      });
      report.samples = latencies.length;
      writeFileSync(job.latencyFile, Buffer.from(new Float64Array(latencies).buffer));
      console.log(JSON.stringify(report));
    } else if (command === "stop") {
      break;
    }
  }
  await Promise.all(bots.map((b) => b.close()));
}

/** A worker process and its stdout, read line by line. */
class Worker {
  readonly proc;
  readonly #lines: string[] = [];
  #waiting: ((line: string) => void) | null = null;

  constructor(assignment: Assignment) {
    this.proc = Bun.spawn(["bun", import.meta.path, "--worker"], {
      env: { ...process.env, HEARTH_BENCH_ASSIGNMENT: JSON.stringify(assignment) },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    void this.#read();
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (const chunk of this.proc.stdout as unknown as AsyncIterable<Uint8Array>) {
      buffer += new TextDecoder().decode(chunk);
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (this.#waiting) {
          const w = this.#waiting;
          this.#waiting = null;
          w(line);
        } else this.#lines.push(line);
      }
    }
  }

  line(timeoutMs = 120_000): Promise<string> {
    const queued = this.#lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("a bench worker did not answer")), timeoutMs);
      this.#waiting = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
    });
  }

  send(command: string): void {
    this.proc.stdin.write(`${command}\n`);
    this.proc.stdin.flush();
  }
}

async function main(): Promise<void> {
  const ROOMS = Number(values.rooms);
  const MEMBERS = Number(values.members);
  const SECONDS = Number(values.seconds);
  const WARMUP = Number(values.warmup);
  const PIN = values.pin === undefined ? null : Number(values.pin);
  const cores = cpus().length;
  if (![ROOMS, MEMBERS, SECONDS, WARMUP].every((n) => Number.isInteger(n) && n >= 0) || ROOMS < 1 || MEMBERS < 2 || SECONDS < 1) {
    console.error("usage: bun scripts/bench/sfu.ts [--rooms K>=1] [--members P>=2] [--seconds S>=1] [--warmup W] [--pin CORE] [--workers N]");
    process.exit(2);
  }
  if (PIN !== null && !(Number.isInteger(PIN) && PIN >= 0 && PIN < cores)) {
    console.error(`--pin must name a core from 0 to ${cores - 1}`);
    process.exit(2);
  }
  const WORKERS = values.workers === undefined ? Math.max(1, Math.min(ROOMS, cores - (PIN === null ? 0 : 1))) : Number(values.workers);
  if (!(Number.isInteger(WORKERS) && WORKERS >= 1 && WORKERS <= ROOMS)) {
    console.error("--workers must be from 1 to the number of rooms");
    process.exit(2);
  }

  const dir = mkdtempSync(join(tmpdir(), "hearth-sfu-bench-"));
  const port = freePort();
  const env: Record<string, string> = {
    HEARTH_DATA_DIR: dir,
    HEARTH_PORT: String(port),
    HEARTH_HOST: "127.0.0.1",
    HEARTH_RTC_ADDRESSES: "127.0.0.1",
    HEARTH_RTC_PORTS: "44000-44999",
    HEARTH_LOG_LEVEL: "warn",
  };

  // The people, groups, sessions and sign-ins, written before the server starts.
  const hearth = await openHearth(loadConfig(env));
  const groups: GroupFixture[] = [];
  for (let r = 0; r < ROOMS; r++) groups.push(await makeGroup(hearth, MEMBERS - 1));
  hearth.db.close();

  const command = PIN === null ? ["bun", MAIN, "serve"] : ["taskset", "-c", String(PIN), "bun", MAIN, "serve"];
  if (PIN !== null && cores > 1) {
    // The load generator (this process and the workers it spawns) keeps off the server's core.
    const others = [...Array(cores).keys()].filter((c) => c !== PIN).join(",");
    spawnSync("taskset", ["-pc", others, String(process.pid)], { stdio: "ignore" });
  }
  const server = Bun.spawn(command, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  const workers: Worker[] = [];
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (i > 200) throw new Error("the server did not answer /healthz within 10 s");
      await sleep(50);
    }
    for (let w = 0; w < WORKERS; w++) {
      const rooms = groups
        .filter((_, r) => r % WORKERS === w)
        .map((g) => ({ url: `ws://127.0.0.1:${port}/rooms/${g.sessionId}/ws`, clinician: g.clinician, members: g.members }));
      workers.push(new Worker({ rooms, latencyFile: join(dir, `latency-${w}.f64`) }));
    }
    for (const w of workers) if ((await w.line()) !== "ready") throw new Error("a bench worker failed to connect its members");
    log(`${ROOMS * MEMBERS} members connected in ${ROOMS} room(s), ${WORKERS} worker process(es); ${WARMUP} s warm-up + ${SECONDS} s`);
    for (const w of workers) w.send("start");
    await sleep(WARMUP * 1000);

    for (const w of workers) w.send("measure");
    const t0 = performance.now();
    const cpu0 = cpuSeconds(server.pid);
    let rssMax = 0;
    for (let s = 0; s < SECONDS; s++) {
      await sleep(1000);
      rssMax = Math.max(rssMax, rssMb(server.pid));
    }
    for (const w of workers) w.send("report");
    const elapsed = (performance.now() - t0) / 1000;
    const serverCpu = ((cpuSeconds(server.pid) - cpu0) / elapsed) * 100;
    const rssEnd = rssMb(server.pid);
    const reports = await Promise.all(workers.map(async (w) => JSON.parse(await w.line()) as Report));
    for (const w of workers) w.send("stop");

    const total = reports.reduce((a, r) => ({ sent: a.sent + r.sent, received: a.received + r.received, expected: a.expected + r.expected, samples: a.samples + r.samples, cpuSeconds: a.cpuSeconds + r.cpuSeconds }));
    const all = new Float64Array(total.samples);
    let at = 0;
    for (let w = 0; w < WORKERS; w++) {
      const part = new Float64Array(readFileSync(join(dir, `latency-${w}.f64`)).buffer.slice(0));
      all.set(part, at);
      at += part.length;
    }
    all.sort();
    const nominal = ROOMS * MEMBERS * (MEMBERS - 1) * (VIDEO_PPS + AUDIO_PPS);
    // What the members actually sent (timers run a little slow), times the P-1 receivers of each packet.
    const offered = Math.round((total.sent * (MEMBERS - 1)) / elapsed);
    const result = {
      rooms: ROOMS,
      members: MEMBERS,
      seconds: Math.round(elapsed * 10) / 10,
      pinned_core: PIN,
      workers: WORKERS,
      nominal_pps: nominal,
      offered_pps: offered,
      forwarded_pps: Math.round(total.received / elapsed),
      loss_pct: total.expected ? Math.round((1 - total.received / total.expected) * 10000) / 100 : 0,
      p50_ms: Math.round(percentile(all, 0.5) * 100) / 100,
      p99_ms: Math.round(percentile(all, 0.99) * 100) / 100,
      server_cpu_pct: Math.round(serverCpu * 10) / 10,
      server_rss_mb: Math.round(rssEnd * 10) / 10,
      server_rss_max_mb: Math.round(rssMax * 10) / 10,
      bench_cpu_pct: Math.round(((total.cpuSeconds / elapsed) * 100) * 10) / 10,
    };
    log(
      [
        `forwarded ${result.forwarded_pps} packets/s of ${offered} sent to forward (nominal ${nominal}: ${ROOMS} x ${MEMBERS} members, each receiving ${MEMBERS - 1} x ${VIDEO_PPS + AUDIO_PPS} packets/s)`,
        `loss ${result.loss_pct}%   one-way latency p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`,
        `server CPU ${result.server_cpu_pct}% of one core${PIN === null ? "" : ` (pinned to core ${PIN})`}, RSS ${result.server_rss_mb} MB (max ${result.server_rss_max_mb} MB)`,
        `load generator CPU ${result.bench_cpu_pct}% (${WORKERS} process(es); ${Math.round(result.bench_cpu_pct / WORKERS)}% each on average)`,
      ].join("\n"),
    );
    console.log(JSON.stringify(result));
  } finally {
    for (const w of workers) w.proc.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.proc.exited));
    server.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.worker) await worker();
else await main();
process.exit(0);
