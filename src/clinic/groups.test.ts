/**
 * Groups through the clinic's pages on a real server (real database, real vault, passkeys from
 * software authenticators): a clinician makes a group, adds a co-facilitator, invites a patient
 * into it, opens a session that the patient's home page offers to join, and ends it. Other
 * clinicians and admins are refused; bad input is answered in words and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { groupRoleOf } from "../identity/policy.ts";
import { findSession } from "./sessions.ts";
import { readGroup, sealLegacyNames } from "./groups.ts";

let server: TestServer;
let admin: Client;
let cleo: Client; // leads the group
let omar: Client; // another clinician: co-facilitator later
let nina: Client; // a clinician of another group
let pat: Client; // a patient Cleo invited directly (not into a group)
const ids = {} as Record<"admin" | "cleo" | "omar" | "nina" | "pat", number>;

const GROUP_NAME = `Anxiety circle ${crypto.randomUUID()}`;
const DESCRIPTION = `Tuesday evenings.\nWe practise grounding ${crypto.randomUUID()}`;
let groupId = 0;

function form(fields: Record<string, string | number>): string {
  return new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();
}

/** A form sent the way the page's htmx sends it: a refusal comes back as a notice for #flash. */
function hx(c: Client, path: string, fields: Record<string, string | number> = {}) {
  return c.post(path, form(fields), { "hx-request": "true" });
}

function rawContains(needle: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  const bytes = Buffer.from(needle, "utf8");
  return ["hearth.db", "hearth.db-wal"].some((f) => {
    const p = join(server.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(bytes);
  });
}

function groupsRow() {
  return server.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM groups").get()!.n;
}

function memberRows(id: number) {
  return server.hearth.db.query<{ person_id: number; role: string }, [number]>("SELECT person_id, role FROM group_members WHERE group_id = ? AND left_at IS NULL ORDER BY person_id").all(id);
}

function auditActions(subject: string): string[] {
  return server.hearth.db.query<{ action: string }, [string]>("SELECT action FROM audit_log WHERE subject = ? ORDER BY id").all(subject).map((r) => r.action);
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  for (const [k, c] of [["admin", admin], ["cleo", cleo], ["omar", omar], ["nina", nina], ["pat", pat]] as const) ids[k] = c.personId;
});
afterAll(() => server?.close());

describe("groups", () => {
  test("a clinician creates a group: it is theirs, listed, and its name and description are sealed at rest", async () => {
    const nav = await cleo.get("/");
    expect(nav.text).toContain('href="/groups"');
    const page = await cleo.get("/groups/new");
    expect(page.status).toBe(200);
    expect(page.text).toContain('name="name"');

    const r = await cleo.post("/groups", form({ name: `  ${GROUP_NAME} `, description: DESCRIPTION }));
    expect(r.status).toBe(303);
    const m = /^\/groups\/(\d+)\?done=created$/.exec(r.headers.location ?? "");
    expect(m).not.toBeNull();
    groupId = Number(m![1]);

    const shown = await cleo.get(`/groups/${groupId}`);
    expect(shown.status).toBe(200);
    expect(shown.text).toContain(`<h1>${GROUP_NAME}</h1>`);
    expect(shown.text).toContain("Tuesday evenings.");
    expect(shown.text).toContain("Cleo Clinician (you)");
    // The name stays out of the page title, which browsers keep in their history.
    expect(/<title>([^<]*)<\/title>/.exec(shown.text)![1]).not.toContain("Anxiety");
    expect(groupRoleOf(server.hearth, ids.cleo, groupId)).toBe("clinician");
    expect((await cleo.get("/groups")).text).toContain(GROUP_NAME);

    // Sealed: neither the name nor the description is anywhere in the database files.
    expect(rawContains(GROUP_NAME)).toBe(false);
    expect(rawContains(DESCRIPTION.split("\n")[1]!)).toBe(false);
    const row = server.hearth.db.query<{ name: string; sealed_name: Uint8Array }, [number]>("SELECT name, sealed_name FROM groups WHERE id = ?").get(groupId)!;
    expect(row.name).toBe("");
    expect(Buffer.from(row.sealed_name).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    // Audited by id: made, its first clinician added, read.
    const actions = auditActions(`group:${groupId}`);
    expect(actions.slice(0, 2)).toEqual(["group.created", "group.member_added"]);
    expect(actions).toContain("group.read");
    const audit = server.hearth.db.query<{ all: string }, []>("SELECT group_concat(actor || action || subject, ' ') AS 'all' FROM audit_log").get()!.all;
    expect(audit).not.toContain("Anxiety");
  });

  test("the raw-bytes check can fail: a plain value written without sealing is found", () => {
    const control = `Plain ${crypto.randomUUID()}`;
    server.hearth.db.exec("CREATE TABLE IF NOT EXISTS scratch (v TEXT)");
    server.hearth.db.query("INSERT INTO scratch VALUES (?)").run(control);
    expect(rawContains(control)).toBe(true);
  });

  test("a co-facilitator from the clinic's clinicians; a patient or an unknown person cannot be one", async () => {
    const page = await cleo.get(`/groups/${groupId}`);
    expect(page.text).toContain(`<option value="${ids.omar}">Omar Clinician</option>`);
    const before = memberRows(groupId);

    const asPatient = await hx(cleo, `/groups/${groupId}/clinicians`, { personId: ids.pat });
    expect(asPatient.status).toBe(400);
    expect(asPatient.text).toContain("Only clinicians can co-facilitate a group");
    expect(asPatient.text).not.toContain("<html");
    const unknown = await hx(cleo, `/groups/${groupId}/clinicians`, { personId: 999999 });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain("not known to Hearth");
    expect(memberRows(groupId)).toEqual(before);

    const added = await hx(cleo, `/groups/${groupId}/clinicians`, { personId: ids.omar });
    expect(added.status).toBe(204);
    expect(added.headers["hx-redirect"]).toBe(`/groups/${groupId}?done=clinician`);
    expect(groupRoleOf(server.hearth, ids.omar, groupId)).toBe("clinician");
    const again = await hx(cleo, `/groups/${groupId}/clinicians`, { personId: ids.omar });
    expect(again.status).toBe(409);

    // The co-facilitator now sees the group and its people.
    const omarsView = await omar.get(`/groups/${groupId}`);
    expect(omarsView.status).toBe(200);
    expect(omarsView.text).toContain("Cleo Clinician");
    expect(auditActions(`group:${groupId}`)).toContain("group.clinician_added");
  });

  test("an invitation to the group, once accepted, makes the new person a member", async () => {
    await cleo.get(`/groups/${groupId}`);
    const r = await cleo.post(`/groups/${groupId}/invitations`, form({ role: "patient", days: 7 }));
    expect(r.status).toBe(201);
    expect(r.text).toContain("<svg");
    expect(r.text).toContain(`href="/groups/${groupId}"`);
    const url = /value="([^"]+)"[^>]*data-invite-link/.exec(r.text)![1]!;
    const inv = server.hearth.db.query<{ group_id: number; role: string }, []>("SELECT group_id, role FROM invitations ORDER BY id DESC LIMIT 1").get()!;
    expect(inv).toEqual({ group_id: groupId, role: "patient" });

    const mia = await accept(server, new URL(url).pathname, "Mia Member");
    const miaId = mia.personId;
    expect(groupRoleOf(server.hearth, miaId, groupId)).toBe("member");
    expect((await cleo.get(`/groups/${groupId}`)).text).toContain("Mia Member");
    // Mia's name shown to Cleo is audited (by id).
    const shown = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'profile.name_read' AND subject = ?").get(`person:${miaId}`)!.n;
    expect(shown).toBeGreaterThan(0);
    // Someone Cleo already cares for is added without an invitation.
    const existing = await hx(cleo, `/groups/${groupId}/members`, { personId: ids.pat });
    expect(existing.status).toBe(204);
    expect(groupRoleOf(server.hearth, ids.pat, groupId)).toBe("member");
  });

  test("a guest invitation makes a guest of the group; a clinician who left the group can no longer bring people in", async () => {
    await omar.get(`/groups/${groupId}`);
    const r = await omar.post(`/groups/${groupId}/invitations`, form({ role: "guest", days: 3, accessDays: 1 }));
    expect(r.status).toBe(201);
    const url = new URL(/value="([^"]+)"[^>]*data-invite-link/.exec(r.text)![1]!).pathname;
    const gil = await accept(server, url, "Gil Guest");
    expect(groupRoleOf(server.hearth, gil.personId, groupId)).toBe("guest");

    const r2 = await omar.post(`/groups/${groupId}/invitations`, form({ role: "patient" }));
    const late = new URL(/value="([^"]+)"[^>]*data-invite-link/.exec(r2.text)![1]!).pathname;
    await omar.get(`/groups/${groupId}`);
    expect((await hx(omar, `/groups/${groupId}/members/${ids.omar}/remove`)).headers["hx-redirect"]).toBe("/groups");
    expect(groupRoleOf(server.hearth, ids.omar, groupId)).toBeNull();
    const lou = await accept(server, late, "Lou Late");
    expect(groupRoleOf(server.hearth, lou.personId, groupId)).toBeNull();
    expect((await omar.get(`/groups/${groupId}`)).status).toBe(403);
  });

  test("open session now → the member's home offers Join → end session → Join is gone", async () => {
    const home = await pat.get("/");
    expect(home.text).toContain(GROUP_NAME);
    expect(home.text).not.toContain("Join the session");
    const state = /hx-get="\/groups\/mine\?v=([0-9a-f]+)"/.exec(home.text)![1]!;
    expect((await pat.get(`/groups/mine?v=${state}`)).status).toBe(204);

    // A clinician's home names only groups with a session open now.
    expect((await cleo.get("/")).text).not.toContain(GROUP_NAME);
    await cleo.get(`/groups/${groupId}`);
    const opened = await cleo.post(`/groups/${groupId}/sessions`, "");
    expect(opened.status).toBe(303);
    const sessionId = Number(/^\/sessions\/(\d+)$/.exec(opened.headers.location ?? "")![1]);
    expect(findSession(server.hearth.db, sessionId)).toMatchObject({ groupId, openedBy: ids.cleo, closedAt: null });
    expect(auditActions(`group_session:${sessionId}`)).toEqual(["group_session.opened"]);
    // A second press while it is open goes to the same session.
    expect((await cleo.post(`/groups/${groupId}/sessions`, "")).headers.location).toBe(`/sessions/${sessionId}`);

    const joinable = await pat.get("/");
    expect(joinable.text).toContain(`href="/sessions/${sessionId}"`);
    expect(joinable.text).toContain(`aria-label="Join the session of ${GROUP_NAME}"`);
    // The open page learns it by polling: the old fingerprint no longer matches.
    const polled = await pat.get(`/groups/mine?v=${state}`);
    expect(polled.status).toBe(200);
    expect(polled.text).toContain(`href="/sessions/${sessionId}"`);
    const cleoPage = await cleo.get(`/groups/${groupId}`);
    expect(cleoPage.text).toContain(`action="/groups/${groupId}/sessions/${sessionId}/end"`);
    const cleoHome = (await cleo.get("/")).text;
    expect(cleoHome).toContain(`href="/sessions/${sessionId}"`);
    expect(cleoHome).toContain(GROUP_NAME);

    const ended = await hx(cleo, `/groups/${groupId}/sessions/${sessionId}/end`);
    expect(ended.status).toBe(204);
    expect(ended.headers["hx-redirect"]).toBe(`/groups/${groupId}?done=ended`);
    expect(findSession(server.hearth.db, sessionId)!.closedAt).not.toBeNull();
    expect(auditActions(`group_session:${sessionId}`)).toEqual(["group_session.opened", "group_session.closed"]);
    const after = await pat.get("/");
    expect(after.text).toContain(GROUP_NAME);
    expect(after.text).not.toContain(`/sessions/${sessionId}`);
    expect((await hx(cleo, `/groups/${groupId}/sessions/${sessionId}/end`)).status).toBe(409);
  });

  test("ending from the group page ends the live room: everyone in it is told and let go", async () => {
    await cleo.get(`/groups/${groupId}`);
    const opened = await cleo.post(`/groups/${groupId}/sessions`, "");
    const sessionId = Number(opened.headers.location!.split("/").pop());
    const url = `${server.url.replace(/^http/, "ws")}/rooms/${sessionId}/ws`;
    const cookie = (c: Client) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const sockets = [cleo, pat].map((c) => {
      const ws = new WebSocket(url, { headers: { cookie: cookie(c) } } as unknown as string[]);
      const seen: string[] = [];
      const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
      const welcomed = new Promise<void>((resolve) =>
        ws.addEventListener("message", (e) => {
          const type = (JSON.parse(String(e.data)) as { type: string }).type;
          seen.push(type);
          if (type === "welcome") resolve();
        }),
      );
      return { ws, seen, closed, welcomed };
    });
    await Promise.all(sockets.map((s) => s.welcomed));
    expect(server.rooms.room(sessionId)).toBeDefined();

    const ended = await hx(cleo, `/groups/${groupId}/sessions/${sessionId}/end`);
    expect(ended.status).toBe(204);
    expect(await Promise.all(sockets.map((s) => s.closed))).toEqual([4410, 4410]);
    for (const s of sockets) expect(s.seen).toContain("ended");
    expect(findSession(server.hearth.db, sessionId)!.closedAt).not.toBeNull();
  });

  test("a clinician of another group, an admin, and a member are refused the group's page and actions", async () => {
    const before = { members: memberRows(groupId), sessions: server.hearth.db.query("SELECT count(*) AS n FROM group_sessions").get() };
    await nina.get("/");
    for (const [method, path, body] of [
      ["GET", `/groups/${groupId}`, undefined],
      ["POST", `/groups/${groupId}/clinicians`, { personId: ids.nina }],
      ["POST", `/groups/${groupId}/members`, { personId: ids.pat }],
      ["POST", `/groups/${groupId}/members/${ids.pat}/remove`, {}],
      ["POST", `/groups/${groupId}/invitations`, { role: "patient" }],
      ["POST", `/groups/${groupId}/sessions`, {}],
    ] as const) {
      const r = method === "GET" ? await nina.get(path) : await nina.post(path, form(body as Record<string, number>));
      expect([method, path, r.status]).toEqual([method, path, 403]);
      expect(r.headers["x-hearth-refused-by"]).toBe("policy");
    }
    // Nina's own list shows none of it.
    expect((await nina.get("/groups")).text).not.toContain(GROUP_NAME);

    // An admin sees no group at all: not the list, not the page, not the name on any page they reach.
    for (const path of ["/groups", `/groups/${groupId}`, "/groups/new"]) expect((await admin.get(path)).status).toBe(403);
    for (const path of ["/", "/people", "/invitations"]) expect((await admin.get(path)).text).not.toContain(GROUP_NAME);
    expect((await admin.get("/")).text).not.toContain('href="/groups"');

    // A member sees the group on their home page, never its management page.
    expect((await pat.get(`/groups/${groupId}`)).status).toBe(403);
    expect((await pat.get("/")).text).not.toContain('href="/groups"');

    expect(memberRows(groupId)).toEqual(before.members);
    expect(server.hearth.db.query("SELECT count(*) AS n FROM group_sessions").get()).toEqual(before.sessions);
  });

  test("bad input is answered in words, in #flash for htmx, and changes nothing", async () => {
    await cleo.get("/groups/new");
    const groups = groupsRow();
    const cases: [Record<string, string | number>, number, string][] = [
      [{ name: "   " }, 400, "Please give the group a name."],
      [{ name: "x".repeat(81) }, 400, "The name is too long: at most 80 characters."],
      [{ name: "Fine", description: "y".repeat(1001) }, 400, "The description is too long: at most 1000 characters."],
    ];
    for (const [fields, status, message] of cases) {
      const r = await hx(cleo, "/groups", fields);
      expect(r.status).toBe(status);
      expect(r.text).toContain(message);
      expect(r.text).toContain('class="notice notice-error"');
    }
    // Without htmx, the same refusal is a whole page.
    const plain = await cleo.post("/groups", form({ name: "" }));
    expect(plain.status).toBe(400);
    expect(plain.text).toContain("<html");
    expect(plain.text).toContain("Please give the group a name.");
    expect(groupsRow()).toBe(groups);

    await cleo.get(`/groups/${groupId}`);
    const members = memberRows(groupId);
    // A clinician is not a member; a person Cleo does not care for cannot be added; strangers are unknown.
    expect((await hx(cleo, `/groups/${groupId}/members`, { personId: ids.nina })).text).toContain("Only patients and guests join as members");
    const outsider = await accept(server, await invite(nina, "patient"), "Olive Outsider");
    const notMine = await hx(cleo, `/groups/${groupId}/members`, { personId: outsider.personId });
    expect(notMine.status).toBe(403);
    expect(notMine.text).toContain("only add people you already care for");
    expect((await hx(cleo, `/groups/${groupId}/members`, { personId: 999999 })).status).toBe(404);
    expect((await hx(cleo, `/groups/${groupId}/members/999999/remove`)).status).toBe(404);
    expect((await hx(cleo, `/groups/${groupId}/members`, { personId: "abc" })).status).toBe(400);
    // The last clinician cannot leave the group without anyone to lead it.
    const last = await hx(cleo, `/groups/${groupId}/members/${ids.cleo}/remove`);
    expect(last.status).toBe(409);
    expect(last.text).toContain("at least one clinician");
    // A session of another group cannot be ended through this one.
    const other = await nina.post("/groups", form({ name: "Nina's group" }));
    const ninaGroup = Number(/\/groups\/(\d+)/.exec(other.headers.location!)![1]);
    await nina.get(`/groups/${ninaGroup}`);
    const ninaSession = Number((await nina.post(`/groups/${ninaGroup}/sessions`, "")).headers.location!.split("/").pop());
    expect((await hx(cleo, `/groups/${groupId}/sessions/${ninaSession}/end`)).status).toBe(404);
    expect(findSession(server.hearth.db, ninaSession)!.closedAt).toBeNull();
    expect(memberRows(groupId)).toEqual(members);
  });

  test("removing a member takes them out: no group on their home page, no room", async () => {
    await cleo.get(`/groups/${groupId}`);
    const r = await hx(cleo, `/groups/${groupId}/members/${ids.pat}/remove`);
    expect(r.headers["hx-redirect"]).toBe(`/groups/${groupId}?done=removed`);
    expect(groupRoleOf(server.hearth, ids.pat, groupId)).toBeNull();
    expect((await pat.get("/")).text).not.toContain(GROUP_NAME);
    expect(auditActions(`group:${groupId}`)).toContain("group.member_removed");
  });

  test("the pages read in French", async () => {
    cleo.cookies.set("hearth_lang", "fr");
    try {
      expect((await cleo.get("/groups")).text).toContain("Vos groupes");
      expect((await cleo.get(`/groups/${groupId}`)).text).toContain("Ouvrir une séance maintenant");
    } finally {
      cleo.cookies.delete("hearth_lang");
    }
  });

  test("a group named before names were sealed is sealed at start, and still reads the same", async () => {
    const legacy = `Legacy name ${crypto.randomUUID()}`;
    const id = server.hearth.db.query<{ id: number }, [string, number]>("INSERT INTO groups (name, created_at) VALUES (?, ?) RETURNING id").get(legacy, 1)!.id;
    expect((await readGroup(server.hearth, ids.cleo, id))!.name).toBe(legacy);
    expect(rawContains(legacy)).toBe(true);
    expect(await sealLegacyNames(server.hearth)).toBe(1);
    expect((await readGroup(server.hearth, ids.cleo, id))!.name).toBe(legacy);
    expect(rawContains(legacy)).toBe(false);
    expect(await sealLegacyNames(server.hearth)).toBe(0);
    expect(auditActions(`group:${id}`)).toContain("group.name_sealed");
  });
});
