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
 * With --pin, the server runs on that core (taskset) and this process on the others.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config.ts";
import { openHearth } from "../../src/server.ts";
import { loopbackStunSink } from "../../src/rooms/ice.ts";
import { makeGroup, type GroupFixture } from "../../tests/room-fixture.ts";
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
  },
  strict: true,
});
const ROOMS = Number(values.rooms);
const MEMBERS = Number(values.members);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const PIN = values.pin === undefined ? null : Number(values.pin);
if (![ROOMS, MEMBERS, SECONDS, WARMUP].every((n) => Number.isInteger(n) && n >= 0) || ROOMS < 1 || MEMBERS < 2 || SECONDS < 1) {
  console.error("usage: bun scripts/bench/sfu.ts [--rooms K>=1] [--members P>=2] [--seconds S>=1] [--warmup W] [--pin CORE]");
  process.exit(2);
}
if (PIN !== null && !(PIN >= 0 && PIN < cpus().length)) {
  console.error(`--pin must name a core from 0 to ${cpus().length - 1}`);
  process.exit(2);
}

const log = (line: string) => console.error(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-sfu-bench-"));
  const port = await freePort();
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

  const cores = cpus().length;
  const command = PIN === null ? ["bun", MAIN, "serve"] : ["taskset", "-c", String(PIN), "bun", MAIN, "serve"];
  if (PIN !== null && cores > 1) {
    const others = [...Array(cores).keys()].filter((c) => c !== PIN).join(",");
    spawnSync("taskset", ["-pc", others, String(process.pid)], { stdio: "ignore" });
  }
  const server = Bun.spawn(command, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  const bots: Bot[] = [];
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok).catch(() => false);
      if (ok) break;
      if (i > 200) throw new Error("the server did not answer /healthz within 10 s");
      await sleep(50);
    }
    const stun = await loopbackStunSink();
    for (const g of groups) {
      const url = `ws://127.0.0.1:${port}/rooms/${g.sessionId}/ws`;
      const clinician = new Bot(url, { cookie: g.clinician, stun, latency: true });
      bots.push(clinician);
      await clinician.connect();
      for (const cookie of g.members) {
        const m = new Bot(url, { cookie, stun, latency: true });
        bots.push(m);
        await m.connect();
        clinician.send({ type: "admit", memberId: m.memberId });
        await m.next("admitted");
      }
    }
    await Promise.all(bots.map((b) => b.connected(15_000)));
    log(`${bots.length} members connected in ${ROOMS} room(s); sending for ${WARMUP} s warm-up + ${SECONDS} s`);
    for (const b of bots) b.startMedia({ videoPps: VIDEO_PPS, audioPps: AUDIO_PPS, videoBytes: 1100, audioBytes: 100 });
    await sleep(WARMUP * 1000);

    for (const b of bots) {
      b.fromBots.clear();
      b.latencies.length = 0;
    }
    const sent0 = bots.map((b) => b.sent);
    const t0 = performance.now();
    const cpu0 = cpuSeconds(server.pid);
    const self0 = process.cpuUsage();
    let rssMax = 0;
    for (let s = 0; s < SECONDS; s++) {
      await sleep(1000);
      rssMax = Math.max(rssMax, rssMb(server.pid));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const sent = bots.reduce((sum, b, k) => sum + b.sent - sent0[k]!, 0);
    const serverCpu = ((cpuSeconds(server.pid) - cpu0) / elapsed) * 100;
    const self = process.cpuUsage(self0);
    const benchCpu = ((self.user + self.system) / 1e6 / elapsed) * 100;
    const rssEnd = rssMb(server.pid);

    let received = 0;
    let expected = 0;
    let samples = 0;
    for (const b of bots) {
      for (const s of b.fromBots.values()) {
        received += s.packets;
        expected += s.last - s.first + 1;
      }
      samples += b.latencies.length;
    }
    const all = new Float64Array(samples);
    let i = 0;
    for (const b of bots) for (const v of b.latencies) all[i++] = v;
    all.sort();
    const nominal = ROOMS * MEMBERS * (MEMBERS - 1) * (VIDEO_PPS + AUDIO_PPS);
    // What the members actually sent (timers run a little slow), times the P-1 receivers of each packet.
    const offered = Math.round((sent * (MEMBERS - 1)) / elapsed);
    const result = {
      rooms: ROOMS,
      members: MEMBERS,
      seconds: Math.round(elapsed * 10) / 10,
      pinned_core: PIN,
      nominal_pps: nominal,
      offered_pps: offered,
      forwarded_pps: Math.round(received / elapsed),
      loss_pct: expected ? Math.round((1 - received / expected) * 10000) / 100 : 0,
      p50_ms: Math.round(percentile(all, 0.5) * 100) / 100,
      p99_ms: Math.round(percentile(all, 0.99) * 100) / 100,
      server_cpu_pct: Math.round(serverCpu * 10) / 10,
      server_rss_mb: Math.round(rssEnd * 10) / 10,
      server_rss_max_mb: Math.round(rssMax * 10) / 10,
      bench_cpu_pct: Math.round(benchCpu * 10) / 10,
    };
    log(
      [
        `forwarded ${result.forwarded_pps} packets/s of ${offered} sent to forward (nominal ${nominal}: ${ROOMS} x ${MEMBERS} members, each receiving ${MEMBERS - 1} x ${VIDEO_PPS + AUDIO_PPS} packets/s)`,
        `loss ${result.loss_pct}%   one-way latency p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`,
        `server CPU ${result.server_cpu_pct}% of one core${PIN === null ? "" : ` (pinned to core ${PIN})`}, RSS ${result.server_rss_mb} MB (max ${result.server_rss_max_mb} MB)`,
        `load generator CPU ${result.bench_cpu_pct}%`,
      ].join("\n"),
    );
    console.log(JSON.stringify(result));
  } finally {
    await Promise.all(bots.map((b) => b.close()));
    server.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
