import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile } from "./compile.ts";
import { tempDir } from "../tests/harness.ts";

const ROOT = join(import.meta.dir, "..");

/** Reads the child's stderr until the "hearth serving" line names its port. */
async function servingPort(stderr: ReadableStream<Uint8Array>): Promise<{ port: number; log: () => string }> {
  let text = "";
  const reader = stderr.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    const m = /hearth serving url="http:\/\/[^:]+:(\d+)"/.exec(text);
    if (m) {
      // Keep draining so the child never blocks on a full pipe.
      void (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
          text += decoder.decode(r.value);
        }
      })();
      return { port: Number(m[1]), log: () => text };
    }
  }
  throw new Error(`the binary did not start:\n${text}`);
}

test("the x64 binary starts from an empty directory and serves the app with its embedded assets", async () => {
  const work = tempDir("hearth-compile-");
  let child: ReturnType<typeof Bun.spawn> | undefined;
  try {
    const binary = await compile("x64", join(work.path, "dist"));
    const cwd = join(work.path, "empty");
    const dataDir = join(work.path, "data");
    await Bun.write(join(cwd, ".keep"), "");
    // No PATH to bun and no node_modules nearby: everything must come from inside the binary.
    child = Bun.spawn([binary, "serve"], {
      cwd,
      env: { HEARTH_DATA_DIR: dataDir, HEARTH_PORT: "0", HEARTH_HOST: "127.0.0.1", PATH: "/usr/bin:/bin" },
      stdout: "ignore",
      stderr: "pipe",
    });
    const { port, log } = await servingPort(child.stderr as ReadableStream<Uint8Array>);
    const base = `http://127.0.0.1:${port}`;

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const page = await (await fetch(`${base}/`)).text();
    for (const name of ["hearth.css", "htmx.min.js", "shell.js"]) {
      const href = new RegExp(`"(/static/${name.replace(/\./g, "\\.")}\\?v=[^"]+)"`).exec(page)?.[1];
      expect(href, `${name} is linked from /`).toBeDefined();
      const res = await fetch(`${base}${href}`);
      expect(res.status, `${name} is served`).toBe(200);
      expect(res.headers.get("content-type")).toContain(name.endsWith(".css") ? "text/css" : "text/javascript");
    }
    // The very bytes of the source files, not a rewritten copy.
    expect(await (await fetch(`${base}/static/hearth.css`)).text()).toBe(readFileSync(join(ROOT, "web/static/hearth.css"), "utf8"));
    expect(await (await fetch(`${base}/static/htmx.min.js`)).text()).toBe(
      readFileSync(join(ROOT, "node_modules/htmx.org/dist/htmx.min.js"), "utf8"),
    );
    // The comfort effects' model and WebAssembly (web/room/comfort.ts) travel inside too.
    for (const [file, type] of [
      ["node_modules/@mediapipe/selfie_segmentation/selfie_segmentation_landscape.tflite", "application/octet-stream"],
      ["node_modules/@mediapipe/selfie_segmentation/selfie_segmentation_solution_simd_wasm_bin.wasm", "application/wasm"],
      ["node_modules/@jitsi/rnnoise-wasm/dist/rnnoise.wasm", "application/wasm"],
    ] as const) {
      const res = await fetch(`${base}/static/${file.split("/").at(-1)}`);
      expect(res.headers.get("content-type"), file).toBe(type);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(ROOT, file))), `${file} byte for byte`).toBe(true);
    }
    expect((await fetch(`${base}/static/noise-worklet.js`)).status).toBe(200);
    expect(existsSync(join(dataDir, "hearth.db"))).toBe(true);
    expect(log()).toContain('applied="0001_core');

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(existsSync(join(dataDir, "hearth.pid"))).toBe(false);

    // The SFU worker is the same binary (`hearth sfu-worker`, started by `serve` with an IPC channel).
    const heard: { ev: string }[] = [];
    const worker = Bun.spawn([binary, "sfu-worker"], {
      cwd,
      env: { PATH: "/usr/bin:/bin" },
      stdio: ["ignore", "ignore", "inherit"],
      ipc(msg: { ev: string }) {
        heard.push(msg);
        if (msg.ev === "hello") {
          worker.send({ op: "init", index: 0, cpu: -1, settings: { addresses: ["127.0.0.1"], ports: [43000, 43009], stun: null, stunConfigured: false, engine: "fast" } });
        }
      },
    });
    for (let i = 0; i < 100 && !heard.some((m) => m.ev === "ready"); i++) await Bun.sleep(50);
    expect(heard.map((m) => m.ev).slice(0, 2)).toEqual(["hello", "ready"]);
    worker.kill("SIGTERM");
    await worker.exited;
  } finally {
    child?.kill("SIGKILL");
    work.remove();
  }
}, 120_000);
