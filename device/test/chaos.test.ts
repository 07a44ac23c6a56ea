// Chaos: the real agent program (bun device/src/main.ts) reads TOTAL simulator readings while the
// test cuts its network at random (an HTTP proxy on loopback that it controls: refusing requests,
// or forwarding them and dropping the answer after the appliance stored the batch), restarts the
// appliance and SIGKILLs the agent 20 times. Afterwards the appliance holds readings 1..TOTAL, each
// once, every signature valid.
import { expect, test } from "bun:test";
import { startServer, type Running } from "../../src/server.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { startPairing } from "../../src/vitals/pairing.ts";
import { storedReading } from "../../src/vitals/ingest.ts";
import { verifyReading } from "../src/reading.ts";
import { prng } from "../src/sources/simulator.ts";

// The suite runs 3,000 readings (about 20 s); scripts/bench/vitals-chaos.ts runs the 10,000.
const TOTAL = Number(process.env.HEARTH_CHAOS_READINGS ?? 3_000);
const KILLS = 20;
const MAIN = `${import.meta.dir}/../src/main.ts`;

test(`${TOTAL} readings through cuts, appliance restarts and 20 SIGKILLs: each stored once, all signed`, async () => {
  const data = tempDir("hearth-chaos-");
  const agentDir = tempDir("hearth-chaos-agent-");
  const rand = prng(42);
  let appliance: Running = await startServer(testConfig(data.path), { quiet: true });
  let mode: "up" | "refuse" | "drop-answer" = "up";
  const stats = { refused: 0, dropped: 0, restarts: 0, kills: 0, cuts: 0 };
  const proxy = Bun.serve({
    hostname: "127.0.0.1", port: 0,
    async fetch(req) {
      if (mode === "refuse") { stats.refused++; return new Response("cut", { status: 502 }); }
      const url = new URL(req.url);
      const res = await fetch(`${appliance.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : await req.arrayBuffer() })
        .catch(() => new Response("appliance down", { status: 502 }));
      if (mode === "drop-answer") { stats.dropped++; return new Response("cut", { status: 502 }); }
      return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
    },
  });
  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  const started = performance.now();
  try {
    const { code } = startPairing(appliance.hearth, 1);
    // Spawned, not spawnSync: the proxy answering the agent runs on this test's event loop.
    const paired = Bun.spawn([process.execPath, MAIN, "pair", "--code", code, "--url", proxyUrl, "--state", agentDir.path, "--name", "chaos"], { stdout: "ignore", stderr: "pipe" });
    expect(await new Response(paired.stderr).text()).toBe("");
    expect(await paired.exited).toBe(0);
    const deviceId = (JSON.parse(await Bun.file(`${agentDir.path}/agent.json`).text()) as { deviceId: string }).deviceId;
    const spawnAgent = () => Bun.spawn([process.execPath, MAIN, "run", "--state", agentDir.path, "--interval", "4", "--limit", String(TOTAL), "--upload-ms", "50", "--batch", "250"], { stdout: "ignore", stderr: "ignore" });
    let agent = spawnAgent();
    const count = () => (appliance.hearth.db.query("SELECT count(*) AS n FROM vitals_readings WHERE device_id = ?").get(deviceId) as { n: number }).n;

    for (let i = 0; i < KILLS; i++) {
      // Spread the 20 kills over the time the agent needs to produce TOTAL readings (~4 ms each).
      await Bun.sleep((TOTAL / 20) * (1 + rand() * 2));
      const r = rand();
      if (r < 0.45) {
        stats.cuts++;
        mode = rand() < 0.5 ? "refuse" : "drop-answer";
        await Bun.sleep(100 + rand() * 600);
        mode = "up";
      } else if (r < 0.6) {
        stats.restarts++;
        await appliance.stop();
        await Bun.sleep(100 + rand() * 300);
        appliance = await startServer(testConfig(data.path), { quiet: true });
      }
      agent.kill("SIGKILL");
      await agent.exited;
      stats.kills++;
      agent = spawnAgent();
    }
    const deadline = Date.now() + 90_000;
    while (count() < TOTAL && Date.now() < deadline) await Bun.sleep(200);
    await Bun.sleep(500);
    agent.kill("SIGTERM");
    await agent.exited;

    const rows = appliance.hearth.db.query("SELECT seq FROM vitals_readings WHERE device_id = ? ORDER BY seq").all(deviceId) as { seq: number }[];
    expect(rows.length).toBe(TOTAL);
    expect(rows[0]!.seq).toBe(1);
    expect(rows.at(-1)!.seq).toBe(TOTAL);
    const pk = new Uint8Array((appliance.hearth.db.query("SELECT public_key FROM vitals_devices WHERE id = ?").get(deviceId) as { public_key: Uint8Array }).public_key);
    let valid = 0;
    for (const { seq } of rows) if (verifyReading((await storedReading(appliance.hearth, deviceId, seq))!, pk)) valid++;
    expect(valid).toBe(TOTAL);
    expect(stats.kills).toBe(KILLS);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`chaos: ${TOTAL} readings stored once each, ${valid} valid signatures; ${stats.kills} SIGKILLs, ${stats.restarts} appliance restarts, ${stats.cuts} cuts (${stats.refused} requests refused, ${stats.dropped} answers dropped); ${seconds} s`);
  } finally {
    proxy.stop(true);
    await appliance.stop();
    data.remove();
    agentDir.remove();
  }
}, 180_000);
