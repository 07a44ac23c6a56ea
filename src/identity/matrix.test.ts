/**
 * The authorization matrix: every route the app registers (read from app.routes, not a list kept
 * here) against every kind of visitor, with the refusals each route's declared policy demands.
 * A route registered without a policy fails the first test, and is refused at run time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { buildApp } from "../app.ts";
import { errorHandling } from "../ui/errors.ts";
import { createAccess } from "./guard.ts";
import { groupRoleOf, type RoutePolicy, type Role } from "./policy.ts";
import { createSession } from "./sessions.ts";
import { activePasskeys } from "./passkeys.ts";
import { accept, firstAdmin, invite, type Client } from "./test-client.ts";
import { addFile, addLink } from "../clinic/materials/store.ts";
import { addArticle, assign as recommend } from "../portal/library.ts";

type Visitor = "anonymous" | "patient" | "another patient" | "guest" | "clinician of another group" | "clinician" | "admin";
const VISITORS: Visitor[] = ["anonymous", "patient", "another patient", "guest", "clinician of another group", "clinician", "admin"];

let server: TestServer;
const people = {} as Record<Exclude<Visitor, "anonymous">, { id: number; role: Role }>;
let pendingInvitationId = 0;
let patientPasskeyId = 0;
let routes: { method: string; path: string; policy: RoutePolicy | undefined }[] = [];

beforeAll(async () => {
  server = await startTestServer();
  // Everyone is created through the real ceremonies (software authenticator) and invitations.
  const admin = await firstAdmin(server);
  const clinician = await accept(server, await invite(admin, "clinician"), "Cleo");
  const otherClinician = await accept(server, await invite(admin, "clinician"), "Omar");
  const patient = await accept(server, await invite(clinician, "patient"), "Pat");
  const otherPatient = await accept(server, await invite(otherClinician, "patient"), "Quinn");
  const guest = await accept(server, await invite(clinician, "guest"), "Gil");
  for (const [k, c, role] of [
    ["admin", admin, "admin"],
    ["clinician", clinician, "clinician"],
    ["clinician of another group", otherClinician, "clinician"],
    ["patient", patient, "patient"],
    ["another patient", otherPatient, "patient"],
    ["guest", guest, "guest"],
  ] as const) {
    people[k] = { id: c.personId, role };
  }
  // Real groups, made through the clinic's pages: group 1 is the clinician's (with the patient
  // and the guest), group 2 the other clinician's (with the other patient).
  for (const [c, name, members] of [
    [clinician, "Group one", [people.patient.id, people.guest.id]],
    [otherClinician, "Group two", [people["another patient"].id]],
  ] as const) {
    await c.get("/groups/new");
    const made = await c.post("/groups", new URLSearchParams({ name }).toString());
    if (made.status !== 303) throw new Error(`group not created: ${made.status}`);
    for (const id of members) await c.post(`${made.headers.location!.split("?")[0]}/members`, `personId=${id}`);
  }
  expect(groupRoleOf(server.hearth, people.guest.id, 1)).toBe("guest");
  expect(groupRoleOf(server.hearth, people["another patient"].id, 2)).toBe("member");

  // Items the scoped routes act on, all on the clinician's side: the patient's own passkey, an
  // invitation the clinician sent and nobody used.
  await invite(clinician, "patient");
  pendingInvitationId = server.hearth.db.query<{ id: number }, []>("SELECT id FROM invitations ORDER BY id DESC LIMIT 1").get()!.id;
  patientPasskeyId = activePasskeys(server.hearth, people.patient.id)[0]!.id;
  // Materials of group one: 1, a file, for the routes that read one; 2, a link, for the one that removes one.
  const group1 = { groupId: 1, scheduleId: null, wall: null };
  await addFile(server.hearth, people.clinician.id, group1, "Worksheet", new Blob(["Notice three things you can see."]).stream());
  await addLink(server.hearth, people.clinician.id, group1, "Reading", "https://example.org/reading");
  // Library item 1, an article recommended to group one (so to the patient, not the other patient).
  recommend(server.hearth, people.clinician.id, addArticle(server.hearth, people.clinician.id, { title: "Sleep", body: "Same time each morning.", tags: [] }), { groupId: 1 });

  // The same composition the server runs (capabilities that need services get inert ones: only
  // the route table is read here; requests go to the running server).
  const app = (buildApp as (...args: unknown[]) => ReturnType<typeof buildApp>)(server.hearth, {});
  const access = createAccess(server.hearth);
  access.bind(app);
  routes = app.routes.map((r) => ({ method: r.method, path: r.path, policy: access.policyFor(r.method === "WS" ? "GET" : r.method, r.path) }));
});
afterAll(() => server?.close());

const ITEM_READERS: Record<string, Visitor[]> = { library: ["patient", "clinician", "clinician of another group"] };

/** Who the scoped item's rule lets in, for the fixture items above. */
function expectedAllowed(p: RoutePolicy, v: Visitor): boolean {
  if (p.allow === "public") return true;
  if (v === "anonymous") return false;
  const who = people[v];
  if (!p.allow.includes(who.role)) return false;
  const rule = p.item;
  if (!rule) return true;
  switch (rule.kind) {
    case "person": {
      const rel = v === "patient" ? "self" : v === "clinician" ? "carer" : v === "admin" ? "admin" : null;
      return rel !== null && rule.relations.includes(rel);
    }
    case "passkey":
      return v === "patient";
    case "invitation":
      return v === "clinician" || v === "admin";
    case "item":
      // Fixture items of capabilities that decide their own readers: who reaches item 1 of each kind.
      return (ITEM_READERS[rule.of] ?? []).includes(v);
    case "group":
      return v === "clinician" || v === "admin";
    case "groupItem": {
      // Every fixture item of a group (the group, its material, ...) is in group one.
      const part = v === "clinician" ? "clinician" : v === "patient" ? "member" : v === "guest" ? "guest" : null;
      return part !== null && (!rule.parts || rule.parts.includes(part));
    }
  }
}

function concretePath(path: string, p: RoutePolicy): string {
  const item = p.item && "param" in p.item ? p.item : null;
  return path.replace(/:(\w+)/g, (_, name: string) => {
    if (item && name === item.param) {
      if (item.kind === "person") return String(people.patient.id);
      if (item.kind === "passkey") return String(patientPasskeyId);
      if (item.kind === "invitation") return String(pendingInvitationId);
    }
    if (name === "token") return "A".repeat(43);
    if (name === "materialId") return "2";
    if (name === "name") return "hearth.css";
    return "1";
  });
}

/** Refusals that must happen whatever a route declares: who may never reach what. */
const PUBLIC_PATHS = /^\/(|healthz|crisis|static\/:name|preferences|unlock|recover|ca\.crt|trust|signin(\/options|\/verify)?|setup\/:token(\/options|\/verify)?|invite\/:token(\/options|\/verify)?|vitals\/(pair|readings)|ics\/:token)$/; // vitals: devices prove themselves by their paired key
function mustRefuse(method: string, path: string, v: Visitor): boolean {
  if (v === "anonymous") return !(PUBLIC_PATHS.test(path) && !(method === "POST" && path === "/unlock"));
  const role = people[v].role;
  if (/^\/(admin|account\/recovery-codes)/.test(path) || (method === "POST" && path === "/unlock") || /\/role$/.test(path)) return role !== "admin";
  if (/^\/(people|invitations)/.test(path)) return role === "patient" || role === "guest";
  if (path.startsWith("/account/passkeys/:id")) return v !== "patient";
  // Groups are clinical content: an admin reaches none of them, a patient or guest only their own list.
  if (/^\/groups/.test(path)) return role === "admin" || ((role === "patient" || role === "guest") && path !== "/groups/mine");
  return false;
}

const results: { method: string; path: string; v: Visitor; refused: boolean; status: number }[] = [];

async function visit(method: string, path: string, p: RoutePolicy, v: Visitor): Promise<Response> {
  const headers: Record<string, string> = {};
  if (v !== "anonymous") {
    // A fresh session per request: a sign-out or re-invitation in one row cannot spoil the next.
    const s = createSession(server.hearth, people[v].id);
    headers.cookie = `hearth_session=${s.id}`;
    headers["x-csrf-token"] = s.csrfToken;
  }
  const m = method === "WS" ? "GET" : method;
  if (method === "WS") Object.assign(headers, { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" });
  let body: string | undefined;
  if (m !== "GET") {
    headers["content-type"] = "application/json";
    body = JSON.stringify(p.item?.kind === "group" && "field" in p.item ? { [p.item.field]: 1 } : {});
  }
  return fetch(`${server.url}${concretePath(path, p)}`, { method: m, headers, body, redirect: "manual" });
}

describe("authorization matrix", () => {
  test("every route the app registers declares an access policy", () => {
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((r) => !r.policy).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  test("each visitor is refused exactly where the policy says, and let through elsewhere", async () => {
    const wrong: string[] = [];
    let refusals = 0;
    for (const r of routes) {
      if (!r.policy) continue;
      for (const v of VISITORS) {
        const res = await visit(r.method, r.path, r.policy, v);
        await res.arrayBuffer();
        const refusedByPolicy = res.headers.get("x-hearth-refused-by") === "policy";
        results.push({ method: r.method, path: r.path, v, refused: refusedByPolicy, status: res.status });
        const allowed = expectedAllowed(r.policy, v);
        if (!allowed) refusals++;
        if (allowed && refusedByPolicy) wrong.push(`${r.method} ${r.path} as ${v}: refused (${res.status}) but the policy allows it`);
        if (!allowed && !refusedByPolicy) wrong.push(`${r.method} ${r.path} as ${v}: got ${res.status}, must be refused`);
        if (!allowed && v === "anonymous" && res.status !== 401) wrong.push(`${r.method} ${r.path} as anonymous: ${res.status}, expected 401`);
        if (!allowed && v !== "anonymous" && ![403, 404].includes(res.status)) wrong.push(`${r.method} ${r.path} as ${v}: ${res.status}, expected 403/404`);
      }
    }
    expect(wrong).toEqual([]);
    expect(refusals).toBeGreaterThan(60);
  }, 60_000);

  test("the refusals that must happen whatever a route declares do happen (public routes are only the known ones)", () => {
    expect(results.length).toBe(routes.length * VISITORS.length);
    const leaks = results.filter((r) => mustRefuse(r.method, r.path, r.v) && !r.refused).map((r) => `${r.method} ${r.path} as ${r.v}: ${r.status}`);
    expect(leaks).toEqual([]);
  });

  test("the routes that take a group or a person tell the two clinicians apart; no other route does", () => {
    const scoped = routes.filter((r) => r.policy && r.policy.allow !== "public" && r.policy.allow.includes("clinician"));
    const differ = scoped.filter((r) => expectedAllowed(r.policy!, "clinician") !== expectedAllowed(r.policy!, "clinician of another group"));
    for (const r of differ) expect(r.policy!.item).toBeDefined();
    // Group-scoped routes exist and are part of the matrix (the clinic capability adds more).
    expect(routes.some((r) => r.policy?.item?.kind === "group")).toBe(true);
    expect(differ.length).toBeGreaterThan(0);
  });

  test("a route registered without a policy is refused at run time, and the enumeration names it", async () => {
    const access = createAccess(server.hearth);
    const app = new Elysia().use(errorHandling).use(access.plugin).get("/forgotten", () => "should never be served");
    access.bind(app);
    expect(access.policyFor("GET", "/forgotten")).toBeUndefined();
    const res = await app.handle(new Request("http://localhost/forgotten"));
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain("should never be served");
  });
});
