import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../src/config.ts";
import { startServer, type Running } from "../src/server.ts";

/** A TCP port nothing listens on right now (for a server started as a child process). */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** A temp data dir that removes itself. */
export function tempDir(prefix = "hearth-test-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  // The SFU engine under test comes from the environment, so the rooms suite runs against either.
  const engine = process.env.HEARTH_SFU_ENGINE ? { HEARTH_SFU_ENGINE: process.env.HEARTH_SFU_ENGINE } : {};
  // The test box's CPU is shared with other suites: admission control's CPU test would hold members
  // to sound only at random. At 100% only the packet budget decides (admission-room.test.ts sets its own).
  const admission = { HEARTH_SFU_SAFE_LOAD_PCT: "100" };
  return loadConfig({ HEARTH_DATA_DIR: dataDir, HEARTH_PORT: "0", HEARTH_HOST: "127.0.0.1", ...engine, ...admission, ...env });
}

export interface TestServer extends Running {
  dataDir: string;
  /** A controllable clock: tests move time forward instead of sleeping. */
  clock: { now: number; advance(ms: number): void };
  close(): Promise<void>;
}

/** A real server on a random port with a temp data dir. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dir = tempDir();
  const clock = { now: Date.now(), advance(ms: number) { this.now += ms; } };
  const running = await startServer(testConfig(dir.path, env), { quiet: true, now: () => clock.now });
  return {
    ...running,
    dataDir: dir.path,
    clock,
    async close() {
      await running.stop();
      dir.remove();
    },
  };
}
