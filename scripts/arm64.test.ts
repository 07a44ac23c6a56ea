/**
 * The Raspberry Pi build, run for real: the linux-arm64 single binary, started under Debian's
 * qemu-user-static (user-mode emulation of an aarch64 CPU, with Debian's aarch64 C library from
 * libc6-arm64-cross), from an empty directory, as a clinic box would start it.
 *
 * Emulation runs every arm64 instruction through a translator, so the commands here take seconds
 * each: the test keeps to a handful of them. Start time and memory under emulation are measured by
 * scripts/bench/arm64.ts, not asserted here (docs/benchmarks.md says what emulation distorts).
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compile } from "./compile.ts";
import { tempDir } from "../tests/harness.ts";
import { ARM64_SYSROOT, collect, QEMU, underQemu } from "./qemu.ts";
import { openHearth } from "../src/server.ts";
import { loadConfig } from "../src/config.ts";
import { insertPerson, newWebauthnHandle, readProfile, sealProfile } from "../src/identity/people.ts";

async function run(cmd: string[], env: Record<string, string>, cwd: string): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { cwd, env, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: out + err };
}

test(
  "the linux-arm64 binary, under qemu: /healthz, the setup link, the sign-in page, seal and open, the audit chain, an SFU worker",
  async () => {
    // scripts/test.ts installs both (npm test); run alone, say what is missing rather than skip.
    expect(QEMU, "qemu-user-static is installed").toBeDefined();
    expect(existsSync(join(ARM64_SYSROOT, "lib/ld-linux-aarch64.so.1")), "libc6-arm64-cross is installed").toBe(true);
    const work = tempDir("hearth-arm64-");
    let server: ReturnType<typeof Bun.spawn> | undefined;
    try {
      const binary = await compile("arm64", join(work.path, "dist"));
      const header = new Uint8Array(await Bun.file(binary).slice(0, 20).arrayBuffer());
      // ELF, 64-bit, machine 0xB7 (EM_AARCH64): really an arm64 program, not the host's.
      expect([...header.slice(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      expect(header[18]! | (header[19]! << 8)).toBe(0xb7);

      const cwd = join(work.path, "empty");
      await Bun.write(join(cwd, ".keep"), "");
      const dataDir = join(work.path, "data");
      const env = { HEARTH_DATA_DIR: dataDir, HEARTH_HOST: "127.0.0.1", HEARTH_PORT: "0", PATH: "/usr/bin:/bin" };

      // 1. It serves, prints the one-time setup link, and answers as a person's browser sees it.
      server = Bun.spawn(underQemu(binary, "serve"), { cwd, env, stdout: "pipe", stderr: "pipe" });
      const out = collect(server.stdout as ReadableStream<Uint8Array>);
      const err = collect(server.stderr as ReadableStream<Uint8Array>);
      const port = Number((await err.until(/hearth serving url="http:\/\/[^:]+:(\d+)"/, 60_000))[1]);
      const setupPath = (await out.until(/http:\/\/localhost:\d+(\/setup\/[\w-]{20,})/, 10_000))[1]!;
      const base = `http://127.0.0.1:${port}`;

      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe("ok");
      const home = await (await fetch(`${base}/`, { headers: { "accept-language": "es" } })).text();
      expect(home).toContain('lang="es"');
      expect(home).toContain("Iniciar sesión con una llave de acceso");
      const signin = await fetch(`${base}/signin`);
      expect(signin.status).toBe(200);
      expect(await signin.text()).toContain("Sign in with a passkey");
      const setup = await fetch(`${base}${setupPath}`);
      expect(setup.status).toBe(200);
      expect(await setup.text()).toContain("Set up Hearth");
      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      server = undefined;

      // 2. Seal and open. A few patients' profiles are sealed with the key the arm64 binary made
      //    (here, by the x64 code: a Pi's SD card moved to a mini-PC, and back). Rotating the key on
      //    arm64 opens every sealed value and seals it again, and writes its audit row; the chain is
      //    verified on arm64, then the x64 code opens what arm64 sealed and finds the same words.
      const names = ["Lucía Fernández", "Kofi Mensah", "Julie Tremblay"];
      const ids: number[] = [];
      {
        const h = await openHearth(loadConfig({ HEARTH_DATA_DIR: dataDir }));
        for (const name of names) {
          ids.push(insertPerson(h, { role: "patient", sealedProfile: await sealProfile(h, { displayName: name, pronouns: "", language: "es" }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null }));
        }
        h.db.close();
      }
      const rotate = await run(underQemu(binary, "keys", "rotate"), env, cwd);
      expect(rotate.code, rotate.out).toBe(0);
      expect(Number(/keys rotated: (\d+) sealed values/.exec(rotate.out)?.[1])).toBeGreaterThanOrEqual(names.length);
      const verify = await run(underQemu(binary, "audit", "verify"), env, cwd);
      expect(verify.code, verify.out).toBe(0);
      expect(Number(/audit trail intact: (\d+) rows/.exec(verify.out)?.[1])).toBeGreaterThan(0);
      {
        const h = await openHearth(loadConfig({ HEARTH_DATA_DIR: dataDir }));
        try {
          const last = h.db.query<{ action: string }, []>("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").get();
          expect(last?.action).toBe("keys.rotated");
          for (const [i, id] of ids.entries()) expect((await readProfile(h, id, id))?.displayName).toBe(names[i]);
          expect(h.audit.verify().ok).toBe(true);
        } finally {
          h.db.close();
        }
      }

      // 3. An SFU worker (the same binary, `hearth sfu-worker`, driven over Bun's IPC) starts on arm64.
      const heard: string[] = [];
      const worker = Bun.spawn(underQemu(binary, "sfu-worker"), {
        cwd,
        env: { PATH: "/usr/bin:/bin" },
        stdio: ["ignore", "ignore", "inherit"],
        ipc(msg: { ev: string }) {
          heard.push(msg.ev);
          if (msg.ev === "hello") {
            worker.send({ op: "init", index: 0, cpu: -1, settings: { addresses: ["127.0.0.1"], ports: [43100, 43109], stun: null, stunConfigured: false, engine: "fast" } });
          }
        },
      });
      for (let i = 0; i < 600 && !heard.includes("ready"); i++) await Bun.sleep(50);
      expect(heard.slice(0, 2)).toEqual(["hello", "ready"]);
      worker.kill("SIGTERM");
      await worker.exited;
    } finally {
      server?.kill("SIGKILL");
      work.remove();
    }
  },
  240_000,
);
