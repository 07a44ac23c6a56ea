#!/usr/bin/env bun
/**
 * SFU load: K rooms x P members of synthetic werift members (scripts/bench/sfu-bot.ts) using the
 * real signaling and real DTLS-SRTP against a server this script spawns (`bun src/main.ts serve`
 * on a temp data dir, optionally pinned to some cores). Each member sends VP8-shaped video at
 * 30 packets/s x 1,100 bytes and Opus-shaped audio at 50 packets/s x 100 bytes and receives
 * everyone else's.
 *
 *   bun scripts/bench/sfu.ts [--rooms 1] [--members 12] [--seconds 20] [--warmup 5]
 *     [--pin 0 | --pin 0,1] [--bot-cpus 1] [--workers N] [--sfu-workers N] [--sample S] [--worker-quota PCT]
 *     [--tools [--tool-rounds 2]]
 *
 * Reports forwarded packets/s (as received by the members), loss, one-way latency member to
 * member through the SFU (send time travels in the payload), the server's CPU, RSS and PSS
 * summed over its process tree (the main process and any SFU workers it spawned) with
 * per-process figures, the load generator's own CPU (if it is saturated, the figures say more
 * about it than about the server), and datagrams the kernel dropped on the server's and on the
 * bots' sockets (which side lost what). The last line is one JSON object for scripts.
 *
 * --pin: the server's cores (taskset). --bot-cpus: the load generator's cores (default: the
 * cores --pin leaves, else none chosen); bot process i runs on the i-th of them, round robin.
 * --workers: bot processes (default one per room, at most one per bot core); all members of a
 * room share a process, so send and receive times come from one clock. --sfu-workers N is
 * passed to the server as HEARTH_SFU_WORKERS=N. --sample S: a sample every S seconds of the
 * measured window (soak: `--seconds 600 --sample 10`), each with its own rate, loss, p99 and the
 * server's RSS and PSS; the JSON then has `samples`, RSS growth from the first sample to the
 * last and the worst interval's loss.
 *
 * --worker-quota PCT: each SFU worker in its own cgroup limited to PCT% of one core (cgroup v1
 * cpu controller; see quota.ts), for comparing capacity across worker counts on a box whose
 * cores the load generator also needs.
 *
 * --tools: the room tools' cost (issue 9). The measured time becomes phases of --seconds each,
 * without and with the bots also using chat, raised hands, polls and the whiteboard over their
 * signaling sockets (sfu-tools.ts), in pairs ordered off/on then on/off (--tool-rounds pairs, so
 * a drift of the machine's speed over the run weighs on both sides alike), 2 s of settling before
 * each phase. Each phase reports its own rate, loss, p99, CPU of the main process and of the SFU
 * workers and µs per forwarded packet; the JSON ends with the mean µs per packet without and with
 * the tools and their ratio.
 *
 * Latency percentiles come from a histogram with 10 µs buckets below 100 ms and 1 ms buckets
 * above (the upper edge of the bucket is reported). Loss: per sending stream, the advance of the
 * highest per-stream counter received against the packets received, every packet counted.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config.ts";
import { openHearth } from "../../src/server.ts";
import { loopbackStunSink } from "../../src/rooms/ice.ts";
import { makeGroup, type GroupFixture } from "../../tests/room-fixture.ts";
import { freePort } from "../../tests/harness.ts";
import { commandOf, cpuDelta, cpuTimes, processTree, pssMb, rssMb, socketInodes, stealTicks, udpState } from "./proctree.ts";
import { Bot } from "./sfu-bot.ts";
import { limitWorkers, quotaAvailable, throttled } from "./quota.ts";
import { LatencyHistogram } from "./sfu-stats.ts";
import { RoomTools, type ToolCounts } from "./sfu-tools.ts";

const MAIN = join(import.meta.dir, "..", "..", "src", "main.ts");
const VIDEO_PPS = 30;
const AUDIO_PPS = 50;
const RTC_PORTS: [number, number] = [44000, 44999];

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rooms: { type: "string", default: "1" },
    members: { type: "string", default: "12" },
    seconds: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    pin: { type: "string" },
    "bot-cpus": { type: "string" },
    workers: { type: "string" },
    "worker-quota": { type: "string" },
    "sfu-workers": { type: "string" },
    sample: { type: "string" },
    tools: { type: "boolean", default: false },
    "tool-rounds": { type: "string", default: "2" },
    worker: { type: "boolean", default: false },
  },
  strict: true,
});

const log = (line: string) => console.error(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : null);

/** What a worker process is given: its rooms (URL and cookies). */
interface Assignment {
  rooms: { url: string; clinician: string; members: string[] }[];
  /** The bots drive their rooms' tools when told (--tools). */
  tools: boolean;
}

/** What a worker reports for the interval since its previous sample. */
interface Report {
  sent: number;
  received: number;
  expected: number;
  cpuSeconds: number;
  /** Latency histogram, sparse ([bucket, count, ...]). */
  latency: number[];
  /** Fast ingress: packets that failed authentication, and replays (duplicates), since the bots started. */
  authFailed: number;
  replayed: number;
  /** Bots still on werift's receive path (the fast ingress refused their transport). */
  weriftPath: number;
  /** Streams the bots send on the fast path (else werift's sender) now; packets that could not go and NACKs answered, since the bots started. */
  fastStreams: number;
  sendFailed: number;
  resent: number;
  /** Members the server lets send video now. */
  videoPublishers: number;
  /** What the room tools did since the bots started (all zero without --tools). */
  tools: ToolCounts;
}

const noTools = (): ToolCounts => ({ chatSent: 0, pollAnswers: 0, handsRaised: 0, strokes: 0, boardBytesSent: 0, received: 0, refused: {} });

function addTools(into: ToolCounts, t: ToolCounts): void {
  into.chatSent += t.chatSent;
  into.pollAnswers += t.pollAnswers;
  into.handsRaised += t.handsRaised;
  into.strokes += t.strokes;
  into.boardBytesSent += t.boardBytesSent;
  into.received += t.received;
  for (const [code, n] of Object.entries(t.refused)) into.refused[code] = (into.refused[code] ?? 0) + n;
}

/**
 * A worker: connects its rooms' members, then follows the parent's commands on stdin, one per
 * line: start (media on), sample (one JSON line on stdout: what happened since the last
 * sample), tools on / tools off (the rooms' tools, sfu-tools.ts), stop.
 */
async function worker(): Promise<void> {
  const job = JSON.parse(process.env.HEARTH_BENCH_ASSIGNMENT!) as Assignment;
  const stun = await loopbackStunSink();
  const latency = new LatencyHistogram();
  const bots: Bot[] = [];
  const tools: RoomTools[] = [];
  for (const room of job.rooms) {
    const clinician = new Bot(room.url, { cookie: room.clinician, stun, latency, lean: true });
    bots.push(clinician);
    await clinician.connect();
    const members: Bot[] = [];
    for (const cookie of room.members) {
      const m = new Bot(room.url, { cookie, stun, latency, lean: true });
      bots.push(m);
      members.push(m);
      await m.connect();
      clinician.send({ type: "admit", memberId: m.memberId });
      await m.next("admitted");
    }
    if (job.tools) tools.push(new RoomTools(clinician, members));
  }
  await Promise.all(bots.map((b) => b.connected(15_000)));
  console.log("ready");
  let sent0 = 0;
  let cpu0 = process.cpuUsage();
  for await (const line of console) {
    const command = line.trim();
    if (command === "start") {
      for (const b of bots) b.startMedia({ videoPps: VIDEO_PPS, audioPps: AUDIO_PPS, videoBytes: 1100, audioBytes: 100 });
    } else if (command === "sample") {
      const cpu = process.cpuUsage(cpu0);
      cpu0 = process.cpuUsage();
      const sent = bots.reduce((n, b) => n + b.sent, 0);
      const report: Report = { sent: sent - sent0, received: 0, expected: 0, cpuSeconds: (cpu.user + cpu.system) / 1e6, latency: latency.sparse(), authFailed: 0, replayed: 0, weriftPath: 0, fastStreams: 0, sendFailed: 0, resent: 0, videoPublishers: 0, tools: noTools() };
      for (const t of tools) addTools(report.tools, t.counts);
      sent0 = sent;
      latency.clear();
      for (const b of bots) {
        const { received, expected } = b.streams.take();
        report.received += received;
        report.expected += expected;
        const c = b.ingressCounters;
        if (c) {
          report.authFailed += c.authFailed;
          report.replayed += c.replayed;
        } else report.weriftPath++;
        const out = b.fastSendCounters;
        report.fastStreams += out.streams;
        report.sendFailed += out.failed;
        report.resent += out.resent;
        if (b.publishesVideo) report.videoPublishers++;
      }
      console.log(JSON.stringify(report));
    } else if (command === "tools on") {
      for (const t of tools) t.start();
    } else if (command === "tools off") {
      for (const t of tools) t.stop();
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

  constructor(assignment: Assignment, cpu: number | null) {
    // HEARTH_BENCH_BOT_PROFILE=DIR: each bot process writes a CPU profile (markdown) there on exit.
    const profile = process.env.HEARTH_BENCH_BOT_PROFILE;
    const cmd = ["bun", ...(profile ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profile}`] : []), import.meta.path, "--worker"];
    this.proc = Bun.spawn(cpu === null ? cmd : ["taskset", "-c", String(cpu), ...cmd], {
      env: { ...process.env, HEARTH_BENCH_ASSIGNMENT: JSON.stringify(assignment) },
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    void this.#read();
  }

  async #read(): Promise<void> {
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stdout as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
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

/** "0" or "0,1" or "0-1" to core numbers, each below `cores`; null if malformed. */
function cpuList(text: string, cores: number): number[] | null {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to >= cores) return null;
    for (let c = from; c <= to; c++) if (!out.includes(c)) out.push(c);
  }
  return out.length ? out : null;
}

function usage(message: string): never {
  console.error(message);
  console.error(
    "usage: bun scripts/bench/sfu.ts [--rooms K>=1] [--members P>=2] [--seconds S>=1] [--warmup W] [--pin CPUS] [--bot-cpus CPUS] [--workers N] [--sfu-workers N] [--sample S] [--worker-quota PCT] [--tools [--tool-rounds N]]",
  );
  process.exit(2);
}

/** The server's process tree at one moment: per-process CPU (cumulative), RSS, and PSS when asked. */
function snapshot(root: number, withPss: boolean) {
  const pids = processTree(root);
  const cpu = cpuTimes(pids);
  const rss = new Map(pids.map((p) => [p, rssMb(p)]));
  const pss = withPss ? new Map(pids.map((p) => [p, pssMb(p)])) : null;
  const sum = (m: Map<number, number> | null) => (m ? [...m.values()].reduce((a, b) => a + b, 0) : NaN);
  return { at: performance.now(), pids, cpu, rss, pss, rssSum: sum(rss), pssSum: sum(pss) };
}
type Snapshot = ReturnType<typeof snapshot>;

function sumReports(reports: Report[]): Report {
  const total: Report = { sent: 0, received: 0, expected: 0, cpuSeconds: 0, latency: [], authFailed: 0, replayed: 0, weriftPath: 0, fastStreams: 0, sendFailed: 0, resent: 0, videoPublishers: 0, tools: noTools() };
  for (const r of reports) {
    total.sent += r.sent;
    total.received += r.received;
    total.expected += r.expected;
    total.cpuSeconds += r.cpuSeconds;
    total.authFailed += r.authFailed;
    total.replayed += r.replayed;
    total.weriftPath += r.weriftPath;
    total.fastStreams += r.fastStreams;
    total.sendFailed += r.sendFailed;
    total.resent += r.resent;
    total.videoPublishers += r.videoPublishers;
    addTools(total.tools, r.tools);
  }
  return total;
}

const lossPct = (r: { received: number; expected: number }) => (r.expected > 0 ? round((1 - r.received / r.expected) * 100, 2)! : 0);

/** What one --tools phase measured. */
interface Phase {
  tools: boolean;
  seconds: number | null;
  forwarded_pps: number;
  loss_pct: number;
  p99_ms: number | null;
  server_cpu_pct: number | null;
  main_cpu_pct: number | null;
  sfu_workers_cpu_pct: number | null;
  server_us_per_packet: number | null;
  server_pss_mb: number | null;
  main_pss_mb: number | null;
  chat_sent: number;
  poll_answers: number;
  hands_raised: number;
  strokes: number;
  tool_messages_received: number;
  refused: Record<string, number>;
}

/**
 * --tools: phases of `seconds` without and with the room tools, in pairs off/on, on/off, ...,
 * each after 2 s for the switch to settle; prints each phase and a JSON line with the ratio.
 */
async function toolPhases(o: {
  server: number;
  workers: Worker[];
  sampleWorkers: () => Promise<Report[]>;
  rounds: number;
  seconds: number;
  rooms: number;
  members: number;
  pin: number[] | null;
  botCpus: number[] | null;
}): Promise<void> {
  const order: boolean[] = [];
  for (let r = 0; r < o.rounds; r++) order.push(...(r % 2 === 0 ? [false, true] : [true, false]));
  const phases: Phase[] = [];
  for (const on of order) {
    // Sent at every phase, also when it does not change (on, on): starting twice is a no-op.
    for (const w of o.workers) w.send(on ? "tools on" : "tools off");
    await sleep(2000);
    const before = sumReports(await o.sampleWorkers());
    const first = snapshot(o.server, false);
    await sleep(o.seconds * 1000);
    const parts = await o.sampleWorkers();
    const last = snapshot(o.server, true);
    const r = sumReports(parts);
    const latency = new LatencyHistogram();
    for (const p of parts) latency.addSparse(p.latency);
    const elapsed = (last.at - first.at) / 1000;
    const pct = (pids: number[]) => round((pids.reduce((n, pid) => n + (last.cpu.get(pid)! - (first.cpu.get(pid) ?? 0)), 0) / elapsed) * 100);
    const serverCpu = (cpuDelta(first.cpu, last.cpu) / elapsed) * 100;
    const forwarded = r.received / elapsed;
    const phase: Phase = {
      tools: on,
      seconds: round(elapsed),
      forwarded_pps: Math.round(forwarded),
      loss_pct: lossPct(r),
      p99_ms: round(latency.percentile(0.99), 2),
      server_cpu_pct: round(serverCpu),
      main_cpu_pct: pct([o.server]),
      sfu_workers_cpu_pct: pct(last.pids.filter((p) => p !== o.server)),
      server_us_per_packet: round((serverCpu * 1e4) / forwarded, 2),
      server_pss_mb: round(last.pssSum),
      main_pss_mb: round(last.pss!.get(o.server)!),
      chat_sent: r.tools.chatSent - before.tools.chatSent,
      poll_answers: r.tools.pollAnswers - before.tools.pollAnswers,
      hands_raised: r.tools.handsRaised - before.tools.handsRaised,
      strokes: r.tools.strokes - before.tools.strokes,
      tool_messages_received: r.tools.received - before.tools.received,
      refused: Object.fromEntries(Object.entries(r.tools.refused).map(([code, n]) => [code, n - (before.tools.refused[code] ?? 0)]).filter(([, n]) => Number(n) > 0)),
    };
    phases.push(phase);
    log(
      `tools ${on ? "on " : "off"}: ${phase.forwarded_pps} pps, loss ${phase.loss_pct}%, p99 ${phase.p99_ms} ms, server ${phase.server_cpu_pct}% (main ${phase.main_cpu_pct}%, SFU workers ${phase.sfu_workers_cpu_pct}%) = ${phase.server_us_per_packet} µs per forwarded packet, PSS ${phase.server_pss_mb} MB (main ${phase.main_pss_mb})` +
        (on ? `; chat ${phase.chat_sent} sent, ${phase.poll_answers} poll answers, ${phase.hands_raised} hands, ${phase.strokes} strokes, ${phase.tool_messages_received} tool messages received, refused ${JSON.stringify(phase.refused)}` : ""),
    );
  }
  const mean = (on: boolean) => {
    const xs = phases.filter((p) => p.tools === on).map((p) => p.server_us_per_packet!);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const without = mean(false);
  const withTools = mean(true);
  const result = {
    rooms: o.rooms,
    members: o.members,
    phase_seconds: o.seconds,
    tool_rounds: o.rounds,
    server_cpus: o.pin,
    bot_cpus: o.botCpus,
    us_per_packet_without_tools: round(without, 2),
    us_per_packet_with_tools: round(withTools, 2),
    ratio_with_to_without: round(withTools / without, 3),
    phases,
  };
  log(`µs per forwarded packet: ${result.us_per_packet_without_tools} without the tools, ${result.us_per_packet_with_tools} with them (ratio ${result.ratio_with_to_without})`);
  console.log(JSON.stringify(result));
}

async function main(): Promise<void> {
  const ROOMS = Number(values.rooms);
  const MEMBERS = Number(values.members);
  const SECONDS = Number(values.seconds);
  const WARMUP = Number(values.warmup);
  const cores = cpus().length;
  if (![ROOMS, MEMBERS, SECONDS, WARMUP].every((n) => Number.isInteger(n) && n >= 0) || ROOMS < 1 || MEMBERS < 2 || SECONDS < 1) usage("bad --rooms, --members, --seconds or --warmup");
  const PIN = values.pin === undefined ? null : cpuList(values.pin, cores);
  if (values.pin !== undefined && PIN === null) usage(`--pin must list cores from 0 to ${cores - 1} (e.g. 0 or 0,1)`);
  let BOT_CPUS = values["bot-cpus"] === undefined ? null : cpuList(values["bot-cpus"], cores);
  if (values["bot-cpus"] !== undefined && BOT_CPUS === null) usage(`--bot-cpus must list cores from 0 to ${cores - 1}`);
  if (BOT_CPUS === null && PIN !== null) {
    const left = [...Array(cores).keys()].filter((c) => !PIN.includes(c));
    BOT_CPUS = left.length ? left : null;
    if (!left.length) log("warning: --pin takes every core; the load generator shares them with the server");
  }
  if (PIN && BOT_CPUS && BOT_CPUS.some((c) => PIN.includes(c))) log("warning: the load generator shares a core with the server");
  const WORKERS = values.workers === undefined ? Math.max(1, Math.min(ROOMS, BOT_CPUS?.length ?? cores)) : Number(values.workers);
  if (!(Number.isInteger(WORKERS) && WORKERS >= 1 && WORKERS <= ROOMS)) usage("--workers must be from 1 to the number of rooms");
  const SFU_WORKERS = values["sfu-workers"] === undefined ? null : Number(values["sfu-workers"]);
  if (SFU_WORKERS !== null && !(Number.isInteger(SFU_WORKERS) && SFU_WORKERS >= 0)) usage("--sfu-workers must be a whole number");
  const QUOTA = values["worker-quota"] === undefined ? null : Number(values["worker-quota"]);
  if (QUOTA !== null && !(Number.isInteger(QUOTA) && QUOTA >= 1 && QUOTA <= 100)) usage("--worker-quota must be a percentage of one core from 1 to 100");
  if (QUOTA !== null && !quotaAvailable()) usage("--worker-quota needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu (run as root)");
  const SAMPLE = values.sample === undefined ? null : Number(values.sample);
  if (SAMPLE !== null && !(Number.isInteger(SAMPLE) && SAMPLE >= 1 && SAMPLE <= SECONDS)) usage("--sample must be whole seconds from 1 to --seconds");
  const TOOLS = values.tools!;
  const ROUNDS = Number(values["tool-rounds"]);
  if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1)) usage("--tool-rounds must be a whole number of off/on pairs, at least 1");
  if (TOOLS && SAMPLE !== null) usage("--tools measures in phases of its own: leave out --sample");

  const dir = mkdtempSync(join(tmpdir(), "hearth-sfu-bench-"));
  const port = freePort();
  const env: Record<string, string> = {
    HEARTH_DATA_DIR: dir,
    HEARTH_PORT: String(port),
    HEARTH_HOST: "127.0.0.1",
    HEARTH_RTC_ADDRESSES: "127.0.0.1",
    HEARTH_RTC_PORTS: RTC_PORTS.join("-"),
    HEARTH_LOG_LEVEL: "warn",
    // The load test measures the SFU, not admission control: every member gets video, whatever
    // the forwarded rate and the box's CPU (the load generator's included).
    HEARTH_SFU_CAPACITY_PPS: process.env.HEARTH_SFU_CAPACITY_PPS ?? "10000000",
    HEARTH_SFU_SAFE_LOAD_PCT: process.env.HEARTH_SFU_SAFE_LOAD_PCT ?? "100",
  };
  if (SFU_WORKERS !== null) env.HEARTH_SFU_WORKERS = String(SFU_WORKERS);

  // The people, groups, sessions and sign-ins, written before the server starts.
  const hearth = await openHearth(loadConfig(env));
  const groups: GroupFixture[] = [];
  for (let r = 0; r < ROOMS; r++) groups.push(await makeGroup(hearth, MEMBERS - 1));
  hearth.db.close();

  const command = PIN === null ? ["bun", MAIN, "serve"] : ["taskset", "-c", PIN.join(","), "bun", MAIN, "serve"];
  if (BOT_CPUS) {
    // This process (every thread) and the workers it spawns keep to the load generator's cores.
    spawnSync("taskset", ["-apc", BOT_CPUS.join(","), String(process.pid)], { stdio: "ignore" });
  }
  const server = Bun.spawn(command, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  const workers: Worker[] = [];
  let quota: ReturnType<typeof limitWorkers> | null = null;
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
      workers.push(new Worker({ rooms, tools: TOOLS }, BOT_CPUS ? BOT_CPUS[w % BOT_CPUS.length]! : null));
    }
    for (const w of workers) if ((await w.line()) !== "ready") throw new Error("a bench worker failed to connect its members");
    log(`${ROOMS * MEMBERS} members connected in ${ROOMS} room(s), ${WORKERS} bot process(es); ${WARMUP} s warm-up + ${SECONDS} s`);
    // Every room has members now, so every SFU worker the server will use is running.
    quota = QUOTA === null ? null : limitWorkers(server.pid, QUOTA);
    if (quota) log(`SFU workers ${quota.pids.join(", ")} limited to ${QUOTA}% of a core each`);
    for (const w of workers) w.send("start");
    await sleep(WARMUP * 1000);

    // Sockets: the server tree's and the bot processes' (the kernel counts drops per socket).
    const botPids = workers.flatMap((w) => processTree(w.proc.pid));
    const serverSockets = socketInodes(processTree(server.pid));
    const botSockets = socketInodes(botPids);
    // Where packets wait: bytes queued on the server's sockets and on the bots', polled each second.
    const queueMax = { server: 0, bots: 0, serverSocket: 0, botSocket: 0 };
    const drops = () => {
      const sv = udpState(serverSockets);
      const bt = udpState(botSockets);
      queueMax.server = Math.max(queueMax.server, sv.queuedKb);
      queueMax.bots = Math.max(queueMax.bots, bt.queuedKb);
      queueMax.serverSocket = Math.max(queueMax.serverSocket, sv.fullestKb);
      queueMax.botSocket = Math.max(queueMax.botSocket, bt.fullestKb);
      return { server: sv.drops, bots: bt.drops };
    };
    const sampleWorkers = async () => {
      for (const w of workers) w.send("sample");
      return Promise.all(workers.map(async (w) => JSON.parse(await w.line()) as Report));
    };

    if (TOOLS) {
      await toolPhases({ server: server.pid, workers, sampleWorkers, rounds: ROUNDS, seconds: SECONDS, rooms: ROOMS, members: MEMBERS, pin: PIN, botCpus: BOT_CPUS });
      for (const w of workers) w.send("stop");
      return;
    }

    // The window opens: counts so far are the warm-up's (counters the workers keep from the start are taken from here).
    const base = sumReports(await sampleWorkers());
    let latest = base;
    const first = snapshot(server.pid, true);
    const drops0 = drops();
    const steal0 = stealTicks();
    const interval = SAMPLE ?? SECONDS;
    const overall = new LatencyHistogram();
    const intervalLatency = new LatencyHistogram();
    const reports: Report[] = [];
    const samples: Record<string, unknown>[] = [];
    let rssMax = first.rssSum;
    let prev: Snapshot = first;
    let prevDrops = drops0;
    let last: Snapshot = first;
    for (let k = 1; k * interval <= SECONDS; k++) {
      const due = first.at + k * interval * 1000;
      while (performance.now() < due - 1) {
        await sleep(Math.min(1000, due - performance.now()));
        rssMax = Math.max(rssMax, snapshot(server.pid, false).rssSum);
        drops();
      }
      const parts = await sampleWorkers();
      const now = snapshot(server.pid, true);
      const d = drops();
      rssMax = Math.max(rssMax, now.rssSum);
      const r = sumReports(parts);
      reports.push(r);
      latest = r;
      intervalLatency.clear();
      for (const p of parts) {
        intervalLatency.addSparse(p.latency);
        overall.addSparse(p.latency);
      }
      const dt = (now.at - prev.at) / 1000;
      if (SAMPLE !== null) {
        const s = {
          t: round((now.at - first.at) / 1000),
          forwarded_pps: Math.round(r.received / dt),
          loss_pct: lossPct(r),
          p50_ms: round(intervalLatency.percentile(0.5), 2),
          p99_ms: round(intervalLatency.percentile(0.99), 2),
          server_cpu_pct: round((cpuDelta(prev.cpu, now.cpu) / dt) * 100),
          server_rss_mb: round(now.rssSum),
          server_pss_mb: round(now.pssSum),
          bench_cpu_pct: round((r.cpuSeconds / dt) * 100),
          server_socket_drops: d.server - prevDrops.server,
          bot_socket_drops: d.bots - prevDrops.bots,
        };
        samples.push(s);
        log(
          `[${s.t} s] ${s.forwarded_pps} pps, loss ${s.loss_pct}%, p50 ${s.p50_ms} / p99 ${s.p99_ms} ms, server ${s.server_cpu_pct}% RSS ${s.server_rss_mb} MB PSS ${s.server_pss_mb} MB, bots ${s.bench_cpu_pct}%, drops server ${s.server_socket_drops} bots ${s.bot_socket_drops}`,
        );
      }
      prev = now;
      prevDrops = d;
      last = now;
    }
    const elapsed = (last.at - first.at) / 1000;
    const total = sumReports(reports);
    const dropsEnd = drops();
    const steal1 = stealTicks();
    for (const w of workers) w.send("stop");

    const serverCpu = (cpuDelta(first.cpu, last.cpu) / elapsed) * 100;
    const forwarded = total.received / elapsed;
    const benchCpu = (total.cpuSeconds / elapsed) * 100;
    const nominal = ROOMS * MEMBERS * (MEMBERS - 1) * (VIDEO_PPS + AUDIO_PPS);
    // What the members actually sent (timers run a little slow), times the P-1 receivers of each packet.
    const offered = Math.round((total.sent * (MEMBERS - 1)) / elapsed);
    const processes = last.pids.map((pid) => ({
      pid,
      cmd: commandOf(pid),
      cpu_pct: round(((last.cpu.get(pid)! - (first.cpu.get(pid) ?? 0)) / elapsed) * 100),
      rss_mb: round(last.rss.get(pid)!),
      pss_mb: round(last.pss!.get(pid)!),
    }));
    const result: Record<string, unknown> = {
      rooms: ROOMS,
      members: MEMBERS,
      seconds: round(elapsed),
      pinned_core: PIN?.[0] ?? null,
      server_cpus: PIN,
      bot_cpus: BOT_CPUS,
      workers: WORKERS,
      sfu_workers: SFU_WORKERS,
      server_processes: last.pids.length,
      nominal_pps: nominal,
      offered_pps: offered,
      forwarded_pps: Math.round(forwarded),
      loss_pct: lossPct(total),
      p50_ms: round(overall.percentile(0.5), 2),
      p99_ms: round(overall.percentile(0.99), 2),
      server_cpu_pct: round(serverCpu),
      server_us_per_packet: round((serverCpu * 1e4) / forwarded, 2),
      server_rss_mb: round(last.rssSum),
      server_rss_max_mb: round(rssMax),
      server_pss_mb: round(last.pssSum),
      bench_cpu_pct: round(benchCpu),
      bench_us_per_packet: round((benchCpu * 1e4) / forwarded, 2),
      server_socket_drops: dropsEnd.server - drops0.server,
      bot_socket_drops: dropsEnd.bots - drops0.bots,
      server_rx_queue_max_kb: round(queueMax.server),
      bot_rx_queue_max_kb: round(queueMax.bots),
      server_rx_queue_fullest_socket_kb: round(queueMax.serverSocket),
      bot_rx_queue_fullest_socket_kb: round(queueMax.botSocket),
      vm_steal_pct: round(((steal1.steal - steal0.steal) / Math.max(1, steal1.total - steal0.total)) * 100),
      // Counters the bots keep from the start (as of the last sample, less the window's start) and states.
      srtp_auth_failed: latest.authFailed - base.authFailed,
      srtp_replayed: latest.replayed - base.replayed,
      bot_send_failed: latest.sendFailed - base.sendFailed,
      bot_nacks_resent: latest.resent - base.resent,
      bots_on_werift_path: latest.weriftPath,
      bot_streams_fast: latest.fastStreams,
      members_sending_video: latest.videoPublishers,
      worker_quota_pct: QUOTA,
      ...(quota ? { worker_throttled: quota.pids.map((pid) => throttled(pid)) } : {}),
      processes,
    };
    if (SAMPLE !== null) {
      const s0 = samples[0]!;
      const sN = samples.at(-1)!;
      const growth = (a: unknown, b: unknown) => round(((Number(b) - Number(a)) / Number(a)) * 100, 2);
      result.rss_growth_pct = growth(s0.server_rss_mb, sN.server_rss_mb);
      result.pss_growth_pct = growth(s0.server_pss_mb, sN.server_pss_mb);
      result.worst_interval_loss_pct = Math.max(...samples.map((s) => Number(s.loss_pct)));
      result.worst_interval_p99_ms = Math.max(...samples.map((s) => Number(s.p99_ms)));
      result.sample_seconds = SAMPLE;
      result.samples = samples;
    }
    if (latest.videoPublishers < ROOMS * MEMBERS) log(`warning: only ${latest.videoPublishers} of ${ROOMS * MEMBERS} members may send video (admission control?): the load is below nominal`);
    log(
      [
        `forwarded ${result.forwarded_pps} packets/s of ${offered} sent to forward (nominal ${nominal}: ${ROOMS} x ${MEMBERS} members, each receiving ${MEMBERS - 1} x ${VIDEO_PPS + AUDIO_PPS} packets/s)`,
        `loss ${result.loss_pct}%   one-way latency p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms   dropped by the kernel: server sockets ${result.server_socket_drops}, bot sockets ${result.bot_socket_drops}`,
        `waiting in socket buffers (max of 1 s polls): server ${result.server_rx_queue_max_kb} KB (fullest socket ${result.server_rx_queue_fullest_socket_kb} KB), bots ${result.bot_rx_queue_max_kb} KB (fullest ${result.bot_rx_queue_fullest_socket_kb} KB); VM steal ${result.vm_steal_pct}%`,
        `server CPU ${result.server_cpu_pct}% of one core over ${last.pids.length} process(es)${PIN === null ? "" : ` (pinned to ${PIN.join(",")})`} (${result.server_us_per_packet} µs per forwarded packet), RSS ${result.server_rss_mb} MB (max ${result.server_rss_max_mb} MB), PSS ${result.server_pss_mb} MB`,
        ...processes.map((p) => `  pid ${p.pid} ${p.cmd}: CPU ${p.cpu_pct}%, RSS ${p.rss_mb} MB, PSS ${p.pss_mb} MB`),
        `load generator CPU ${result.bench_cpu_pct}% (${WORKERS} process(es)${BOT_CPUS ? ` on ${BOT_CPUS.join(",")}` : ""}; ${result.bench_us_per_packet} µs per received packet)`,
        ...(SAMPLE !== null ? [`RSS growth ${result.rss_growth_pct}% (PSS ${result.pss_growth_pct}%) from the first sample to the last; worst interval loss ${result.worst_interval_loss_pct}%, worst interval p99 ${result.worst_interval_p99_ms} ms`] : []),
      ].join("\n"),
    );
    console.log(JSON.stringify(result));
  } finally {
    // A stopped worker closes its members and exits by itself; a stuck one is ended.
    await Promise.race([Promise.all(workers.map((w) => w.proc.exited)), sleep(5000)]);
    for (const w of workers) w.proc.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.proc.exited));
    server.kill("SIGTERM");
    await server.exited;
    quota?.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.worker) await worker();
else await main();
process.exit(0);
