// Run by pairing.test.ts inside a network namespace of its own (unshare -rn, multicast on lo): a real
// appliance serving HTTPS with its own local CA and advertising _hearth._tcp, and the real agent
// program finding it by mDNS, pinning its CA, pairing with the code and uploading simulator readings.
// Prints what happened as JSON.
import { startServer } from "../../src/server.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { startPairing, revokeDevice } from "../../src/vitals/pairing.ts";
import { fingerprint } from "../../src/appliance/tls.ts";

const MAIN = `${import.meta.dir}/../src/main.ts`;
const data = tempDir("hearth-pair-");
const agentDir = tempDir("hearth-pair-agent-");
const out: Record<string, unknown> = {};
const appliance = await startServer(
  testConfig(data.path, { HEARTH_PUBLIC_URL: "https://hearth-test.local:8443", HEARTH_PORT: "8443", HEARTH_HOSTNAMES: "127.0.0.1" }),
  { quiet: true },
);
const agent = async (...args: string[]) => {
  const p = Bun.spawn([process.execPath, MAIN, ...args, "--state", agentDir.path], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { stdout, stderr, code };
};
const count = () => (appliance.hearth.db.query("SELECT count(*) AS n FROM vitals_readings").get() as { n: number }).n;
try {
  const wrong = await agent("pair", "--code", "00000000");
  out.wrongCode = { code: wrong.code, stderr: wrong.stderr.trim() };
  const { code } = startPairing(appliance.hearth, 1);
  const ca = fingerprint(await Bun.file(`${data.path}/tls/ca.crt`).text());
  const impostor = await agent("pair", "--code", code, "--name", "ward-pi", "--ca-fingerprint", "AA:".repeat(31) + "AA");
  out.wrongCa = { code: impostor.code, stderr: impostor.stderr.trim() };
  const paired = await agent("pair", "--code", code, "--name", "ward-pi", "--ca-fingerprint", ca);
  out.paired = { code: paired.code, stderr: paired.stderr.trim(), said: /paired with https:\/\/127\.0\.0\.1:8443 as dev_/.test(paired.stdout) };
  const state = JSON.parse(await Bun.file(`${agentDir.path}/agent.json`).text()) as { deviceId: string; ca: string };
  out.pinnedCa = state.ca === (await Bun.file(`${data.path}/tls/ca.crt`).text());
  const run = Bun.spawn([process.execPath, MAIN, "run", "--state", agentDir.path, "--interval", "20", "--limit", "12", "--upload-ms", "50"], { stdout: "ignore", stderr: "pipe" });
  const deadline = Date.now() + 20_000;
  while (count() < 12 && Date.now() < deadline) await Bun.sleep(50);
  run.kill("SIGTERM");
  await run.exited;
  out.stored = count();
  out.device = appliance.hearth.db.query("SELECT name, battery, firmware, last_seen IS NOT NULL AS seen FROM vitals_devices WHERE id = ?").get(state.deviceId);
  revokeDevice(appliance.hearth, state.deviceId);
  const after = await agent("run", "--interval", "20", "--limit", "14", "--upload-ms", "50");
  out.afterRevoke = { code: after.code, said: after.stdout.split("\n").find((l) => l.includes("no longer accepts"))?.replace(/^\S+ /, "") ?? after.stdout + after.stderr };
} catch (e) {
  out.error = (e as Error).stack;
} finally {
  await appliance.stop();
  data.remove();
  agentDir.remove();
}
console.log(JSON.stringify(out));
