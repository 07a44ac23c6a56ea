#!/usr/bin/env bun
/**
 * The arm64 build under qemu-user-static against the x64 build native, in the same run:
 *   cold start (spawn → first 200 from /healthz, fresh data dir and existing one),
 *   idle RSS after 5 s, RSS after 200 page requests, and the time of one `hearth audit verify`.
 *
 *   bun scripts/bench/arm64.ts [--runs 3]
 *
 * Builds both binaries into a temporary directory first. The figures go in docs/benchmarks.md as
 * ratios (arm64-emulated / x64-native): the machine is shared, so only a ratio measured in one run
 * means something, and even that says more about the emulator than about a Raspberry Pi.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../compile.ts";
import { ARM64_SYSROOT, QEMU, underQemu } from "../qemu.ts";
import { freePort } from "../../tests/harness.ts";

const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 3;
if (!QEMU) throw new Error(`qemu-user-static is missing: apt-get install qemu-user-static libc6-arm64-cross (sysroot ${ARM64_SYSROOT})`);

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function startOnce(cmd: string[], dataDir: string): Promise<{ ms: number; idleMb: number; loadedMb: number }> {
  const port = freePort();
  const started = performance.now();
  const proc = Bun.spawn(cmd, {
    env: { HEARTH_DATA_DIR: dataDir, HEARTH_PORT: String(port), HEARTH_HOST: "127.0.0.1", PATH: "/usr/bin:/bin" },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (performance.now() - started > 120_000) throw new Error("no /healthz within 120 s");
      await Bun.sleep(5);
    }
    const ms = performance.now() - started;
    await Bun.sleep(5000);
    const idleMb = rssKb(proc.pid) / 1024;
    for (let i = 0; i < 200; i++) await (await fetch(`http://127.0.0.1:${port}/${i % 2 ? "signin" : ""}`)).text();
    const loadedMb = rssKb(proc.pid) / 1024;
    return { ms, idleMb, loadedMb };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

async function timed(cmd: string[], dataDir: string): Promise<number> {
  const t = performance.now();
  const p = Bun.spawn(cmd, { env: { HEARTH_DATA_DIR: dataDir, PATH: "/usr/bin:/bin" }, stdout: "ignore", stderr: "ignore" });
  if ((await p.exited) !== 0) throw new Error(`${cmd.join(" ")} failed`);
  return performance.now() - t;
}

const work = mkdtempSync(join(tmpdir(), "hearth-bench-arm64-"));
try {
  const x64 = await compile("x64", join(work, "dist"));
  const arm64 = await compile("arm64", join(work, "dist"));
  const variants = { "x64 native": (...a: string[]) => [x64, ...a], "arm64 under qemu": (...a: string[]) => underQemu(arm64, ...a) };
  const results: Record<string, { fresh: number[]; existing: number[]; idle: number[]; loaded: number[]; verify: number[] }> = {};
  for (const [name, cmd] of Object.entries(variants)) {
    const r: (typeof results)[string] = { fresh: [], existing: [], idle: [], loaded: [], verify: [] };
    results[name] = r;
    for (let i = 0; i < RUNS; i++) {
      const dataDir = join(work, `${name.replace(/\W/g, "")}-${i}`);
      const fresh = await startOnce(cmd("serve"), dataDir);
      const existing = await startOnce(cmd("serve"), dataDir);
      r.fresh.push(fresh.ms);
      r.existing.push(existing.ms);
      r.idle.push(existing.idleMb);
      r.loaded.push(existing.loadedMb);
      r.verify.push(await timed(cmd("audit", "verify"), dataDir));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const [a, b] = [results["x64 native"]!, results["arm64 under qemu"]!];
  const row = (what: string, x: number[], y: number[], unit: string, digits = 0) =>
    console.log(`| ${what} | ${median(x).toFixed(digits)} ${unit} | ${median(y).toFixed(digits)} ${unit} | ${(median(y) / median(x)).toFixed(1)}× |`);
  console.log(`\n${RUNS} runs each, medians; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n`);
  console.log("| what | x64 native | arm64 under qemu | ratio |\n| --- | --- | --- | --- |");
  row("cold start → /healthz 200, fresh data dir", a.fresh, b.fresh, "ms");
  row("cold start → /healthz 200, existing data dir", a.existing, b.existing, "ms");
  row("idle RSS after 5 s", a.idle, b.idle, "MB", 1);
  row("RSS after 200 page requests", a.loaded, b.loaded, "MB", 1);
  row("`hearth audit verify` (whole process)", a.verify, b.verify, "ms");
} finally {
  rmSync(work, { recursive: true, force: true });
}
