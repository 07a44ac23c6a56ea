import si from "systeminformation";
import { statfsSync } from "node:fs";
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

/**
 * Samples the box's health on an interval and keeps the latest sample in memory, so pages and
 * admission control read it for free. Uses systeminformation's cheap calls only (no process list).
 */
export class HealthSampler {
  #latest: HealthSample | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #sampling: Promise<HealthSample> | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.#timer) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
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
      const [load, temp, mem, time] = await Promise.all([si.currentLoad(), si.cpuTemperature(), si.mem(), si.time()]);
      const disk = statfsSync(this.dataDir);
      this.#latest = {
        at: Date.now(),
        cpuLoadPct: Math.round(load.currentLoad * 10) / 10,
        cpuTempC: typeof temp.main === "number" && temp.main > 0 ? temp.main : null,
        cores: load.cpus.length,
        memTotalBytes: mem.total,
        memUsedBytes: mem.active,
        diskFreeBytes: disk.bavail * disk.bsize,
        diskTotalBytes: disk.blocks * disk.bsize,
        uptimeSec: Math.round(Number(time.uptime)),
        processRssBytes: process.memoryUsage.rss(),
      };
    } catch (err) {
      log.warn("health sample failed", { kind: (err as Error).name });
    }
    return this.#latest!;
  }
}
