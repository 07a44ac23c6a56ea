#!/usr/bin/env bun
/**
 * The full chaos run: 10,000 simulator readings while the network is cut at random, the
 * appliance restarted and the agent SIGKILLed 20 times (device/test/chaos.test.ts, which the suite
 * runs with 3,000). Prints the test's summary line: readings stored once, valid signatures, the
 * chaos it went through and the wall time.
 *
 *   bun scripts/bench/vitals-chaos.ts [READINGS]
 */
const readings = process.argv[2] ?? "10000";
const run = Bun.spawn([process.execPath, "test", `${import.meta.dir}/../../device/test/chaos.test.ts`, "--timeout", "600000"], {
  env: { ...process.env, HEARTH_CHAOS_READINGS: readings },
  stdout: "pipe",
  stderr: "pipe",
});
const [out, err, code] = await Promise.all([new Response(run.stdout).text(), new Response(run.stderr).text(), run.exited]);
const line = `${out}\n${err}`.split("\n").find((l) => l.startsWith("chaos:"));
console.log(line ?? `${out}\n${err}`);
process.exit(code);
