/**
 * Invitations, passkeys, recovery, roles, profile and "who has seen my data", through the real
 * server and real ceremonies (software authenticator).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, Client, firstAdmin, invite } from "./test-client.ts";
import { activePasskeys } from "./passkeys.ts";

const DAY = 24 * 60 * 60 * 1000;
let server: TestServer;
let admin: Client;
let clinician: Client;

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  clinician = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
});
afterAll(() => server?.close());

describe("invitations", () => {
  test("the token is 256 random bits, stored only as a hash, bound to its role, and works once", async () => {
    const link = await invite(clinician, "patient");
    const token = link.split("/").pop()!;
    expect(Buffer.from(token, "base64url").length).toBe(32);
    const rows = server.hearth.db.query<{ token_hash: string; role: string }, []>("SELECT token_hash, role FROM invitations").all();
    expect(rows.some((r) => r.token_hash.includes(token))).toBe(false);
    const p = await accept(server, link, "Once");
    expect((await p.get("/")).text).toContain("Hello, Once");
    expect(server.hearth.db.query<{ role: string }, [number]>("SELECT role FROM people WHERE id = ?").get(p.personId)!.role).toBe("patient");
    const again = new Client(server);
    const page = await again.get(link);
    expect(page.status).toBe(410);
    expect(page.text).toContain("already been used");
    expect((await again.register(link, { displayName: "Twice" })).status).toBe(410);
  });

  test("two people racing on one link: only one account is made", async () => {
    const link = await invite(clinician, "patient");
    const [a, b] = [new Client(server), new Client(server)];
    await Promise.all([a.get(link), b.get(link)]);
    const [oa, ob] = await Promise.all([a.post(`${link}/options`, { displayName: "A" }), b.post(`${link}/options`, { displayName: "B" })]);
    const [ra, rb] = await Promise.all([
      a.post(`${link}/verify`, { response: a.key.register(oa.json<{ options: never }>().options) }),
      b.post(`${link}/verify`, { response: b.key.register(ob.json<{ options: never }>().options) }),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([200, 410]);
  });

  test("each role invites only whom it may: admins staff, clinicians patients and guests", async () => {
    expect((await clinician.post("/invitations", "role=clinician")).status).toBe(403);
    expect((await clinician.post("/invitations", "role=admin")).status).toBe(403);
    expect((await admin.post("/invitations", "role=patient")).status).toBe(403);
    const p = await accept(server, await invite(clinician, "patient"), "Curious");
    expect((await p.post("/invitations", "role=patient")).status).toBe(403);
  });

  test("a group-bound invitation needs the inviter to run that group (no groups yet: refused for clinicians)", async () => {
    expect((await clinician.post("/invitations", "role=patient&groupId=7")).status).toBe(403);
    expect((await admin.post("/invitations", "role=clinician&groupId=7")).status).toBe(201);
    expect(server.hearth.db.query<{ group_id: number }, []>("SELECT group_id FROM invitations ORDER BY id DESC LIMIT 1").get()!.group_id).toBe(7);
  });

  test("withdrawn and expired links get the kind page; an unknown one says it may be incomplete", async () => {
    const withdrawn = await invite(clinician, "patient");
    const expiring = await invite(clinician, "guest");
    const id = server.hearth.db.query<{ id: number }, []>("SELECT id FROM invitations WHERE role = 'patient' ORDER BY id DESC LIMIT 1").get()!.id;
    expect((await clinician.post(`/invitations/${id}/revoke`)).status).toBe(303);
    const visitor = new Client(server);
    const w = await visitor.get(withdrawn);
    expect(w.status).toBe(410);
    expect(w.text).toContain("withdrawn");
    expect(w.text).toContain("ask your clinician");
    const unknown = await visitor.get(`/invite/${"Z".repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain("may be incomplete");
    server.clock.advance(7 * DAY + 1);
    const e = await visitor.get(expiring);
    expect(e.status).toBe(410);
    expect(e.text).toContain("expired");
    const actions = server.hearth.db.query<{ action: string }, []>("SELECT action FROM audit_log WHERE subject LIKE 'invitation:%'").all().map((r) => r.action);
    expect(actions).toContain("invitation.created");
    expect(actions).toContain("invitation.used");
    expect(actions).toContain("invitation.revoked");
    admin = await admin.again();
    clinician = await clinician.again();
  });

  test("a guest's access ends when their invitation said", async () => {
    const guest = await accept(server, await invite(clinician, "guest", { accessDays: "1" }), "Interpreter");
    expect((await guest.get("/account")).status).toBe(200);
    server.clock.advance(DAY + 1);
    expect((await guest.get("/account")).status).toBe(401);
    const back = new Client(server);
    back.key.credentials.push(...guest.key.credentials);
    expect((await back.signIn()).status).toBe(401);
    admin = await admin.again();
    clinician = await clinician.again();
  });
});

describe("passkeys", () => {
  test("several named passkeys with last use; any but the last can be revoked, and a revoked one no longer signs in", async () => {
    const p = await accept(server, await invite(clinician, "patient"), "Keys");
    const laptop = new Client(server);
    laptop.cookies.set("hearth_session", p.cookies.get("hearth_session")!);
    laptop.csrf = p.csrf;
    const o = await laptop.post("/account/passkeys/options", { name: "Work laptop" });
    expect((await laptop.post("/account/passkeys/verify", { response: laptop.key.register(o.json<{ options: never }>().options) })).status).toBe(200);
    const page = await p.get("/account");
    expect(page.text).toContain("Work laptop");
    expect(page.text).toContain("First passkey");
    const keys = activePasskeys(server.hearth, p.personId);
    expect(keys.length).toBe(2);
    expect((await p.post(`/account/passkeys/${keys[0]!.id}/revoke`)).status).toBe(303);
    expect((await p.post(`/account/passkeys/${keys[1]!.id}/revoke`)).status).toBe(409);
    const old = new Client(server);
    old.key.credentials.push(...p.key.credentials);
    const refused = await old.signIn();
    expect(refused.status).toBe(401);
    expect(refused.json<{ error: string }>().error).toContain("removed");
    expect((await laptop.again()).cookies.size).toBeGreaterThan(0);
    const last = activePasskeys(server.hearth, p.personId)[0]!;
    expect(last.lastUsedAt).not.toBeNull();
  });
});

describe("recovery", () => {
  test("a patient who lost every passkey is re-invited by their clinician: old passkeys revoked, same account, audited", async () => {
    const p = await accept(server, await invite(clinician, "patient"), "Lost Phone");
    const id = p.personId;
    const other = await accept(server, await invite(await accept(server, await invite(admin, "clinician"), "Other"), "patient"), "Not yours");
    void other;
    const page = await clinician.post(`/people/${id}/reinvite`);
    expect(page.status).toBe(201);
    const link = new URL(/value="([^"]+)"[^>]*data-invite-link/.exec(page.text)![1]!).pathname;
    expect((await p.get("/account")).status).toBe(401);
    const stolen = new Client(server);
    stolen.key.credentials.push(...p.key.credentials);
    expect((await stolen.signIn()).status).toBe(401);
    const landing = await new Client(server).get(link);
    expect(landing.text).toContain("new passkey for your existing account");
    expect(landing.text).not.toContain('name="displayName"');
    const back = new Client(server);
    await back.get(link);
    expect((await back.register(link)).status).toBe(200);
    await back.get("/");
    expect(back.personId).toBe(id);
    const rows = server.hearth.audit.forOwner(id).map((r) => `${r.action}:${r.actor === `person:${clinician.personId}` ? "clinician" : r.actor}`);
    expect(rows).toContain("passkeys.revoked_all:clinician");
    expect(rows).toContain("invitation.reissued:clinician");
  });

  test("a clinician cannot re-invite someone they do not care for", async () => {
    const theirs = await accept(server, await invite(admin, "clinician"), "Theirs");
    const p = await accept(server, await invite(theirs, "patient"), "Their patient");
    expect((await clinician.post(`/people/${p.personId}/reinvite`)).status).toBe(403);
    expect(activePasskeys(server.hearth, p.personId).length).toBe(1);
  });

  test("the last admin uses a one-time recovery code (stored hashed): old passkeys revoked, a new one registered", async () => {
    const r = await admin.post("/account/recovery-codes");
    const codes = [...r.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes.length).toBe(10);
    const stored = server.hearth.db.query<{ code_hash: string }, []>("SELECT code_hash FROM recovery_codes").all();
    expect(stored.some((s) => codes.includes(s.code_hash))).toBe(false);
    const adminId = admin.personId;
    const lost = new Client(server);
    expect((await lost.send("POST", "/recover", "code=not-a-real-code")).status).toBe(401);
    const used = await lost.send("POST", "/recover", `code=${codes[3]!.toUpperCase().replaceAll("-", "")}`);
    expect(used.status).toBe(303);
    const link = used.headers.location!;
    expect(link).toMatch(/^\/invite\//);
    expect(activePasskeys(server.hearth, adminId).length).toBe(0);
    expect((await admin.get("/account")).status).toBe(401);
    await lost.get(link);
    expect((await lost.register(link)).status).toBe(200);
    await lost.get("/");
    expect(lost.personId).toBe(adminId);
    expect((await new Client(server).send("POST", "/recover", `code=${codes[3]}`)).status).toBe(401);
    admin = lost;
  });
});

describe("roles", () => {
  test("an admin changes a clinician's role after a fresh check; it is audited; the last admin cannot be demoted", async () => {
    const c = await accept(server, await invite(admin, "clinician"), "Promoted");
    const id = c.personId;
    expect((await admin.post(`/people/${id}/role`, "role=admin")).status).toBe(303);
    expect((await c.get("/account")).status).toBe(401);
    expect(server.hearth.audit.forOwner(id).some((r) => r.action === "role.changed")).toBe(true);
    expect((await admin.post(`/people/${id}/role`, "role=clinician")).status).toBe(303);
    expect((await admin.post(`/people/${admin.personId}/role`, "role=clinician")).status).toBe(409);
    server.clock.advance(6 * 60 * 1000);
    const stale = await admin.post(`/people/${id}/role`, "role=admin");
    expect(stale.status).toBe(403);
  });
});

describe("profile and who has seen my data", () => {
  test("the profile is sealed at rest; the preferred language switches the UI", async () => {
    const p = await accept(server, await invite(await clinician.again(), "patient"), "Sealed Person");
    await p.get("/account");
    const saved = await p.post(
      "/account/profile",
      new URLSearchParams({ displayName: "Sealed Person", pronouns: "they/them", language: "fr", reminderContact: "sam@example.org", emergencyContact: "Call Robin 555-0142", usualLocation: "12 Quiet Lane" }).toString(),
    );
    expect(saved.status).toBe(303);
    expect((saved.headers["set-cookie"] ?? []).join()).toContain("hearth_lang=fr");
    expect((await p.get("/account")).text).toContain('lang="fr"');
    server.hearth.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const raw = readFileSync(join(server.dataDir, "hearth.db")).toString("latin1");
    for (const secret of ["Sealed Person", "they/them", "sam@example.org", "555-0142", "Quiet Lane"]) expect(raw).not.toContain(secret);
    const actions = server.hearth.audit.forOwner(p.personId).map((r) => r.action);
    expect(actions).toContain("profile.written");
    expect(actions).toContain("contacts.written");
    expect(actions).toContain("contacts.read");
    expect(server.hearth.db.query("SELECT 1 FROM audit_log WHERE subject LIKE '%Sealed%' OR actor LIKE '%Sealed%'").get()).toBeNull();
  });

  test("a patient reads who saw their data, and nothing about anyone else", async () => {
    const boss = await clinician.again();
    const mine = await accept(server, await invite(boss, "patient"), "Mine");
    const theirs = await accept(server, await invite(boss, "patient"), "Theirs");
    await boss.get("/people");
    await boss.get(`/people/${theirs.personId}`);
    const page = await mine.get("/account/seen");
    expect(page.status).toBe(200);
    expect(page.text).toContain("Cleo Clinician (Clinician)");
    expect(page.text).toContain("Saw your name in a list");
    const rows = page.text.match(/<tr data-audit-row>/g)!.length;
    expect(rows).toBe(server.hearth.audit.forOwner(mine.personId).length);
    const theirRows = server.hearth.audit.forOwner(theirs.personId).length;
    const mineRows = server.hearth.audit.forOwner(mine.personId).length;
    expect(theirRows).toBeGreaterThan(mineRows);
    expect(page.text).not.toContain("Theirs");
  });

  test("an admin sees patients by number only, never by name", async () => {
    const a = await admin.again();
    const page = await a.get("/people");
    expect(page.text).toContain("Patient #");
    expect(page.text).not.toContain("Sealed Person");
    expect(page.text).toContain("Cleo Clinician");
  });
});
