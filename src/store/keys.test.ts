import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KeyError, changePassphrase, ensureIdentity, isLocked, readIdentity, writeIdentity } from "./keys.ts";
import { startServer, type Running } from "../server.ts";
import { tempDir, testConfig, type TestServer } from "../../tests/harness.ts";
import { firstAdmin } from "../identity/test-client.ts";
import { createServer } from "node:net";

const MAIN = join(import.meta.dir, "..", "main.ts");
let dir: ReturnType<typeof tempDir>;
afterEach(() => dir?.remove());

const mode = (p: string) => statSync(p).mode & 0o777;

describe("appliance key files", () => {
  test("first start makes keys/ (0700) and one identity file (0600), apart from the database", async () => {
    dir = tempDir();
    expect(await ensureIdentity(dir.path)).toBe(true);
    expect(await ensureIdentity(dir.path)).toBe(false);
    const file = join(dir.path, "keys", "identity");
    expect(mode(join(dir.path, "keys"))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(readFileSync(file, "utf8")).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}\n$/);
  });

  test("a key file or folder readable by others is refused with the chmod to run", async () => {
    dir = tempDir();
    await ensureIdentity(dir.path);
    const file = join(dir.path, "keys", "identity");
    chmodSync(file, 0o644);
    await expect(readIdentity(dir.path, "identity")).rejects.toThrow(`run: chmod 600 ${file}`);
    chmodSync(file, 0o600);
    chmodSync(join(dir.path, "keys"), 0o755);
    await expect(ensureIdentity(dir.path)).rejects.toThrow(/chmod 700/);
  });

  test("a malformed key file is refused, not replaced", async () => {
    dir = tempDir();
    await ensureIdentity(dir.path);
    const file = join(dir.path, "keys", "identity");
    writeFileSync(file, "not a key\n", { mode: 0o600 });
    await expect(readIdentity(dir.path, "identity")).rejects.toBeInstanceOf(KeyError);
    expect(await ensureIdentity(dir.path)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("not a key\n");
  });

  test("hearth keys passphrase sets, changes and removes the passphrase; the identity stays the same", async () => {
    dir = tempDir();
    await ensureIdentity(dir.path);
    const original = await readIdentity(dir.path, "identity");
    const cli = (env: Record<string, string>, ...args: string[]) =>
      Bun.spawnSync(["bun", MAIN, "keys", "passphrase", ...args], { env: { ...process.env, HEARTH_DATA_DIR: dir.path, ...env }, stdin: "ignore" });

    const set = cli({ HEARTH_NEW_KEY_PASSPHRASE: "first long passphrase" });
    expect(set.exitCode).toBe(0);
    expect(set.stdout.toString()).toContain("passphrase set");
    expect(isLocked(dir.path)).toBe(true);
    expect(existsSync(join(dir.path, "keys", "identity"))).toBe(false);
    expect(mode(join(dir.path, "keys", "identity.locked"))).toBe(0o600);
    expect(readFileSync(join(dir.path, "keys", "identity.locked"), "utf8")).not.toContain(original);

    const wrong = cli({ HEARTH_KEY_PASSPHRASE: "not the passphrase", HEARTH_NEW_KEY_PASSPHRASE: "second long passphrase" });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr.toString()).toContain("Wrong passphrase");

    const change = cli({ HEARTH_KEY_PASSPHRASE: "first long passphrase", HEARTH_NEW_KEY_PASSPHRASE: "second long passphrase" });
    expect(change.exitCode).toBe(0);
    await expect(readIdentity(dir.path, "identity", "first long passphrase")).rejects.toThrow(/Wrong passphrase/);
    expect(await readIdentity(dir.path, "identity", "second long passphrase")).toBe(original);

    const removed = cli({ HEARTH_KEY_PASSPHRASE: "second long passphrase" }, "--remove");
    expect(removed.exitCode).toBe(0);
    expect(isLocked(dir.path)).toBe(false);
    expect(await readIdentity(dir.path, "identity")).toBe(original);
  }, 30_000);

  // util-linux `script` gives the CLI a real terminal, so the hidden prompt is what runs.
  const hasScript = Bun.which("script") !== null;
  test.skipIf(!hasScript)("on a terminal the passphrase is asked twice and never echoed", async () => {
    dir = tempDir();
    await ensureIdentity(dir.path);
    const original = await readIdentity(dir.path, "identity");
    const { HEARTH_KEY_PASSPHRASE: _a, HEARTH_NEW_KEY_PASSPHRASE: _b, ...env } = process.env;
    const child = Bun.spawn(["script", "-qc", `bun ${MAIN} keys passphrase`, "/dev/null"], {
      env: { ...env, HEARTH_DATA_DIR: dir.path },
      stdin: "pipe",
      stdout: "pipe",
    });
    const reader = child.stdout.getReader();
    let screen = "";
    const waitFor = async (text: string) => {
      while (!screen.includes(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`ended before "${text}":\n${screen}`);
        screen += new TextDecoder().decode(value);
      }
    };
    await waitFor("New passphrase: ");
    child.stdin.write("typed on the terminal\r");
    await child.stdin.flush();
    await waitFor("Repeat the new passphrase: ");
    child.stdin.write("typed on the terminal\r");
    await child.stdin.flush();
    await waitFor("passphrase set");
    await child.exited;
    expect(screen).not.toContain("typed on the terminal");
    expect(isLocked(dir.path)).toBe(true);
    expect(await readIdentity(dir.path, "identity", "typed on the terminal")).toBe(original);
  }, 30_000);

  test("a short new passphrase is refused and nothing changes", async () => {
    dir = tempDir();
    await ensureIdentity(dir.path);
    const before = readFileSync(join(dir.path, "keys", "identity"));
    const res = Bun.spawnSync(["bun", MAIN, "keys", "passphrase"], {
      env: { ...process.env, HEARTH_DATA_DIR: dir.path, HEARTH_NEW_KEY_PASSPHRASE: "short" },
      stdin: "ignore",
    });
    expect(res.exitCode).toBe(1);
    expect(res.stderr.toString()).toContain("too short");
    expect(readFileSync(join(dir.path, "keys", "identity"))).toEqual(before);
  });

  test("the passphrase is not changed mid-rotation", async () => {
    dir = tempDir();
    await ensureIdentity(dir.path);
    await writeIdentity(dir.path, "identity.next", await readIdentity(dir.path, "identity"));
    await expect(changePassphrase(dir.path, undefined, "a long new passphrase")).rejects.toThrow(/rotation is unfinished/);
  });
});

describe("locked mode", () => {
  let running: Running | null = null;
  afterEach(async () => {
    await running?.stop();
    running = null;
  });

  test("boots locked, serves only the unlock page, and a signed-in admin unlocks it with the passphrase", async () => {
    dir = tempDir();
    const port = await freePort();
    const env = { HEARTH_PORT: String(port), HEARTH_PUBLIC_URL: `http://localhost:${port}` };
    const clock = { now: Date.now() };
    const start = async () => {
      running = await startServer(testConfig(dir.path, env), { quiet: true, now: () => clock.now });
      return { ...running, dataDir: dir.path, clock: { now: clock.now, advance() {} }, close: async () => {} } as TestServer;
    };
    // First start unlocked, to make the first admin; then lock the key and start again.
    const admin = await firstAdmin(await start());
    await running!.stop();
    await writeIdentity(dir.path, "identity", await readIdentity(dir.path, "identity"), "a long clinic passphrase");
    admin.cookies.clear();
    await start();
    const url = running!.url;
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ locked: true });

    const home = await fetch(`${url}/`);
    expect(home.status).toBe(423);
    expect(await home.text()).toContain('href="/signin?next=/unlock"');
    // Refused, by the sign-in guard or the lock, whichever answers first.
    expect([401, 423]).toContain((await fetch(`${url}/admin/health`)).status);
    expect([401, 423]).toContain((await fetch(`${url}/people`, { headers: { "hx-request": "true" } })).status);
    // Not signed in: no passphrase form, and a posted passphrase is not even tried.
    expect(await (await fetch(`${url}/unlock`)).text()).not.toContain('action="/unlock"');
    expect((await admin.post("/unlock", "passphrase=a+long+clinic+passphrase")).status).not.toBe(303);
    expect(running!.hearth.vault.unlocked).toBe(false);

    // People and passkeys are not sealed: the admin signs in while locked.
    expect((await admin.signIn()).status).toBe(200);
    expect((await admin.get("/unlock")).text).toContain('action="/unlock"');
    expect((await admin.post("/unlock", "passphrase=wrong+guess")).status).toBe(401);
    // Guessing is slowed down: the next try within the wait is refused without checking.
    expect((await admin.post("/unlock", "passphrase=a+long+clinic+passphrase")).status).toBe(429);
    clock.now += 2000;
    expect((await admin.post("/unlock", "passphrase=a+long+clinic+passphrase")).status).toBe(303);
    expect(running!.hearth.vault.unlocked).toBe(true);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ locked: false });
    const outcomes = running!.hearth.db.query<{ outcome: string }, []>("SELECT outcome FROM audit_log WHERE action = 'appliance.unlock' ORDER BY id").all();
    expect(outcomes.map((r) => r.outcome)).toEqual(["denied", "ok"]);
  }, 30_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
