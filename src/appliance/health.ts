import si from "systeminformation";
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import { uptime } from "node:os";
import { join } from "node:path";
import { log } from "../log.ts";

export interface HealthSample {
  at: number;
  cpuLoadPct: number;
  cpuTempC: number | null;
  cores: number;
  memTotalBytes: number;
  memUsedBytes: number;
  diskFreeBytes: number;
  diskTotalBytes: number;
  uptimeSec: number;
  processRssBytes: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/**
 * Where this machine reports its CPU temperature (a sysfs file in millidegrees), or null.
 * The sources systeminformation tries, read directly: its cpuTemperature() starts four shell
 * processes on every call (about 58 ms on the dev box), too much for a Pi every ten seconds.
 */
export function findCpuTempFile(sysClass = "/sys/class"): string | null {
  // x86: the coretemp "Package id 0" or AMD's Tctl/Tdie sensor.
  for (const mon of list(join(sysClass, "hwmon"))) {
    const dir = join(sysClass, "hwmon", mon);
    if (!/^(coretemp|k10temp|zenpower|cpu_thermal)$/.test(readText(join(dir, "name")) ?? "")) continue;
    const labelled = list(dir).find((f) => /^temp\d+_label$/.test(f) && /^(package id 0|tctl|tdie)$/i.test(readText(join(dir, f)) ?? ""));
    const input = join(dir, labelled ? labelled.replace("_label", "_input") : "temp1_input");
    if (readText(input) !== null) return input;
  }
  // Raspberry Pi and most ARM boards: a thermal zone of type cpu-thermal; x86 laptops: x86_pkg_temp.
  const zones = list(join(sysClass, "thermal")).filter((z) => z.startsWith("thermal_zone"));
  const cpuZone = zones.find((z) => /cpu|x86_pkg|soc/i.test(readText(join(sysClass, "thermal", z, "type")) ?? ""));
  for (const z of cpuZone ? [cpuZone] : zones.slice(0, 1)) {
    const temp = join(sysClass, "thermal", z, "temp");
    if (readText(temp) !== null) return temp;
  }
  return null;
}

/**
 * Samples the box's health on an interval and keeps the latest sample in memory, so pages and
 * admission control read it for free. Each tick only reads files (/proc, /sys, statfs): no process
 * is started, so sampling costs well under a millisecond.
 */
export class HealthSampler {
  #latest: HealthSample | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #sampling: Promise<HealthSample> | null = null;
  #tempFile: string | null | undefined;
  #stopped = false;

  constructor(
    private readonly dataDir: string,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#stopped = false;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#stopped = true;
  }

  get latest(): HealthSample | null {
    return this.#latest;
  }

  /** One sample; concurrent callers share the one in flight. */
  sample(): Promise<HealthSample> {
    this.#sampling ??= this.#take().finally(() => (this.#sampling = null));
    return this.#sampling;
  }

  async #take(): Promise<HealthSample> {
    try {
      // Both read /proc only (currentLoad diffs /proc/stat against the previous call).
      const [load, mem] = await Promise.all([si.currentLoad(), si.mem()]);
      const disk = statfsSync(this.dataDir);
      this.#tempFile ??= findCpuTempFile();
      const milli = this.#tempFile ? Number(readText(this.#tempFile)) : NaN;
      this.#latest = {
        at: Date.now(),
        cpuLoadPct: Math.round(load.currentLoad * 10) / 10,
        cpuTempC: Number.isFinite(milli) && milli > 0 ? Math.round(milli / 100) / 10 : null,
        cores: load.cpus.length,
        memTotalBytes: mem.total,
        memUsedBytes: mem.active,
        diskFreeBytes: disk.bavail * disk.bsize,
        diskTotalBytes: disk.blocks * disk.bsize,
        uptimeSec: Math.round(uptime()),
        processRssBytes: process.memoryUsage.rss(),
      };
    } catch (err) {
      // A sample still in flight at shutdown may find the data dir gone; that is not news.
      if (!this.#stopped) log.warn("health sample failed", { kind: (err as Error).name });
    }
    return this.#latest!;
  }
}
