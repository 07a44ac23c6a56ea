// The Raspberry Pi build of the agent, run for real: the linux-arm64 single binary under Debian's
// qemu-user-static (with Debian's aarch64 C library from libc6-arm64-cross), paired with a real
// appliance by code and uploading simulator readings whose signatures the appliance checked.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compileAgent } from "../compile.ts";
import { startTestServer, tempDir } from "../../tests/harness.ts";
import { startPairing } from "../../src/vitals/pairing.ts";
import { storedReading } from "../../src/vitals/ingest.ts";
import { verifyReading } from "../src/reading.ts";

const QEMU = ["/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-aarch64"].find((p) => existsSync(p));
const SYSROOT = "/usr/aarch64-linux-gnu";

test.skipIf(!QEMU || !existsSync(join(SYSROOT, "lib/ld-linux-aarch64.so.1")))("the arm64 agent binary under qemu pairs and uploads simulator readings", async () => {
  const work = tempDir("hearth-agent-arm64-");
  const appliance = await startTestServer();
  try {
    const binary = await compileAgent("arm64", join(work.path, "dist"));
    const header = new Uint8Array(await Bun.file(binary).slice(0, 20).arrayBuffer());
    expect(header[18]! | (header[19]! << 8)).toBe(0xb7); // ELF e_machine EM_AARCH64: not the host's x64
    const state = join(work.path, "state");
    const agent = (...args: string[]) => Bun.spawn([QEMU!, "-L", SYSROOT, binary, ...args, "--state", state], { cwd: work.path, env: { PATH: "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
    const { code } = startPairing(appliance.hearth, 1);
    const pair = agent("pair", "--code", code, "--url", appliance.url, "--name", "pi");
    const [said, err] = await Promise.all([new Response(pair.stdout).text(), new Response(pair.stderr).text()]);
    expect(err).toBe("");
    expect(await pair.exited).toBe(0);
    expect(said).toContain("paired with");
    const deviceId = (JSON.parse(await Bun.file(join(state, "agent.json")).text()) as { deviceId: string }).deviceId;
    const run = agent("run", "--interval", "50", "--limit", "10", "--upload-ms", "100");
    const count = () => (appliance.hearth.db.query("SELECT count(*) AS n FROM vitals_readings WHERE device_id = ?").get(deviceId) as { n: number }).n;
    // Emulated arm64 on a shared box can be slow to start: wait for what the appliance stores.
    const deadline = Date.now() + 90_000;
    while (count() < 10 && Date.now() < deadline) await Bun.sleep(100);
    run.kill("SIGTERM");
    await run.exited;
    expect(count()).toBe(10);
    const pk = new Uint8Array((appliance.hearth.db.query("SELECT public_key FROM vitals_devices WHERE id = ?").get(deviceId) as { public_key: Uint8Array }).public_key);
    for (let seq = 1; seq <= 10; seq++) expect(verifyReading((await storedReading(appliance.hearth, deviceId, seq))!, pk)).toBe(true);
  } finally {
    await appliance.close();
    work.remove();
  }
}, 150_000);
