/**
 * Goals through the real server: a clinician and a patient set SMART goals with steps, the
 * patient checks in (0-10 and a note) and both see the chart and its table; field-named
 * refusals; nobody outside the care team reaches a goal; notes are sealed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let nina: Client;
let pat: Client;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const NOTE = `Made it twice despite the rain ${crypto.randomUUID().slice(0, 8)}`;

function dbHolds(needle: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  return ["hearth.db", "hearth.db-wal"].some((f) => {
    const p = join(server.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(Buffer.from(needle, "utf8"));
  });
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
});
afterAll(() => server?.close());

test("a goal agreed, checked in on, charted for both; refusals name the field; outsiders reach nothing", async () => {
  const space = `/portal/patients/${pat.personId}/goals`;
  await cleo.get(space);
  const missing = await cleo.post(space, form({ specific: "Walk to the park", measurable: "", achievable: "close", relevant: "sleep", by: "2099-01-01" }));
  expect(missing.status).toBe(400);
  expect(missing.text).toContain("How will you know you did it?");
  expect((await cleo.post(space, form({ specific: "a", measurable: "b", achievable: "c", relevant: "d", by: "soon" }))).text).toContain("By when");
  const made = await cleo.post(space, form({ specific: "Walk to the park", measurable: "Three times a week", achievable: "It is ten minutes away", relevant: "I sleep better after", by: "2099-01-01", steps: "Shoes by the door\nAsk my sister to come" }));
  expect(made.status).toBe(303);
  expect((await pat.get("/portal/goals")).headers.location).toBe(space);
  const list = (await pat.get(space)).text;
  const id = Number(/href="\/portal\/goals\/(\d+)"/.exec(list)![1]);

  await pat.get(`/portal/goals/${id}`);
  expect((await pat.post(`/portal/goals/${id}/checkins`, form({ progress: "11" }))).status).toBe(400);
  expect((await pat.post(`/portal/goals/${id}/checkins`, form({ progress: "3", note: "Once" }))).status).toBe(303);
  expect((await pat.post(`/portal/goals/${id}/checkins`, form({ progress: "6", note: NOTE }))).status).toBe(303);
  for (const c of [pat, cleo]) {
    const page = (await c.get(`/portal/goals/${id}`)).text;
    expect(page).toContain("Ask my sister to come");
    expect(page).toContain('role="img"');
    expect(page).toContain("Progress over 2 check-ins");
    expect(page).toContain(NOTE);
  }
  expect((await cleo.post(`/portal/goals/${id}/checkins`, form({ progress: "9" }))).status).toBe(403);
  expect((await nina.get(`/portal/goals/${id}`)).status).toBe(404);
  expect((await nina.get(space)).status).toBe(403);
  expect((await admin.get(`/portal/goals/${id}`)).status).toBe(403);
  expect(dbHolds(NOTE)).toBe(false);
  expect(dbHolds("Walk to the park")).toBe(false);
});
