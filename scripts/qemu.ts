/**
 * Running the linux-arm64 binary on an x64 machine: Debian's qemu-user-static translates its
 * instructions, and Debian's aarch64 loader and C library (package libc6-arm64-cross) stand in for
 * a Pi's /lib. Without binfmt_misc (a container has none), a program the emulated one spawns is not
 * emulated itself, so `serve` could not start an SFU worker there; the test starts one directly.
 */
import { existsSync } from "node:fs";

export const QEMU = ["/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-aarch64"].find((p) => existsSync(p));
/** Debian's aarch64 loader and C library (package libc6-arm64-cross); the binary links against them. */
export const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";

/** The command that runs the arm64 binary on this x64 machine. */
export function underQemu(binary: string, ...args: string[]): string[] {
  return [QEMU!, "-L", ARM64_SYSROOT, binary, ...args];
}

/** Reads a stream into a growing string, so a child never blocks on a full pipe. */
export function collect(stream: ReadableStream<Uint8Array>): { text: () => string; until: (re: RegExp, ms: number) => Promise<RegExpExecArray> } {
  let text = "";
  const waiters: (() => void)[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value);
      waiters.splice(0).forEach((w) => w());
    }
  })();
  return {
    text: () => text,
    async until(re, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = re.exec(text);
        if (m) return m;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited ${ms} ms for ${re} in:\n${text}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), Bun.sleep(Math.min(left, 250))]);
      }
    },
  };
}

