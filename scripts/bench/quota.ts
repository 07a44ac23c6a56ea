/**
 * CPU quotas for SFU workers, to measure how capacity grows with cores on a box with too few
 * cores to also run the load generator: each worker gets the same slice of its own core
 * (cgroup v1 `cpu` controller, CFS quota over a short period so throttling adds at most a few
 * milliseconds), and the load that slice carries before loss is compared across worker counts.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandOf, processTree } from "./proctree.ts";

const ROOT = "/sys/fs/cgroup/cpu";
const PERIOD_US = 10_000;

export function quotaAvailable(): boolean {
  return existsSync(join(ROOT, "cgroup.procs"));
}

/** Puts every SFU worker under `serverPid` in its own cgroup limited to `pct`% of one core. */
export function limitWorkers(serverPid: number, pct: number): { pids: number[]; release(): void } {
  const pids = processTree(serverPid).filter((pid) => commandOf(pid).includes("sfu-worker"));
  const dirs: string[] = [];
  for (const pid of pids) {
    const dir = join(ROOT, `hearth-bench-${pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(Math.round((PERIOD_US * pct) / 100)));
    writeFileSync(join(dir, "cgroup.procs"), String(pid));
    dirs.push(dir);
  }
  return {
    pids,
    release() {
      for (const dir of dirs) {
        // Whatever is left in it goes back to the root group, then the group goes.
        for (const task of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
          try {
            writeFileSync(join(ROOT, "cgroup.procs"), task);
          } catch {
            // gone already
          }
        }
        try {
          rmdirSync(dir);
        } catch {
          // still busy: the kernel frees it when its last task exits
        }
      }
    },
  };
}

/** Throttled periods and time so far, per worker group (nr_throttled, throttled_time ns). */
export function throttled(pid: number): { periods: number; throttledMs: number } {
  const stat = readFileSync(join(ROOT, `hearth-bench-${pid}`, "cpu.stat"), "utf8");
  const n = (k: string) => Number(new RegExp(`^${k} (\\d+)`, "m").exec(stat)?.[1] ?? 0);
  return { periods: n("nr_throttled"), throttledMs: n("throttled_time") / 1e6 };
}
