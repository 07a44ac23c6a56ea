#!/usr/bin/env bun
/**
 * The whole test suite, as README command 2 and .ci/run run it: installs the Debian packages
 * the tests drive (Chromium, certutil, ffprobe, pdftotext, socat, qemu, coturn) when missing, type-checks, then runs every bun test file.
 * Ends with one line "N passed, N failed" that CI reads.
 */
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
// nft and some of iproute2 live in /usr/sbin, which a non-login PATH may leave out: the check below
// and the tests that build network namespaces both look there.
process.env.PATH = [...new Set([...(process.env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin", "/sbin"])].join(":");

function run(cmd: string[], opts: { capture?: boolean } = {}): { code: number; out: string } {
  const res = spawnSync(cmd[0]!, cmd.slice(1), { stdio: opts.capture ? ["ignore", "pipe", "pipe"] : "inherit", encoding: "utf8" });
  const out = opts.capture ? `${res.stdout ?? ""}${res.stderr ?? ""}` : "";
  if (opts.capture) process.stdout.write(out);
  return { code: res.status ?? 1, out };
}

// Debian packages the suite drives for real: Chromium for the browser journeys, certutil to trust the
// local CA, ffprobe to check recordings, pdftotext to read invoices and signed PDFs, socat for a
// serial pseudo-terminal pair, qemu-user-static to start the arm64 binaries, coturn for the TURN relay.
const NEEDS: { pkg: string; present: () => boolean }[] = [
  { pkg: "chromium", present: () => existsSync(CHROMIUM) },
  { pkg: "libnss3-tools", present: () => onPath("certutil", "-H") },
  { pkg: "ffmpeg", present: () => onPath("ffprobe", "-version") },
  { pkg: "poppler-utils", present: () => onPath("pdftotext", "-v") },
  { pkg: "socat", present: () => onPath("socat", "-V") },
  { pkg: "qemu-user-static", present: () => existsSync("/usr/bin/qemu-aarch64-static") || existsSync("/usr/bin/qemu-aarch64") },
  // The aarch64 loader and C library the arm64 binary links against, for qemu's -L.
  { pkg: "libc6-arm64-cross", present: () => existsSync("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1") },
  { pkg: "coturn", present: () => existsSync("/usr/bin/turnserver") },
  { pkg: "iproute2", present: () => onPath("ip", "-V") },
  // NAT and a UDP-blocking firewall in the network namespaces of tests/e2e/reach.test.ts.
  { pkg: "nftables", present: () => onPath("nft", "-v") },
];
function onPath(cmd: string, arg: string): boolean {
  return spawnSync(cmd, [arg], { stdio: "ignore" }).error === undefined;
}
const missing = NEEDS.filter((n) => !n.present()).map((n) => n.pkg);
if (missing.length) {
  console.log(`Installing Debian's ${missing.join(", ")} for the tests (needs root and the Debian mirror).`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  if (run([...sudo, "apt-get", "update", "-qq"]).code !== 0 || run([...sudo, "apt-get", "install", "-y", "-qq", ...missing]).code !== 0) {
    console.error(`Could not install ${missing.join(", ")}. Install them yourself (apt-get install -y ${missing.join(" ")}) and run the tests again.`);
    process.exit(1);
  }
}

const typecheck = run(["bun", "x", "tsc", "--noEmit", "-p", "."]);
// bunfig.toml cannot set the per-test timeout; real servers and browsers need more than 5 s.
const tests = run(["bun", "test", "--timeout", "60000", ...process.argv.slice(2)], { capture: true });
const passed = Number(/^\s*(\d+) pass$/m.exec(tests.out)?.[1] ?? 0) + (typecheck.code === 0 ? 1 : 0);
const failed = Number(/^\s*(\d+) fail$/m.exec(tests.out)?.[1] ?? 0) + (typecheck.code === 0 ? 0 : 1);
if (typecheck.code !== 0) console.log("type check failed (see above)");
console.log(`\nhearth: ${passed} passed, ${failed} failed`);
process.exit(typecheck.code !== 0 || tests.code !== 0 || failed > 0 ? 1 : 0);
