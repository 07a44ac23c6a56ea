/**
 * A group's required consent forms, through the real routes and passkey ceremonies: a clinician
 * of the group ticks the forms on the group's page; a member who has not signed each one in its
 * latest version sees, on the session's page, what to sign (links) instead of the room, and the
 * room's socket refuses them; once signed they get the room; a new version closes the door again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { createSession } from "../clinic/sessions.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let omar: Client;
let pat: Client;
let groupId = 0;
let sessionId = 0;
const forms: number[] = [];
const form = (fields: Record<string, string | number>) => new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();

async function sign(c: Client, id: number): Promise<number> {
  const page = (await c.get(`/portal/consent/forms/${id}`)).text;
  const versionId = /name="versionId" value="(\d+)"/.exec(page)?.[1] ?? "0";
  const o = await c.post(`/portal/consent/forms/${id}/sign/options`, { versionId });
  return (await c.post(`/portal/consent/forms/${id}/sign/verify`, { response: c.key.assert(o.json<{ options: never }>().options) })).status;
}

const upgradeHeaders = () => ({
  cookie: `hearth_session=${pat.cookies.get("hearth_session")}`,
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
});

/** A real socket to the room: resolves "open" or the close/error it met instead. */
function connect(): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/rooms/${sessionId}/ws`, { headers: { cookie: `hearth_session=${pat.cookies.get("hearth_session")}` } } as never);
    ws.onopen = () => {
      ws.close();
      resolve("open");
    };
    ws.onerror = () => resolve("error");
    ws.onclose = (e) => resolve(`closed ${e.code}`);
  });
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  await admin.get("/admin/consent-forms");
  for (const [kind, title] of [["telehealth", "Telehealth consent"], ["group-confidentiality", "Group confidentiality agreement"]]) {
    const r = await admin.post("/admin/consent-forms", form({ kind: kind!, title: title!, body: `# ${title}\n\nI agree.\n` }));
    forms.push(Number(/consent-forms\/(\d+)/.exec(r.headers.location!)![1]));
  }
  await cleo.get("/groups/new");
  groupId = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: "Evening IOP" }))).headers.location!)![1]);
  await cleo.post(`/groups/${groupId}/members`, form({ personId: pat.personId }));
  sessionId = createSession(server.hearth.db, groupId);
});
afterAll(() => server?.close());

describe("a group's required consent forms", () => {
  test("nothing required: the member gets the room", async () => {
    const page = await pat.get(`/sessions/${sessionId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("room.js");
  });

  test("the group's clinicians tick the forms on the group's page; nobody else can", async () => {
    const page = await cleo.get(`/groups/${groupId}`);
    expect(page.text).toContain("Consent forms required to join");
    expect(page.text).toContain(`name="form-${forms[0]}"`);
    const r = await cleo.post(`/groups/${groupId}/consent-forms`, form({ [`form-${forms[0]}`]: 1, [`form-${forms[1]}`]: 1 }));
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/groups/${groupId}#group-consent`);
    const after = (await cleo.get(`/groups/${groupId}`)).text;
    for (const id of forms) expect(after).toContain(`name="form-${id}" value="1" checked`);
    expect((await cleo.post(`/groups/${groupId}/consent-forms`, form({ "form-x; drop": 1 }))).status).toBeGreaterThanOrEqual(400);
    await omar.get("/groups/new");
    expect((await omar.post(`/groups/${groupId}/consent-forms`, form({}))).status).toBe(403);
    expect((await pat.post(`/groups/${groupId}/consent-forms`, form({}))).status).toBe(403);
    expect((await admin.post(`/groups/${groupId}/consent-forms`, form({}))).status).toBe(403);
    const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'consent.group_requirements_set' AND subject = ?").get(`group:${groupId}`)!.n;
    expect(audited).toBe(1);
  });

  test("an unsigned member sees what to sign on the session page, and the room's socket refuses them", async () => {
    const page = await pat.get(`/sessions/${sessionId}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("Before you join: consent forms");
    expect(page.text).not.toContain("room.js");
    for (const id of forms) expect(page.text).toContain(`href="/portal/consent/forms/${id}"`);
    const upgrade = await fetch(`${server.url}/rooms/${sessionId}/ws`, { headers: upgradeHeaders() });
    expect(upgrade.status).toBe(409);
    expect(await upgrade.text()).toContain("sign its consent forms");
    // The group's clinician is not asked.
    expect((await cleo.get(`/sessions/${sessionId}`)).text).toContain("room.js");
  });

  test("signing one leaves the other; signing both opens the room, page and socket", async () => {
    expect(await sign(pat, forms[0]!)).toBe(200);
    const page = (await pat.get(`/sessions/${sessionId}`)).text;
    expect(page).not.toContain(`href="/portal/consent/forms/${forms[0]}"`);
    expect(page).toContain(`href="/portal/consent/forms/${forms[1]}"`);
    expect(await connect()).not.toBe("open");
    expect(await sign(pat, forms[1]!)).toBe(200);
    expect((await pat.get(`/sessions/${sessionId}`)).text).toContain("room.js");
    expect(await connect()).toBe("open");
  });

  test("a new version, or a withdrawal, closes the door again until signed", async () => {
    await admin.get(`/admin/consent-forms/${forms[0]}`);
    expect((await admin.post(`/admin/consent-forms/${forms[0]}/versions`, form({ body: "# Telehealth consent\n\nI agree, v2.\n" }))).status).toBe(303);
    const pending = (await pat.get(`/sessions/${sessionId}`)).text;
    expect(pending).toContain(`href="/portal/consent/forms/${forms[0]}"`);
    expect(pending).toContain("Pending re-consent");
    expect((await fetch(`${server.url}/rooms/${sessionId}/ws`, { headers: upgradeHeaders() })).status).toBe(409);
    expect(await sign(pat, forms[0]!)).toBe(200);
    expect((await pat.get(`/sessions/${sessionId}`)).text).toContain("room.js");
    await pat.get(`/portal/consent/forms/${forms[1]}`);
    expect((await pat.post(`/portal/consent/forms/${forms[1]}/withdraw`, form({}))).status).toBe(303);
    expect((await pat.get(`/sessions/${sessionId}`)).text).toContain(`href="/portal/consent/forms/${forms[1]}"`);
  });
});
