/**
 * The deployment files agree with the code: every setting the code reads is documented, the
 * templates are valid configurations, and the unit, image and healthcheck fit together.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { startTestServer } from "./harness.ts";

const ROOT = join(import.meta.dir, "..");
const read = (rel: string) => readFileSync(join(ROOT, rel), "utf8");

/** HEARTH_* names read by the shipped code (tests and dev scripts excluded). */
function variablesInCode(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (rel.endsWith(".ts") && !rel.endsWith(".test.ts")) for (const m of read(rel).matchAll(/\bHEARTH_[A-Z_]+[A-Z]\b/g)) names.add(m[0]);
    }
  };
  walk("src");
  return [...names].sort();
}

/** KEY=value lines that are switched on (not commented out). */
function envFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(HEARTH_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/** `Key=value` settings of a systemd unit (the last one wins, as in systemd). */
function unit(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe("settings", () => {
  const names = variablesInCode();

  test("the code reads settings at all (this check has something to compare)", () => {
    expect(names).toContain("HEARTH_DATA_DIR");
    expect(names).toContain("HEARTH_PORT");
  });

  test("README's configuration table names every HEARTH_* setting the code reads", () => {
    const readme = read("README.md");
    const missing = names.filter((n) => !readme.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });

  test("the service template mentions every setting a running appliance reads", () => {
    const template = read("deploy/hearth.env.example");
    // Passphrases for one CLI run are asked on the terminal; they never belong in a service file.
    const cliOnly = new Set(["HEARTH_NEW_KEY_PASSPHRASE"]);
    expect(names.filter((n) => !cliOnly.has(n) && !template.includes(`${n}=`))).toEqual([]);
  });

  test("the service template is a valid clinic configuration: HTTPS on 443, data where systemd lets it write", () => {
    const config = loadConfig(envFile(read("deploy/hearth.env.example")));
    expect(config.tls).toBe("auto");
    expect(config.port).toBe(443);
    expect(config.publicUrl.startsWith("https://")).toBe(true);
    const service = unit(read("deploy/hearth.service"));
    expect(service.ReadWritePaths).toBe(config.dataDir);
    expect(`/var/lib/${service.StateDirectory}`).toBe(config.dataDir);
    expect(service.WorkingDirectory).toBe(config.dataDir);
  });
});

test("every file README links to exists", () => {
  const links = [...read("README.md").matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
  expect(links.length).toBeGreaterThan(3);
  expect(links.filter((l) => !existsSync(join(ROOT, l)))).toEqual([]);
});

describe("systemd unit", () => {
  const service = unit(read("deploy/hearth.service"));

  test("runs as its own user with the filesystem read-only but for its data", () => {
    expect(service.User).toBe("hearth");
    expect(service.ProtectSystem).toBe("strict");
    expect(service.ProtectHome).toBe("yes");
    expect(service.NoNewPrivileges).toBe("yes");
    expect(service.PrivateTmp).toBe("yes");
    expect(service.Restart).toBe("on-failure");
    expect(service.EnvironmentFile).toBe("/etc/hearth/hearth.env");
    expect(service.ExecStart).toBe("/usr/local/bin/hearth serve");
  });

  test("keeps the one capability a port below 1024 needs, and the socket families WebRTC needs", () => {
    expect(service.CapabilityBoundingSet).toBe("CAP_NET_BIND_SERVICE");
    expect(service.AmbientCapabilities).toBe("CAP_NET_BIND_SERVICE");
    expect(service.RestrictAddressFamilies!.split(" ").sort()).toEqual(["AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"]);
    // Bun's JIT needs writable+executable memory; turning this on would stop Hearth at start.
    expect(service.MemoryDenyWriteExecute).toBeUndefined();
  });
});

describe("container", () => {
  const dockerfile = read("Dockerfile");

  test("the image's defaults are a valid configuration and its exposed UDP range is the media range", () => {
    const env: Record<string, string> = {};
    for (const m of dockerfile.matchAll(/(HEARTH_[A-Z_]+)=(\S+)/g)) env[m[1]!] = m[2]!;
    const config = loadConfig(env);
    expect(config.dataDir).toBe("/data");
    expect(dockerfile).toContain(`EXPOSE ${config.port}/tcp`);
    expect(dockerfile).toContain(`EXPOSE ${config.rtcPorts[0]}-${config.rtcPorts[1]}/udp`);
    expect(dockerfile).toMatch(/^USER bun$/m);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
  });

  test("the compose example is a valid configuration", () => {
    const compose = read("deploy/docker-compose.yml");
    const block = compose.slice(compose.indexOf("    environment:"), compose.indexOf("    volumes:"));
    const env: Record<string, string> = {};
    for (const m of block.matchAll(/^\s+(HEARTH_[A-Z_]+): "?([^"\n]+)"?$/gm)) env[m[1]!] = m[2]!;
    expect(Object.keys(env).length).toBeGreaterThan(3);
    const config = loadConfig(env);
    expect(config.dataDir).toBe("/data");
    expect(compose).toContain("network_mode: host");
  });

  test("the healthcheck says 0 while Hearth answers and 1 when it does not", async () => {
    const server = await startTestServer();
    const check = (port: number) =>
      Bun.spawn([process.execPath, join(ROOT, "deploy/healthcheck.ts")], {
        env: { PATH: process.env.PATH ?? "", HEARTH_PORT: String(port), HEARTH_DATA_DIR: server.dataDir },
        stdout: "ignore",
        stderr: "ignore",
      }).exited;
    try {
      expect(await check(server.port)).toBe(0);
    } finally {
      await server.close();
    }
    expect(await check(server.port)).toBe(1);
  });
});
