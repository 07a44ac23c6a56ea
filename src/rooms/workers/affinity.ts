import { dlopen, FFIType, ptr } from "bun:ffi";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU pinning for SFU workers: one worker per core, each kept on its own core so its packets,
 * keys and buffers stay in that core's cache and two workers never queue on one core. Linux only
 * (sched_setaffinity through libc); anywhere it is unavailable the scheduler places workers itself.
 */

/** The CPUs this process may run on (taskset, cpusets), in order: "0-2,5" gives [0, 1, 2, 5]. */
export function allowedCpus(status = "/proc/self/status"): number[] {
  let list = "";
  try {
    list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(status, "utf8"))?.[1] ?? "";
  } catch {
    return [];
  }
  return parseCpuList(list);
}

export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    for (let c = Number(m[1]); c <= Number(m[2] ?? m[1]); c++) cpus.push(c);
  }
  return cpus;
}

const CPU_SET_BYTES = 128; // glibc's cpu_set_t: 1024 CPUs

let libc: { symbols: { sched_setaffinity(tid: number, size: number, mask: unknown): number } } | null | undefined;
function load() {
  if (libc !== undefined) return libc;
  try {
    libc = dlopen("libc.so.6", { sched_setaffinity: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 } }) as never;
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * Moves every thread of this process onto one CPU. Threads started later inherit the mask of
 * the thread that starts them, so pinning all of them once is enough. Returns false where the
 * system would not (no glibc, CPU not allowed).
 */
export function pinProcessTo(cpu: number): boolean {
  const lib = load();
  if (!lib || cpu < 0 || cpu >= CPU_SET_BYTES * 8) return false;
  const mask = new Uint8Array(CPU_SET_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  let ok = true;
  for (const tid of readdirSync("/proc/self/task")) {
    if (lib.symbols.sched_setaffinity(Number(tid), CPU_SET_BYTES, ptr(mask)) !== 0) ok = false;
  }
  return ok;
}
