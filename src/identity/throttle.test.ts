/**
 * Throttling: repeated failures slow down per address and per account, while a clinic behind
 * one NAT address is not locked out. The client address is the socket's peer (other loopback
 * addresses stand for other machines); X-Forwarded-For is believed only from configured proxies.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { SoftAuthenticator } from "./softkey.ts";
import { accept, Client, firstAdmin, invite } from "./test-client.ts";
import { PER_ADDRESS, Throttle } from "./throttle.ts";

let server: TestServer;
let patient: Client;
let clinician: Client;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await firstAdmin(server);
  clinician = await accept(server, await invite(admin, "clinician"), "Cleo");
  patient = await accept(server, await invite(clinician, "patient"), "Pat");
});
afterAll(() => server?.close());

/** One failed sign-in: a real assertion from a passkey this appliance never registered. */
async function failedSignIn(c: Client, stranger: SoftAuthenticator): Promise<{ status: number; retryAfter: number }> {
  const o = await c.post("/signin/options");
  const r = await c.post("/signin/verify", { response: stranger.assert(o.json<{ options: { challenge: string } }>().options) });
  return { status: r.status, retryAfter: Number(r.headers["retry-after"] ?? 0) };
}

describe("sign-in throttling", () => {
  test("1,000 failed sign-ins from one address are slowed, while a sign-in from another address goes through at once", async () => {
    const attacker = new Client(server, { localAddress: "127.0.0.1" });
    const stranger = new SoftAuthenticator(attacker.key.origin);
    stranger.register({ challenge: "x", rp: {}, user: { id: "eA" } });
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const { status } = await failedSignIn(attacker, stranger);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    // The first failures are answered; from then on the address must wait (429, Retry-After).
    expect(statuses.get(401)).toBe(PER_ADDRESS.free + 1);
    expect(statuses.get(429)).toBe(1000 - PER_ADDRESS.free - 1);
    expect(statuses.get(200)).toBeUndefined();

    // The delay grows with each further failure after a wait, up to its cap.
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const blocked = await failedSignIn(attacker, stranger);
      expect(blocked.status).toBe(429);
      server.clock.advance(blocked.retryAfter * 1000);
      expect((await failedSignIn(attacker, stranger)).status).toBe(401);
      waits.push(blocked.retryAfter);
    }
    expect(waits.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(Math.max(...waits)).toBe(PER_ADDRESS.capMs / 1000);

    // Another machine signs in at once, first try.
    const elsewhere = new Client(server, { localAddress: "127.0.0.2" });
    elsewhere.key.credentials.push(...patient.key.credentials);
    const started = performance.now();
    const ok = await elsewhere.signIn();
    expect(ok.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    const failures = server.hearth.db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'signin' AND outcome = 'failed'").get()!.n;
    expect(failures).toBe(PER_ADDRESS.free + 1 + 8);
  }, 60_000);

  test("behind the same (throttled) address, someone with a real passkey still signs in: a clinic's NAT is not locked out", async () => {
    const sameNat = new Client(server, { localAddress: "127.0.0.1" });
    const stranger = new SoftAuthenticator(sameNat.key.origin);
    stranger.register({ challenge: "x", rp: {}, user: { id: "eA" } });
    expect((await failedSignIn(sameNat, stranger)).status).toBe(429);
    sameNat.key.credentials.push(...clinician.key.credentials);
    expect((await sameNat.signIn()).status).toBe(200);
  });

  test("failures against one account slow that account down, from any address", async () => {
    const owner = await accept(server, await invite(await clinician.again({ localAddress: "127.0.0.3" }), "patient"), "Targeted", { localAddress: "127.0.0.3" });
    const replayed = new Client(server, { localAddress: "127.0.0.4" });
    // Replays of an old assertion: the right credential, a stale challenge, so never valid.
    const old = owner.key.assert({ challenge: "c3RhbGU" });
    const results: number[] = [];
    for (let i = 0; i < 8; i++) {
      await replayed.post("/signin/options");
      results.push((await replayed.post("/signin/verify", { response: old })).status);
    }
    expect(results.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(results.slice(6)).toEqual([429, 429]);
    // The owner, on another address, waits too: the account is what is being guessed at.
    const ownerAgain = new Client(server, { localAddress: "127.0.0.5" });
    ownerAgain.key.credentials.push(...owner.key.credentials);
    expect((await ownerAgain.signIn()).status).toBe(429);
    server.clock.advance(2000);
    expect((await ownerAgain.signIn()).status).toBe(200);
  });

  test("X-Forwarded-For is ignored unless it comes from a configured proxy", async () => {
    const spoofer = new Client(server, { localAddress: "127.0.0.1" });
    const stranger = new SoftAuthenticator(spoofer.key.origin);
    stranger.register({ challenge: "x", rp: {}, user: { id: "eA" } });
    const o = await spoofer.post("/signin/options");
    const r = await spoofer.post("/signin/verify", { response: stranger.assert(o.json<{ options: { challenge: string } }>().options) }, { "x-forwarded-for": "10.9.9.9" });
    expect(r.status).toBe(429);
  });
});

describe("behind a configured reverse proxy", () => {
  test("X-Forwarded-For from the proxy names the client, so one client's failures do not slow another", async () => {
    const proxied = await startTestServer({ HEARTH_TRUSTED_PROXIES: "127.0.0.9" });
    try {
      const proxy = new Client(proxied, { localAddress: "127.0.0.9" });
      const stranger = new SoftAuthenticator(proxy.key.origin);
      stranger.register({ challenge: "x", rp: {}, user: { id: "eA" } });
      const attempt = async (client: string) => {
        const o = await proxy.post("/signin/options");
        const r = await proxy.post("/signin/verify", { response: stranger.assert(o.json<{ options: { challenge: string } }>().options) }, { "x-forwarded-for": `203.0.113.50, ${client}` });
        return r.status;
      };
      for (let i = 0; i <= PER_ADDRESS.free; i++) expect(await attempt("10.0.0.1")).toBe(401);
      expect(await attempt("10.0.0.1")).toBe(429);
      expect(await attempt("10.0.0.2")).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});

describe("invitation throttling", () => {
  test("guessing invitation links from one address is slowed; other addresses are not", async () => {
    const guesser = new Client(server, { localAddress: "127.0.0.6" });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await guesser.get(`/invite/${"g".repeat(42)}${String.fromCharCode(65 + i)}`)).status);
    expect(statuses.slice(0, PER_ADDRESS.free + 1).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(PER_ADDRESS.free + 1).every((s) => s === 429)).toBe(true);
    const link = await invite(await clinician.again({ localAddress: "127.0.0.7" }), "patient");
    expect((await new Client(server, { localAddress: "127.0.0.8" }).get(link)).status).toBe(200);
  });
});

describe("the throttle itself", () => {
  test("forgets a key after a quiet spell and never holds more than its limit of keys", () => {
    let now = 0;
    const t = new Throttle(() => now, 100);
    for (let i = 0; i < 12; i++) t.fail("k", PER_ADDRESS);
    expect(t.waitMs("k")).toBeGreaterThan(0);
    now += PER_ADDRESS.forgetMs + 1;
    expect(t.waitMs("k")).toBe(0);
    expect(t.failures("k")).toBe(0);
    for (let i = 0; i < 1000; i++) t.fail(`addr:${i}`, PER_ADDRESS);
    expect(t.failures("addr:0")).toBe(0);
    expect(t.failures("addr:999")).toBe(1);
  });
});
