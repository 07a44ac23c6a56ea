// A reading the appliance refuses stays in the agent's outbox, logged, and `hearth-agent held` shows
// it to the person looking after the device. Here the reading is altered in the outbox after it was
// signed, so the appliance refuses it as forged.
import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { startTestServer, tempDir } from "../../tests/harness.ts";
import { startPairing } from "../../src/vitals/pairing.ts";
import { refusals } from "../../src/vitals/ingest.ts";
import { Outbox } from "../src/agent/outbox.ts";
import { loadState } from "../src/agent/state.ts";

const MAIN = join(import.meta.dir, "../src/main.ts");

test("a refused reading is kept, logged and listed by `hearth-agent held`", async () => {
  const appliance = await startTestServer();
  const dir = tempDir("hearth-held-");
  try {
    const agent = async (...args: string[]) => {
      const p = Bun.spawn([process.execPath, MAIN, ...args, "--state", dir.path], { stdout: "pipe", stderr: "pipe" });
      return { out: await new Response(p.stdout).text(), code: await p.exited, p };
    };
    expect((await agent("pair", "--code", startPairing(appliance.hearth, 1).code, "--url", appliance.url)).code).toBe(0);
    const state = loadState(dir.path);
    const outbox = new Outbox(join(dir.path, "outbox.db"), state.deviceId, Buffer.from(state.secretKey, "base64"));
    outbox.add({ sensor: "heart-rate", observations: [{ loinc: "8867-4", unit: "/min", value: 71 }] }, new Date());
    outbox.close();
    const db = new Database(join(dir.path, "outbox.db"));
    db.query("UPDATE outbox SET body = replace(body, '\"value\":71', '\"value\":171')").run();
    db.close();
    const run = Bun.spawn([process.execPath, MAIN, "run", "--limit", "1", "--upload-ms", "50", "--state", dir.path], { stdout: "pipe", stderr: "ignore" });
    const deadline = Date.now() + 15_000;
    while (!refusals(appliance.hearth, state.deviceId)["bad-signature"] && Date.now() < deadline) await Bun.sleep(50);
    await Bun.sleep(200);
    run.kill("SIGTERM");
    const log = await new Response(run.stdout).text();
    expect(log).toContain("reading 1 refused by the appliance: bad-signature");
    const held = await agent("held");
    expect(held.out).toContain("reading 1: bad-signature: The signature does not match this device's key");
    expect(held.out).toContain("1 reading(s) held, 0 waiting to upload");
    expect((appliance.hearth.db.query("SELECT count(*) AS n FROM vitals_readings").get() as { n: number }).n).toBe(0);
  } finally {
    await appliance.close();
    dir.remove();
  }
}, 30_000);
