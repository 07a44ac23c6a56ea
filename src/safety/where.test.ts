import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { makeGroup, type GroupFixture } from "../../tests/room-fixture.ts";
import { writeContacts } from "../identity/people.ts";
import { createSession } from "../identity/sessions.ts";
import { Client } from "../identity/test-client.ts";
import { readWhereabouts } from "./whereabouts.ts";

let server: TestServer;
let g: GroupFixture;
let other: GroupFixture;

/** A signed-in client for a person of the fixture (the session cookie a browser would hold). */
async function as(personId: number): Promise<Client> {
  const c = new Client(server);
  c.cookies.set("hearth_session", createSession(server.hearth, personId).id);
  await c.get("/");
  return c;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const auditCount = (action: string, owner: number) =>
  server.hearth.db.query<{ n: number }, [string, number]>("SELECT count(*) AS n FROM audit_log WHERE action = ? AND owner_id = ?").get(action, owner)!.n;

beforeAll(async () => {
  server = await startTestServer();
  g = await makeGroup(server.hearth, 2);
  other = await makeGroup(server.hearth, 1);
  await writeContacts(server.hearth, g.memberIds[0]!, g.memberIds[0]!, { reminderContact: "+1 514 555 0101", emergencyContact: "Sam (sister) 514 555 0199", usualLocation: "12 Elm Street, apt 3" });
});
afterAll(() => server?.close());

describe("where are you today", () => {
  test("the waiting room asks, pre-filled from the member's profile", async () => {
    const member = await as(g.memberIds[0]!);
    const page = await member.get(`/sessions/${g.sessionId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`hx-get="/sessions/${g.sessionId}/where?part=form"`);
    const part = await member.get(`/sessions/${g.sessionId}/where?part=form`);
    expect(part.text).toContain('value="12 Elm Street, apt 3"');
    expect(part.text).toContain('value="+1 514 555 0101"');
    expect(part.text).toContain('value="Sam (sister) 514 555 0199"');
  });

  test("an answer is kept sealed for this session; a bad phone is refused by name and the answer stays", async () => {
    const member = await as(g.memberIds[0]!);
    const saved = await member.post(`/sessions/${g.sessionId}/where`, form({ location: "Café Olimpico, rue Saint-Viateur", phone: "514-555-0142", emergencyContact: "Sam 514 555 0199", inline: "1" }), { "hx-request": "true" });
    expect(saved.status).toBe(200);
    expect(saved.text).toContain("Your facilitators can see this");
    for (const [fields, message] of [
      [{ location: "x", phone: "call me" }, "Phone number: use digits"],
      [{ location: "x".repeat(301), phone: "514" }, "Where you are: at most 300 characters"],
      [{ location: "x", emergencyContact: "y".repeat(201) }, "Emergency contact: at most 200"],
    ] as const) {
      const r = await member.post(`/sessions/${g.sessionId}/where`, form(fields));
      expect(r.status).toBe(400);
      expect(r.text).toContain(message);
    }
    const kept = await readWhereabouts(server.hearth, g.memberIds[0]!, g.sessionId, g.memberIds[0]!);
    expect(kept).toMatchObject({ location: "Café Olimpico, rue Saint-Viateur", phone: "514-555-0142" });
    const raw = Buffer.concat([readFileSync(join(server.dataDir, "hearth.db")), readFileSync(join(server.dataDir, "hearth.db-wal"))]);
    expect(raw.includes(Buffer.from("Olimpico"))).toBe(false);
    // Never into the profile: next session starts from the profile again.
    const part = await member.get(`/sessions/${other.sessionId}/where?part=form`);
    expect(part.status).toBe(403);
  });

  test("only the group's clinicians see it, on the session's safety record, each view audited", async () => {
    const clinician = await as(g.clinicianIds[0]!);
    const before = auditCount("whereabouts.read", g.memberIds[0]!);
    const record = await clinician.get(`/groups/${g.groupId}/sessions/${g.sessionId}/safety`);
    expect(record.status).toBe(200);
    expect(record.text).toContain("Café Olimpico, rue Saint-Viateur");
    expect(record.text).toContain("514-555-0142");
    expect(auditCount("whereabouts.read", g.memberIds[0]!)).toBe(before + 1);
    // Another member of the same group, and the clinician of another group, see none of it.
    const patientB = await as(g.memberIds[1]!);
    const refusedB = await patientB.get(`/groups/${g.groupId}/sessions/${g.sessionId}/safety`);
    expect(refusedB.status).toBe(403);
    expect(refusedB.text).not.toContain("Olimpico");
    const otherClinician = await as(other.clinicianIds[0]!);
    expect((await otherClinician.get(`/groups/${g.groupId}/sessions/${g.sessionId}/safety`)).status).toBe(403);
    // A clinician of the group asking with another group's session gets nothing either.
    expect((await clinician.get(`/groups/${g.groupId}/sessions/${other.sessionId}/safety`)).status).toBe(404);
  });

  test("when the group requires it, a member answers before they can knock (page and socket)", async () => {
    const clinician = await as(g.clinicianIds[0]!);
    const set = await clinician.post(`/groups/${g.groupId}/safety`, form({ locationRequired: "1" }));
    expect(set.status).toBe(303);
    const b = g.memberIds[1]!;
    const patientB = await as(b);
    const gate = await patientB.get(`/sessions/${g.sessionId}`);
    expect(gate.status).toBe(303);
    expect(gate.headers.location).toBe(`/sessions/${g.sessionId}/where`);
    const upgrade = await fetch(`${server.url}/rooms/${g.sessionId}/ws`, {
      headers: { cookie: g.members[1]!, connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" },
    });
    expect(upgrade.status).toBe(409);
    expect(await upgrade.text()).toContain("answer on the session");
    const page = await patientB.get(`/sessions/${g.sessionId}/where`);
    expect(page.text).toContain("Your group asks everyone to answer this before joining");
    const missing = await patientB.post(`/sessions/${g.sessionId}/where`, form({ location: "Home", phone: "" }));
    expect(missing.status).toBe(400);
    expect(missing.text).toContain("Phone number: your group asks for this");
    const ok = await patientB.post(`/sessions/${g.sessionId}/where`, form({ location: "Home, 4 Pine Road", phone: "+44 20 7946 0000" }));
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/sessions/${g.sessionId}`);
    expect((await patientB.get(`/sessions/${g.sessionId}`)).status).toBe(200);
  });

  test("the code word is set by the group's clinicians only, stored sealed, and checked in words", async () => {
    const clinician = await as(g.clinicianIds[0]!);
    const r = await clinician.post(`/groups/${g.groupId}/safety`, form({ locationRequired: "1", codeWord: "Blue Heron" }));
    expect(r.status).toBe(303);
    const sealed = server.hearth.db.query<{ code_word: Uint8Array }, [number]>("SELECT code_word FROM group_safety WHERE group_id = ?").get(g.groupId)!.code_word;
    expect(Buffer.from(sealed).includes(Buffer.from("heron"))).toBe(false);
    expect((await clinician.get(`/groups/${g.groupId}/safety`)).text).toContain("A code word is set.");
    const long = await clinician.post(`/groups/${g.groupId}/safety`, form({ codeWord: "w".repeat(41) }));
    expect(long.status).toBe(400);
    expect(long.text).toContain("Code word: at most 40 characters");
    const member = await as(g.memberIds[0]!);
    expect((await member.post(`/groups/${g.groupId}/safety`, form({ codeWord: "mine" }))).status).toBe(403);
    expect((await as(other.clinicianIds[0]!)).post(`/groups/${g.groupId}/safety`, form({ codeWord: "x" })).then((x) => x.status)).resolves.toBe(403);
  });
});
