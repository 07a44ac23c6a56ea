#!/usr/bin/env bun
/**
 * Crash test: SIGKILL in the middle of a stream of acknowledged writes, again and again, and
 * after every kill: every acknowledged write is there, PRAGMA integrity_check says ok, and the
 * audit chain verifies.
 *
 *   bun scripts/crash-test.ts [--rounds 50]
 *
 * Design. "Acknowledged" has to mean a real code path said "committed", so there is no test-only
 * endpoint or switch in the appliance:
 *
 * 1. Store writer (the main pass). A child process opens the data dir exactly as `hearth serve`
 *    does (openHearth: migrations, keys, vault, audit) and loops: in one transaction it inserts a
 *    person whose profile is sealed by the vault and appends the audit row for it through the
 *    Audit class; only after the COMMIT returns does it print "ack <personId> <auditId>" on
 *    stdout. The parent SIGKILLs it at a random moment, reopens the database, and checks every
 *    printed id: the person row exists and its sealed profile opens to the right value, the audit
 *    row exists, integrity_check is ok, the chain verifies. The one state a kill may leave is
 *    the audit head one row behind (killed between COMMIT and the head file's rename), which
 *    verify reports as "added after the last anchored row"; the next append must re-anchor it.
 * 2. Real server over HTTP. `hearth serve` runs on a fresh data dir; the parent becomes the first
 *    admin through the printed setup link (a real passkey ceremony with identity's software
 *    authenticator), then sends a stream of POST /invitations, one after another, as the admin's
 *    page would. An invitation counts as acknowledged when the server answered 201 with its link.
 *    The parent SIGKILLs the server at a random moment in that stream, restarts it on the same
 *    port (the admin's session survives: it is stored in the database), checks, and goes on.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { openHearth } from "../src/server.ts";
import { hashToken } from "../src/identity/tokens.ts";
import { Client, invite } from "../src/identity/test-client.ts";
import { freePort, type TestServer } from "../tests/harness.ts";

const MAIN = join(import.meta.dir, "..", "src", "main.ts");

async function child(dataDir: string): Promise<never> {
  const hearth = await openHearth(loadConfig({ ...process.env, HEARTH_DATA_DIR: dataDir }));
  const insert = hearth.db.query("INSERT INTO people (role, profile, created_at) VALUES ('patient', ?, ?)");
  for (;;) {
    const n = Date.now();
    // Sealing is async; the transaction around the two writes is not.
    const profile = await hearth.vault.sealJson({ crash: n });
    const ids = hearth.db.transaction(() => {
      const personId = Number(insert.run(profile, n).lastInsertRowid);
      const auditId = hearth.audit.append({ actor: "system", action: "person.created", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
      return [personId, auditId, n];
    })();
    process.stdout.write(`ack ${ids.join(" ")}\n`);
  }
}

interface Ack {
  personId: number;
  auditId: number;
  n: number;
}

function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  return (async () => {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
  })();
}

async function check(dataDir: string, acks: Ack[], tokens: string[]): Promise<string[]> {
  const problems: string[] = [];
  const hearth = await openHearth(loadConfig({ ...process.env, HEARTH_DATA_DIR: dataDir }), { create: false });
  const { db } = hearth;
  try {
    const integrity = db.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get()!.integrity_check;
    if (integrity !== "ok") problems.push(`integrity_check: ${integrity}`);
    const person = db.query<{ profile: Uint8Array }, [number]>("SELECT profile FROM people WHERE id = ?");
    const audit = db.query<{ subject: string }, [number]>("SELECT subject FROM audit_log WHERE id = ?");
    for (const a of acks) {
      const p = person.get(a.personId);
      if (!p) problems.push(`acknowledged person ${a.personId} is missing`);
      else if ((await hearth.vault.openJson<{ crash: number }>(p.profile)).crash !== a.n) problems.push(`person ${a.personId} holds the wrong value`);
      if (audit.get(a.auditId)?.subject !== `person:${a.personId}`) problems.push(`acknowledged audit row ${a.auditId} is missing or wrong`);
    }
    const invitation = db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM invitations WHERE token_hash = ?");
    for (const t of tokens) {
      if (invitation.get(hashToken(t))!.n === 0) problems.push(`acknowledged invitation ${t.slice(0, 6)}… is missing`);
    }
    const v = hearth.audit.verify();
    if (!v.ok) {
      const headBehind = /added after the last anchored row/.test(v.reason) && v.badId === v.rows;
      if (!headBehind) problems.push(`audit verify: ${v.reason}`);
      else {
        hearth.audit.append({ actor: "system", action: "crash_test.reanchor", subject: "appliance", outcome: "ok" });
        const again = hearth.audit.verify();
        if (!again.ok) problems.push(`audit verify after re-anchoring: ${again.reason}`);
      }
    }
  } finally {
    db.close();
  }
  return problems;
}

async function storePass(dataDir: string, rounds: number): Promise<{ acks: number; problems: string[] }> {
  const acks: Ack[] = [];
  const problems: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const proc = Bun.spawn(["bun", import.meta.path, "--child", dataDir], { stdout: "pipe", stderr: "ignore" });
    let first: () => void;
    const started = new Promise<void>((r) => (first = r));
    const reading = lines(proc.stdout, (l) => {
      const m = /^ack (\d+) (\d+) (\d+)$/.exec(l);
      if (!m) return;
      acks.push({ personId: Number(m[1]), auditId: Number(m[2]), n: Number(m[3]) });
      first();
    });
    // Kill somewhere in the write stream, not during start-up.
    await Promise.race([started, proc.exited]);
    await Bun.sleep(Math.random() * 300);
    proc.kill("SIGKILL");
    await proc.exited;
    await reading;
    const found = await check(dataDir, acks, []);
    problems.push(...found.map((p) => `round ${round + 1}: ${p}`));
  }
  return { acks: acks.length, problems };
}

async function waitHealthy(port: number, proc: Bun.Subprocess): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (proc.exitCode !== null) return false;
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return true;
    await Bun.sleep(25);
  }
  return false;
}

async function servePass(dataDir: string, rounds: number): Promise<{ acks: number; problems: string[] }> {
  const port = freePort();
  // The client only needs the port and the public URL of a server (TestServer's shape).
  const server = { port, hearth: { config: { publicUrl: `http://localhost:${port}` } } } as unknown as TestServer;
  let admin: Client | null = null;
  const tokens: string[] = [];
  const problems: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const proc = Bun.spawn(["bun", MAIN, "serve"], {
      env: { ...process.env, HEARTH_DATA_DIR: dataDir, HEARTH_PORT: String(port), HEARTH_HOST: "127.0.0.1" },
      stdout: "pipe",
      stderr: "ignore",
    });
    let setupPath = "";
    const reading = lines(proc.stdout, (l) => {
      const m = /\/setup\/[A-Za-z0-9_-]+/.exec(l);
      if (m) setupPath = m[0];
    });
    if (!(await waitHealthy(port, proc))) {
      problems.push(`round ${round + 1}: the server did not come back`);
      proc.kill("SIGKILL");
      break;
    }
    if (!admin) {
      admin = new Client(server);
      await admin.get(setupPath);
      const r = await admin.register(setupPath, { displayName: "Crash Test Admin" });
      if (r.status !== 200) throw new Error(`setup failed: ${r.status}`);
    }
    // A stream of acknowledged writes, cut by a SIGKILL at a random moment.
    let killed = false;
    const stream = (async () => {
      while (!killed) {
        // A 201 that arrived is acknowledged, even if the kill lands a moment later.
        const path = await invite(admin!, "clinician").catch(() => null);
        if (path) tokens.push(path.split("/").pop()!);
      }
    })();
    await Bun.sleep(50 + Math.random() * 400);
    killed = true;
    proc.kill("SIGKILL");
    await proc.exited;
    await stream;
    await reading;
    const found = await check(dataDir, [], tokens);
    problems.push(...found.map((p) => `round ${round + 1}: ${p}`));
  }
  return { acks: tokens.length, problems };
}

async function main(): Promise<number> {
  const i = process.argv.indexOf("--rounds");
  const rounds = i > 0 ? Number(process.argv[i + 1]) : 50;
  const dataDir = mkdtempSync(join(tmpdir(), "hearth-crash-"));
  const serveDir = mkdtempSync(join(tmpdir(), "hearth-crash-serve-"));
  try {
    const t0 = Date.now();
    const store = await storePass(dataDir, rounds);
    console.log(`store writer: ${rounds} SIGKILLs, ${store.acks} acknowledged writes, ${store.problems.length} problems`);
    const serve = await servePass(serveDir, rounds);
    console.log(`hearth serve: ${rounds} SIGKILLs, ${serve.acks} acknowledged invitations over HTTP, ${serve.problems.length} problems`);
    for (const p of [...store.problems, ...serve.problems]) console.log(`  ${p}`);
    const ok = store.problems.length + serve.problems.length === 0 && store.acks > 0 && serve.acks > 0;
    console.log(`${ok ? "PASS" : "FAIL"} in ${((Date.now() - t0) / 1000).toFixed(1)} s: every acknowledged write present, integrity_check ok after every kill`);
    return ok ? 0 : 1;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(serveDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!);
else process.exit(await main());
