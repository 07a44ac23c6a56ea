import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findCpuTempFile, HealthSampler } from "./health.ts";
import { applianceRoutes } from "./routes.ts";
import { startTestServer, tempDir, type TestServer } from "../../tests/harness.ts";

/** A little /sys/class tree: { "thermal/thermal_zone0/type": "cpu-thermal", ... }. */
function sysTree(files: Record<string, string>): { path: string; remove(): void } {
  const dir = tempDir("hearth-sys-");
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir.path, rel, ".."), { recursive: true });
    writeFileSync(join(dir.path, rel), `${content}\n`);
  }
  return dir;
}

describe("CPU temperature source", () => {
  test("a Raspberry Pi's cpu-thermal zone is found among others", () => {
    const sys = sysTree({
      "thermal/thermal_zone0/type": "gpu-thermal",
      "thermal/thermal_zone0/temp": "40000",
      "thermal/thermal_zone1/type": "cpu-thermal",
      "thermal/thermal_zone1/temp": "51540",
    });
    expect(findCpuTempFile(sys.path)).toBe(join(sys.path, "thermal/thermal_zone1/temp"));
    sys.remove();
  });

  test("an Intel mini-PC's coretemp package sensor wins over a thermal zone", () => {
    const sys = sysTree({
      "hwmon/hwmon0/name": "acpitz",
      "hwmon/hwmon0/temp1_input": "27800",
      "hwmon/hwmon1/name": "coretemp",
      "hwmon/hwmon1/temp1_label": "Core 0",
      "hwmon/hwmon1/temp1_input": "45000",
      "hwmon/hwmon1/temp2_label": "Package id 0",
      "hwmon/hwmon1/temp2_input": "47000",
      "thermal/thermal_zone0/type": "acpitz",
      "thermal/thermal_zone0/temp": "27800",
    });
    expect(findCpuTempFile(sys.path)).toBe(join(sys.path, "hwmon/hwmon1/temp2_input"));
    sys.remove();
  });

  test("no sensor at all (a VM, a container) is null, not an error", () => {
    const sys = sysTree({ "net/eth0/mtu": "1500" });
    expect(findCpuTempFile(sys.path)).toBeNull();
    sys.remove();
  });
});

test("a sample has every fact", async () => {
  const dir = tempDir();
  const sampler = new HealthSampler(dir.path, 10_000);
  const first = await sampler.sample();
  expect(first.cores).toBeGreaterThan(0);
  expect(first.memTotalBytes).toBeGreaterThan(first.memUsedBytes);
  expect(first.diskTotalBytes).toBeGreaterThanOrEqual(first.diskFreeBytes);
  expect(first.uptimeSec).toBeGreaterThan(0);
  expect(first.cpuLoadPct).toBeGreaterThanOrEqual(0);
  expect(sampler.latest).toBe(first);
  dir.remove();
});

describe("admin health page", () => {
  // The appliance's routes on their own: who may see them is identity's policy, tested there.
  let server: TestServer;
  let routes: ReturnType<typeof applianceRoutes>;
  const get = (path: string, headers: Record<string, string> = {}) => routes.handle(new Request(`http://localhost${path}`, { headers }));
  beforeAll(async () => {
    server = await startTestServer();
    routes = applianceRoutes(server.hearth);
    await server.hearth.health.sample();
  });
  afterAll(() => server.close());

  test("the facts refresh themselves through a fragment route every 10 s", async () => {
    const page = await (await get("/admin/health")).text();
    const region = /<div id="health-facts"([^>]*)>/.exec(page)?.[1] ?? "";
    expect(region).toContain('hx-get="/admin/health/facts"');
    expect(region).toContain('hx-trigger="every 10s"');
    const res = await get("/admin/health/facts", { "hx-request": "true" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const fragment = await res.text();
    expect(fragment).toContain('<dl class="facts">');
    expect(fragment).not.toContain("<html");
  });

  test("the facts are in French for a French reader, units included", async () => {
    const fragment = await (await get("/admin/health/facts", { "accept-language": "fr" })).text();
    expect(fragment).toContain("Charge du processeur");
    expect(fragment).toMatch(/cœurs?\b/);
    expect(fragment).toMatch(/\d Go|\d Mo/);
    expect(fragment).not.toMatch(/\d GB|\d MB| cores/);
  });
});
