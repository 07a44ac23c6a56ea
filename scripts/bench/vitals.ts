#!/usr/bin/env bun
/**
 * Vitals benchmarks (issue 14):
 *   1. Readings ingested per second on the appliance, with every signature checked, each value
 *      sealed and stored (src/vitals/ingest.ts, batches of 250 as the agent sends them), and the
 *      CPU per reading. Baselines measured in the same run: Ed25519 verify alone and vault.seal
 *      alone, so the figure can be read as a ratio on another machine.
 *   2. The agent's idle footprint: `hearth-agent run --source simulator` (one reading a second,
 *      uploads to a real appliance) as its RSS and CPU over a window, against a bare Bun process
 *      with one timer measured in the same run.
 *
 *   bun scripts/bench/vitals.ts [--readings 5000] [--window 30]
 */
import { cpus } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { openHearth, startServer } from "../../src/server.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { completePairing, startPairing } from "../../src/vitals/pairing.ts";
import { ingest } from "../../src/vitals/ingest.ts";
import { canonical, generateDeviceKey, signReading, verifyReading, type SignedReading } from "../../device/src/reading.ts";
import { ed25519 } from "@noble/curves/ed25519.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg("--readings", 5000);
const WINDOW_S = arg("--window", 30);
const MAIN = join(import.meta.dir, "../../device/src/main.ts");
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function ingestBench() {
  const dir = tempDir("hearth-bench-vitals-");
  const hearth = await openHearth(testConfig(dir.path));
  const key = generateDeviceKey();
  const paired = completePairing(hearth, startPairing(hearth, 1).code, Buffer.from(key.publicKey).toString("base64"), "bench");
  if (!paired.ok) throw new Error(paired.code);
  const at = Date.now() - 3_600_000;
  const readings: SignedReading[] = [];
  for (let seq = 1; seq <= N; seq++) {
    readings.push(signReading({ deviceId: paired.deviceId, seq, sensor: "pulse-oximeter", loinc: "59408-5", value: 95 + (seq % 4), unit: "%", special: null,
      measuredAt: new Date(at + seq * 1000).toISOString(), artefact: null, battery: 90, firmware: "bench" }, key.secretKey));
  }
  // Baselines: the two costs ingest cannot avoid.
  let t0 = performance.now();
  for (const r of readings.slice(0, 2000)) if (!verifyReading(r, key.publicKey)) throw new Error("bad");
  const verifyPerS = 2000 / ((performance.now() - t0) / 1000);
  // For the record: the pure-JS verify the appliance used before (noble), on the same readings.
  t0 = performance.now();
  for (const r of readings.slice(0, 300)) if (!ed25519.verify(Buffer.from(r.sig, "base64"), canonical(r), key.publicKey)) throw new Error("bad");
  const nobleVerifyPerS = 300 / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (let i = 0; i < 500; i++) await hearth.vault.seal(JSON.stringify({ value: 97, special: null, artefact: null, battery: 90, firmware: "bench", measuredAt: readings[i]!.measuredAt }));
  const sealPerS = 500 / ((performance.now() - t0) / 1000);

  const c0 = cpuMs();
  t0 = performance.now();
  for (let i = 0; i < N; i += 250) {
    const a = await ingest(hearth, paired.deviceId, key.publicKey, `bench:${i}`, readings.slice(i, i + 250));
    if (a.accepted.length !== Math.min(250, N - i)) throw new Error("not all accepted");
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs() - c0;
  const stored = (hearth.db.query("SELECT count(*) AS n FROM vitals_readings").get() as { n: number }).n;
  if (stored !== N) throw new Error(`stored ${stored}`);
  if (!verifyReading(readings[0]!, key.publicKey)) throw new Error("bad");
  hearth.db.close();
  dir.remove();
  return { perS: N / seconds, cpuMsPerReading: cpu / N, verifyPerS, sealPerS, nobleVerifyPerS };
}

function procStat(pid: number): { cpuTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return { cpuTicks: Number(stat[11]) + Number(stat[12]), rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) };
}

async function footprint(cmd: string[], env: Record<string, string> = {}) {
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore", env: { ...process.env, ...env } });
  await Bun.sleep(5000);
  const a = procStat(p.pid);
  await Bun.sleep(WINDOW_S * 1000);
  const b = procStat(p.pid);
  p.kill("SIGTERM");
  await p.exited;
  const hz = 100; // USER_HZ on Linux
  return { rssMb: b.rssKb / 1024, cpuPct: ((b.cpuTicks - a.cpuTicks) / hz / WINDOW_S) * 100 };
}

async function agentBench() {
  const data = tempDir("hearth-bench-appliance-");
  const state = tempDir("hearth-bench-agent-");
  const appliance = await startServer(testConfig(data.path), { quiet: true });
  try {
    const { code } = startPairing(appliance.hearth, 1);
    const pair = Bun.spawn([process.execPath, MAIN, "pair", "--code", code, "--url", appliance.url, "--state", state.path], { stdout: "ignore", stderr: "inherit" });
    if ((await pair.exited) !== 0) throw new Error("pairing failed");
    // The appliance runs in this process; the measured processes are the children only.
    const agent = await footprint([process.execPath, MAIN, "run", "--source", "simulator", "--interval", "1000", "--state", state.path]);
    const bare = await footprint([process.execPath, "-e", "setInterval(() => {}, 1000)"]);
    return { agent, bare, stored: (appliance.hearth.db.query("SELECT count(*) AS n FROM vitals_readings").get() as { n: number }).n };
  } finally {
    await appliance.stop();
    data.remove();
    state.remove();
  }
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`vitals bench on ${cpu} (${cpus().length} cores), bun ${Bun.version}`);
const i = await ingestBench();
console.log(`ingest: ${N} readings, ${i.perS.toFixed(0)} readings/s, ${i.cpuMsPerReading.toFixed(3)} ms CPU per reading`);
console.log(`  baselines in this run: Ed25519 verify ${i.verifyPerS.toFixed(0)}/s (native; noble's pure-JS ${i.nobleVerifyPerS.toFixed(0)}/s), vault.seal ${i.sealPerS.toFixed(0)}/s; ingest = ${(i.perS / i.sealPerS).toFixed(2)} x seal rate, ${(i.perS / i.verifyPerS).toFixed(2)} x verify rate`);
const a = await agentBench();
console.log(`agent idle (simulator, 1 reading/s, ${WINDOW_S} s window after 5 s): RSS ${a.agent.rssMb.toFixed(1)} MB, CPU ${a.agent.cpuPct.toFixed(2)} % of one core; stored ${a.stored} readings`);
console.log(`  bare Bun with one timer in this run: RSS ${a.bare.rssMb.toFixed(1)} MB, CPU ${a.bare.cpuPct.toFixed(2)} %; agent = ${(a.agent.rssMb / a.bare.rssMb).toFixed(2)} x bare RSS`);
