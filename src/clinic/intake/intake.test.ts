/**
 * Intake and matching through the pages on a real server: a patient invited to the clinic (not to
 * a group) answers the intake (missing answers refused naming the question, answers sealed);
 * their clinician sees the groups with open seats ranked with the reasons for each score (a full
 * group left out) and the clinicians for one-to-one work; the clinician invites the patient into
 * a group; the patient is told, accepts, and is a member.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../identity/test-client.ts";
import { unreadCount } from "../../notify/notify.ts";
import { partIn } from "../groups.ts";

let server: TestServer;
let cleo: Client;
let omar: Client;
let nora: Client;
const groups = {} as Record<"anxiety" | "mood" | "full", number>;

const form = (fields: Record<string, string | number | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, String(one));
  return p.toString();
};
const hx = (c: Client, path: string, fields: Record<string, string | number | string[]>) => c.post(path, form(fields), { "hx-request": "true" });

async function group(c: Client, name: string, schedule: Record<string, string | number | string[]>, offer: Record<string, string | number | string[]>): Promise<number> {
  await c.get("/groups/new");
  const made = await c.post("/groups", form({ name }));
  const id = Number(/\/groups\/(\d+)/.exec(made.headers.location ?? "")![1]);
  await c.get(`/groups/${id}`);
  expect((await hx(c, `/groups/${id}/schedules`, { durationMin: 90, interval: 1, ends: "count", count: 10, ...schedule })).status).toBe(204);
  expect((await hx(c, `/groups/${id}/offer`, offer)).status).toBe(204);
  return id;
}

beforeAll(async () => {
  server = await startTestServer();
  server.clock.now = Date.UTC(2026, 2, 2, 15);
  const admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  nora = await accept(server, await invite(cleo, "patient"), "Nora Newcomer");
  groups.anxiety = await group(cleo, "Thursday anxiety circle", { startsOn: "2026-03-05", time: "18:00", days: ["TH"] }, { capacity: 8, focus: ["anxiety", "stress"], language: "en" });
  groups.mood = await group(cleo, "Morning mood group", { startsOn: "2026-03-03", time: "10:00", days: ["TU"] }, { capacity: 6, focus: ["depression"], language: "fr" });
  groups.full = await group(omar, "Full group", { startsOn: "2026-03-05", time: "18:00", days: ["TH"] }, { capacity: 1, focus: ["anxiety"], language: "en" });
  const other = await accept(server, await invite(omar, "patient"), "Olga Other");
  await omar.get(`/groups/${groups.full}`);
  await omar.post(`/groups/${groups.full}/members`, form({ personId: other.personId }));
  await omar.get("/intake");
  expect((await hx(omar, "/intake/profile", { focus: ["anxiety"], languages: ["en"], hours: ["TH-evening", "MO-morning"] })).status).toBe(204);
  expect((await hx(omar, `/groups/${groups.anxiety}/offer`, { capacity: 2, focus: [], language: "en" })).status).toBe(403);
});
afterAll(() => server?.close());

test("the new patient answers the intake; a missing answer is refused naming the question; answers are sealed", async () => {
  const home = await nora.get("/");
  expect(home.text).toContain('href="/intake"');
  await nora.get("/intake");
  const noFocus = await hx(nora, "/intake", { language: "en", windows: ["TH-evening"], preference: "group" });
  expect(noFocus.status).toBe(400);
  expect(noFocus.text).toContain("What would you like help with: choose at least one.");
  const noTime = await hx(nora, "/intake", { focus: ["anxiety"], language: "en", preference: "group" });
  expect(noTime.text).toContain("When are you usually free: choose at least one time.");
  const ok = await hx(nora, "/intake", { focus: ["anxiety", "stress"], language: "en", windows: ["TH-evening", "SA-morning"], preference: "group" });
  expect(ok.status).toBe(204);
  const row = server.hearth.db.query<{ answers: Uint8Array }, [number]>("SELECT answers FROM intakes WHERE person_id = ?").get(nora.personId)!;
  expect(Buffer.from(row.answers).includes(Buffer.from("anxiety"))).toBe(false);
});

test("the clinician sees groups with open seats ranked with reasons, and clinicians for one-to-one work", async () => {
  const list = await cleo.get("/intake");
  expect(list.text).toContain("Nora Newcomer");
  const page = await cleo.get(`/intake/people/${nora.personId}`);
  expect(page.status).toBe(200);
  const anxietyAt = page.text.indexOf("Thursday anxiety circle");
  const moodAt = page.text.indexOf("Morning mood group");
  expect(anxietyAt).toBeGreaterThan(0);
  expect(moodAt).toBeGreaterThan(anxietyAt);
  expect(page.text).not.toContain("Full group");
  expect(page.text).toContain("Focus areas in common: Anxiety and worry, Stress and burnout");
  expect(page.text).toContain("Runs in English");
  expect(page.text).toContain("Runs in Français, not their language");
  expect(page.text).toContain("4 of the next 4 sessions fall when they are free");
  expect(page.text).toContain("8 of 8 seats open");
  expect(page.text).toContain("Omar Clinician");
  expect(page.text).toContain("Speaks their language");
  // Another clinician, who does not care for her, sees nothing of it.
  expect((await omar.get(`/intake/people/${nora.personId}`)).status).toBe(403);
});

test("the clinician invites her into the group; she is told, accepts, and is a member", async () => {
  expect((await hx(cleo, `/intake/people/${nora.personId}/place`, { groupId: groups.full })).status).toBe(403);
  expect((await hx(cleo, `/intake/people/${nora.personId}/place`, { groupId: groups.anxiety })).status).toBe(204);
  expect(partIn(server.hearth.db, groups.anxiety, nora.personId)).toBeNull();
  expect(unreadCount(server.hearth, nora.personId)).toBe(1);
  const invited = await nora.get("/intake");
  expect(invited.text).toContain("Your clinician invites you to join the group Thursday anxiety circle.");
  expect((await hx(nora, "/intake/accept", {})).status).toBe(204);
  expect(partIn(server.hearth.db, groups.anxiety, nora.personId)).toBe("member");
  const home = await nora.get("/");
  expect(home.text).toContain("Thursday anxiety circle");
  expect(home.text).toContain("Next session: Thu, 5 Mar 2026, 18:00 (UTC)");
});
