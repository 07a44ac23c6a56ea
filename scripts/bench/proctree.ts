/**
 * A process and its descendants as /proc shows them, for benchmarks of a server that may run
 * its media in child processes: CPU (own and reaped children's), RSS and PSS per process, and the
 * UDP sockets they hold with the kernel's drop counter for each.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The process and every descendant (children of all its threads, recursively), root first. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    seen.add(pid);
    out.push(pid);
    for (const tid of tids) {
      const children = read(`/proc/${pid}/task/${tid}/children`);
      if (children) for (const c of children.trim().split(/\s+/)) if (c) queue.push(Number(c));
    }
  }
  return out;
}

/**
 * CPU seconds (user + system) the process used, plus those of its children it has reaped: summed
 * over a tree, a worker's time stays counted after it exits (it moves to its parent's).
 */
export function cpuSeconds(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return 0;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? "")?.[1];
  return Number(kb ?? 0) / 1024;
}

/** Proportional set size: shared pages (the Bun binary, libraries) split between the processes using them. */
export function pssMb(pid: number): number {
  const kb = /^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? "")?.[1];
  return Number(kb ?? 0) / 1024;
}

/** The command line, shortened, to tell the server's main process from its workers. */
export function commandOf(pid: number): string {
  const cmd = (read(`/proc/${pid}/cmdline`) ?? "").split("\0").filter(Boolean);
  return cmd
    .map((a) => (a.includes("/") ? a.slice(a.lastIndexOf("/", a.lastIndexOf("/") - 1) + 1) : a))
    .join(" ")
    .slice(0, 80);
}

export function cpuTimes(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((p) => [p, cpuSeconds(p)]));
}

/** CPU seconds used between two readings, summed over the processes of the later one (new ones from 0). */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, t] of after) sum += t - (before.get(pid) ?? 0);
  return sum;
}

/** Inodes of the sockets the processes hold open. */
export function socketInodes(pids: readonly number[]): Set<string> {
  const out = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

/**
 * For the UDP sockets with these inodes: datagrams the kernel dropped (receive buffer full) so
 * far, and the bytes now waiting to be read (summed, and on the fullest socket).
 */
export function udpState(inodes: Set<string>): { drops: number; queuedKb: number; fullestKb: number } {
  let drops = 0;
  let queued = 0;
  let fullest = 0;
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    const lines = (read(table) ?? "").split("\n").slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ref pointer drops
      if (f.length < 13 || !inodes.has(f[9]!)) continue;
      drops += Number(f[12]);
      const rx = parseInt(f[4]!.split(":")[1] ?? "0", 16);
      queued += rx;
      if (rx > fullest) fullest = rx;
    }
  }
  return { drops, queuedKb: queued / 1024, fullestKb: fullest / 1024 };
}

/** Jiffies the hypervisor took from this VM (steal) and in all, summed over CPUs, so far. */
export function stealTicks(): { steal: number; total: number } {
  const f = (read("/proc/stat") ?? "").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { steal: f[7] ?? 0, total: f.reduce((a, b) => a + b, 0) };
}
