/**
 * Sessions, CSRF, cookies, timeouts and fresh user verification, through the real server with
 * real WebAuthn ceremonies (software authenticator) and the harness's controllable clock.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, tempDir, testConfig, type TestServer } from "../../tests/harness.ts";
import { startServer } from "../server.ts";
import { readIdentity, writeIdentity } from "../store/keys.ts";
import type { Hearth } from "../context.ts";
import { accept, Client, firstAdmin, invite } from "./test-client.ts";
import { sessionCookie, clearSessionCookie } from "./sessions.ts";

const MIN = 60 * 1000;
let server: TestServer;
let admin: Client;
let clinician: Client;
let patient: Client;

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  clinician = await accept(server, await invite(admin, "clinician"), "Cleo");
  patient = await accept(server, await invite(clinician, "patient"), "Pat");
});
afterAll(() => server?.close());

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const profile = { displayName: "Pat", pronouns: "", language: "", reminderContact: "", emergencyContact: "", usualLocation: "" };

describe("CSRF", () => {
  test("a signed-in state-changing request without the token, or with a wrong one, is refused and changes nothing", async () => {
    const before = server.hearth.db.query("SELECT profile FROM people WHERE role = 'patient'").get();
    const none = await patient.send("POST", "/account/profile", form({ ...profile, displayName: "Mallory" }));
    expect(none.status).toBe(403);
    expect(none.text).toContain("Please reload the page");
    const wrong = await patient.send("POST", "/account/profile", form({ ...profile, displayName: "Mallory" }), { "x-csrf-token": "A".repeat(43) });
    expect(wrong.status).toBe(403);
    const otherPersons = await patient.send("POST", "/account/profile", form({ ...profile, displayName: "Mallory", _csrf: clinician.csrf }));
    expect(otherPersons.status).toBe(403);
    expect(server.hearth.db.query("SELECT profile FROM people WHERE role = 'patient'").get()).toEqual(before);
  });

  test("the token as an htmx header or as the _csrf field of a plain form is accepted", async () => {
    await patient.get("/account");
    expect((await patient.send("POST", "/account/profile", form(profile), { "x-csrf-token": patient.csrf })).status).toBe(303);
    expect((await patient.send("POST", "/account/profile", form({ ...profile, _csrf: patient.csrf }))).status).toBe(303);
  });

  test("a request from another site is refused even with the token (Sec-Fetch-Site, Origin)", async () => {
    const crossSite = await patient.post("/account/profile", form(profile), { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const foreign = await patient.post("/account/profile", form(profile), { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    // Even before anyone signs in: a foreign page cannot start ceremonies in a visitor's browser.
    const anon = new Client(server);
    expect((await anon.send("POST", "/signin/options", {}, { origin: "https://evil.example" })).status).toBe(403);
  });
});

describe("cookies", () => {
  test("the session cookie is HttpOnly, SameSite=Lax, host-only, Path=/, and not Secure over plain http", async () => {
    const c = new Client(server);
    c.key.credentials.push(...patient.key.credentials);
    const o = await c.post("/signin/options");
    const r = await c.post("/signin/verify", { response: c.key.assert(o.json<{ options: { challenge: string } }>().options) });
    expect(r.status).toBe(200);
    const set = (r.headers["set-cookie"] ?? []).find((h) => h.startsWith("hearth_session="))!;
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Lax/);
    expect(set).toMatch(/; Path=\//);
    expect(set).not.toMatch(/Domain=/i);
    expect(set).not.toMatch(/Secure/);
    expect(set.split(";")[0]!.split("=")[1]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the hash of the id is stored.
    const stored = server.hearth.db.query<{ id_hash: string }, []>("SELECT id_hash FROM sessions").all().map((s) => s.id_hash);
    expect(stored).not.toContain(set.split(";")[0]!.split("=")[1]);
  });

  test("whenever the request came over https (or the appliance is served over https behind a proxy) cookies get Secure and the __Host- prefix", () => {
    const plain = { config: { publicUrl: "http://localhost:8080" } } as Hearth;
    const https = { config: { publicUrl: "https://hearth.clinic.example:8443" } } as Hearth;
    expect(sessionCookie(plain, new Request("http://localhost:8080/"), "x")).toBe("hearth_session=x; Path=/; HttpOnly; SameSite=Lax");
    expect(sessionCookie(plain, new Request("https://localhost:8080/"), "x")).toBe("__Host-hearth_session=x; Path=/; HttpOnly; SameSite=Lax; Secure");
    expect(sessionCookie(https, new Request("http://127.0.0.1:8080/"), "x")).toBe("__Host-hearth_session=x; Path=/; HttpOnly; SameSite=Lax; Secure");
    expect(clearSessionCookie(https, new Request("https://hearth.clinic.example/"))).toContain("Max-Age=0; Secure");
  });
});

describe("timeouts", () => {
  test("staff are signed out after 15 quiet minutes; activity keeps the session; the page carries the warning", async () => {
    const c = await accept(server, await invite(await admin.again(), "clinician"), "Idle Clinician");
    const page = await c.get("/account");
    expect(page.text).toMatch(/id="idle-warning"[^>]*data-ends-in="900"/);
    server.clock.advance(14 * MIN);
    expect((await c.get("/account")).status).toBe(200);
    server.clock.advance(14 * MIN);
    expect((await c.get("/account")).status).toBe(200);
    server.clock.advance(15 * MIN);
    const gone = await c.get("/account");
    expect(gone.status).toBe(401);
    expect(gone.text).toContain("signed out because nothing happened");
    expect((gone.headers["set-cookie"] ?? []).join()).toContain("Max-Age=0");
    // The session row is gone, not just refused.
    expect((await c.send("GET", "/account")).status).toBe(401);
  });

  test("patients get the longer idle limit (30 minutes by default)", async () => {
    const p = await accept(server, await invite(await clinician.again(), "patient"), "Idle Patient");
    server.clock.advance(29 * MIN);
    expect((await p.get("/account")).status).toBe(200);
    server.clock.advance(30 * MIN);
    expect((await p.get("/account")).status).toBe(401);
  });

  test("the absolute timeout ends a busy session after 12 hours", async () => {
    const c = await accept(server, await invite(await admin.again(), "clinician"), "Busy Clinician");
    for (let elapsed = 0; elapsed < 12 * 60; elapsed += 10) {
      expect((await c.get("/")).status).toBe(200);
      server.clock.advance(10 * MIN);
    }
    expect((await c.get("/account")).status).toBe(401);
  });

  test("background refreshes (X-Hearth-Background) do not keep a session alive", async () => {
    const c = await accept(server, await invite(await admin.again(), "clinician"), "Polling Clinician");
    for (let i = 0; i < 9; i++) {
      server.clock.advance(2 * MIN);
      expect((await c.send("GET", "/", undefined, { "x-hearth-background": "1" })).status).toBe(200);
    }
    expect((await c.get("/account")).status).toBe(401);
  });

  test("staying signed in from the warning restarts the idle clock", async () => {
    const c = await accept(server, await invite(await admin.again(), "clinician"), "Stay Clinician");
    server.clock.advance(14 * MIN);
    expect((await c.post("/session/extend")).status).toBe(204);
    server.clock.advance(14 * MIN);
    expect((await c.get("/account")).status).toBe(200);
  });

  test("sign out everywhere ends every session of that person, and only theirs", async () => {
    const boss = await clinician.again();
    const p = await accept(server, await invite(boss, "patient"), "Two Devices");
    const other = new Client(server);
    other.key.credentials.push(...p.key.credentials);
    expect((await other.signIn()).status).toBe(200);
    expect((await p.post("/signout/everywhere")).status).toBe(303);
    expect((await other.get("/account")).status).toBe(401);
    expect((await p.get("/account")).status).toBe(401);
    expect((await boss.get("/invitations")).status).toBe(200);
  });
});

describe("fresh user verification", () => {
  test("key operations need a passkey assertion from the last 5 minutes", async () => {
    const a = new Client(server);
    a.key.credentials.push(...admin.key.credentials);
    expect((await a.signIn()).status).toBe(200);
    expect((await a.post("/account/recovery-codes")).status).toBe(200);
    server.clock.advance(6 * MIN);
    const stale = await a.post("/account/recovery-codes");
    expect(stale.status).toBe(403);
    expect(stale.headers["x-hearth-reverify"]).toBe("1");
    expect((await a.confirm()).status).toBe(200);
    expect((await a.post("/account/recovery-codes")).status).toBe(200);
  });

  test("a confirmation with someone else's passkey does not count", async () => {
    const a = new Client(server);
    a.key.credentials.push(...admin.key.credentials);
    await a.signIn();
    server.clock.advance(6 * MIN);
    const o = await a.post("/confirm/options");
    const theirs = patient.key.assert(o.json<{ options: { challenge: string } }>().options);
    expect((await a.post("/confirm/verify", { response: theirs })).status).toBe(401);
    expect((await a.post("/account/recovery-codes")).status).toBe(403);
  });
});

describe("user verification", () => {
  test("an authenticator that did not verify the user can neither register nor sign in", async () => {
    const link = await invite(await clinician.again(), "patient");
    const c = new Client(server);
    (c.key as { flags: { up: boolean; uv: boolean } }).flags.uv = false;
    await c.get(link);
    expect((await c.register(link, { displayName: "No UV" })).status).toBe(400);
    const p = new Client(server);
    p.key.credentials.push(...patient.key.credentials);
    (p.key as { flags: { up: boolean; uv: boolean } }).flags.uv = false;
    expect((await p.signIn()).status).toBe(401);
  });
});

describe("locked appliance", () => {
  test("unlocking needs a signed-in admin; signing in works while the vault is locked", async () => {
    const dir = tempDir();
    const clock = { now: Date.now() };
    let running = await startServer(testConfig(dir.path), { quiet: true, now: () => clock.now });
    const box = { ...running, dataDir: dir.path, clock: { now: clock.now, advance: () => {} }, close: async () => {} } as unknown as TestServer;
    const a = await firstAdmin(box, "Locked Admin");
    const p = await accept(box, await invite(await accept(box, await invite(a, "clinician"), "C"), "patient"), "P");
    await running.stop();
    await writeIdentity(dir.path, "identity", await readIdentity(dir.path, "identity"), "a long clinic passphrase");
    running = await startServer(testConfig(dir.path), { quiet: true, now: () => clock.now });
    try {
      const lockedBox = { ...box, port: running.port, hearth: running.hearth } as TestServer;
      const post = (c: Client) => c.post("/unlock", form({ passphrase: "a long clinic passphrase" }));
      const anon = new Client(lockedBox);
      expect((await anon.get("/")).text).toContain("first sign in with an administrator");
      expect((await post(anon)).status).toBe(401);
      const patientThere = new Client(lockedBox);
      patientThere.key.credentials.push(...p.key.credentials);
      expect((await patientThere.signIn()).status).toBe(200);
      expect((await post(patientThere)).status).toBe(403);
      expect(running.hearth.vault.unlocked).toBe(false);
      const adminThere = new Client(lockedBox);
      adminThere.key.credentials.push(...a.key.credentials);
      const signedIn = await adminThere.post("/signin/options").then((o) =>
        adminThere.post("/signin/verify", { response: adminThere.key.assert(o.json<{ options: { challenge: string } }>().options) }),
      );
      expect(signedIn.json<{ redirect: string }>().redirect).toBe("/unlock");
      await adminThere.get("/unlock");
      expect((await post(adminThere)).status).toBe(303);
      expect(running.hearth.vault.unlocked).toBe(true);
      const row = running.hearth.db.query<{ actor: string }, []>("SELECT actor FROM audit_log WHERE action = 'appliance.unlock' AND outcome = 'ok'").get();
      expect(row?.actor).toMatch(/^person:\d+$/);
    } finally {
      await running.stop();
      dir.remove();
    }
  }, 30_000);
});
