/**
 * Schedules and calendars through the pages on a real server (real passkey ceremonies, test
 * clock): the admin sets the clinic's zone, a clinician adds a Tuesday 18:00 schedule from the
 * group page (impossible rules refused naming the field, nothing stored), cancels and moves one
 * session, sees the week with the cancelled one marked; the patient's home shows the next session;
 * the patient's private .ics feed parses with ical.js into the same sessions, holds no names, and
 * stops working when revoked.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import ICAL from "ical.js";
import { startTestServer, type TestServer } from "../../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../identity/test-client.ts";
import { localParts } from "./recurrence.ts";
import { plannedSessions } from "./schedules.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let pat: Client;
let groupId = 0;
const GROUP = "Tuesday skills group";

const form = (fields: Record<string, string | number | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, String(one));
  return p.toString();
};
const hx = (c: Client, path: string, fields: Record<string, string | number | string[]>) => c.post(path, form(fields), { "hx-request": "true" });
const scheduleCount = () => server.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM schedules").get()!.n;
const TUESDAYS = { startsOn: "2026-02-24", time: "18:00", durationMin: 90, days: ["TU"], interval: 1, ends: "count", count: 8 };

beforeAll(async () => {
  server = await startTestServer();
  server.clock.now = Date.UTC(2026, 1, 20, 15);
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  await cleo.get("/groups/new");
  const made = await cleo.post("/groups", form({ name: GROUP }));
  groupId = Number(/\/groups\/(\d+)/.exec(made.headers.location ?? "")![1]);
  await cleo.get(`/groups/${groupId}`);
  expect((await cleo.post(`/groups/${groupId}/members`, form({ personId: pat.personId }))).status).toBe(303);
});
afterAll(() => server?.close());

test("the admin sets the clinic's zone; a wrong zone is refused naming the field", async () => {
  expect((await admin.get("/admin/clinic")).text).toContain('name="zone"');
  const bad = await hx(admin, "/admin/clinic", { zone: "Mars/Olympus", lead: 10 });
  expect(bad.status).toBe(400);
  expect(bad.text).toContain("Time zone:");
  const badLead = await hx(admin, "/admin/clinic", { zone: "America/Toronto", lead: 500 });
  expect(badLead.status).toBe(400);
  expect(badLead.text).toContain("Minutes before the start");
  expect((await admin.get("/admin/clinic")).text).toContain('value="UTC"');
  expect((await hx(admin, "/admin/clinic", { zone: "America/Toronto", lead: 10 })).status).toBe(204);
  expect((await admin.get("/admin/clinic")).text).toContain('value="America/Toronto"');
  // Admins see no group's schedule.
  expect((await admin.get(`/calendar/groups/${groupId}`)).status).toBe(403);
});

test("impossible rules are refused naming the field, and store nothing", async () => {
  const until = await hx(cleo, `/groups/${groupId}/schedules`, { ...TUESDAYS, ends: "until", until: "2026-01-01" });
  expect(until.status).toBe(400);
  expect(until.text).toContain("Last day: it is before the first day.");
  const noDays = await hx(cleo, `/groups/${groupId}/schedules`, { ...TUESDAYS, days: [] });
  expect(noDays.status).toBe(400);
  expect(noDays.text).toContain("Days of the week:");
  const time = await hx(cleo, `/groups/${groupId}/schedules`, { ...TUESDAYS, time: "25:99" });
  expect(time.text).toContain("Start time:");
  const date = await hx(cleo, `/groups/${groupId}/schedules`, { ...TUESDAYS, startsOn: "2026-02-30" });
  expect(date.text).toContain("First day:");
  expect(scheduleCount()).toBe(0);
});

test("a Tuesday 18:00 schedule for 8 weeks: 8 sessions at 18:00 Toronto; one cancelled, one moved; the week marks them", async () => {
  const r = await hx(cleo, `/groups/${groupId}/schedules`, TUESDAYS);
  expect(r.status).toBe(204);
  const page = await cleo.get(`/groups/${groupId}`);
  expect(page.text).toContain("Tuesday at 18:00 for 90 minutes");
  const scheduleId = Number(/\/groups\/\d+\/schedules\/(\d+)"/.exec(page.text)![1]);
  const planned = plannedSessions(server.hearth, [groupId], 0, Date.UTC(2030, 0));
  expect(planned.length).toBe(8);
  for (const p of planned) expect(localParts("America/Toronto", p.startsAt).time).toBe("18:00");

  const w3 = planned[2]!;
  expect((await hx(cleo, `/groups/${groupId}/schedules/${scheduleId}/occurrences/${w3.wall}/cancel`, { cancelled: "1" })).status).toBe(204);
  const w5 = planned[4]!;
  expect((await hx(cleo, `/groups/${groupId}/schedules/${scheduleId}/occurrences/${w5.wall}/move`, { date: "2026-03-26", time: "19:00" })).status).toBe(204);
  const badMove = await hx(cleo, `/groups/${groupId}/schedules/${scheduleId}/occurrences/${w5.wall}/move`, { date: "2026-02-31", time: "19:00" });
  expect(badMove.status).toBe(400);
  expect(badMove.text).toContain("New day and new time:");
  const after = plannedSessions(server.hearth, [groupId], 0, Date.UTC(2030, 0));
  expect(after.filter((p) => p.cancelled).map((p) => p.wall)).toEqual([w3.wall]);
  expect(localParts("America/Toronto", after.find((p) => p.wall === w5.wall)!.startsAt)).toEqual({ date: "2026-03-26", time: "19:00" });
  expect(after.filter((p) => !p.cancelled && !p.moved).map((p) => p.startsAt)).toEqual(planned.filter((p) => p !== w3 && p !== w5).map((p) => p.startsAt));

  const edit = await cleo.get(`/groups/${groupId}/schedules/${scheduleId}`);
  expect(edit.text.match(/<tr>/g)!.length).toBe(9);
  const week = await cleo.get("/calendar?week=2026-03-10");
  expect(week.text).toContain(GROUP);
  expect(week.text).toContain("Cancelled");
  expect(week.text).toContain("<s>18:00–19:30");
  expect(week.text).toContain("America/Toronto");
  // The patient sees none of the clinicians' pages.
  expect((await pat.get(`/groups/${groupId}/schedules/${scheduleId}`)).status).toBe(403);
});

test("the patient's home shows the next session with the zone named; the calendar lists what is coming", async () => {
  const home = await pat.get("/");
  expect(home.text).toContain("Next session: Tue, 24 Feb 2026, 18:00 (America/Toronto)");
  const cal = await pat.get("/calendar");
  expect(cal.status).toBe(200);
  expect(cal.text).toContain("Opens at 17:50");
  expect(cal.text.match(/<s>/g)!.length).toBe(1);
});

test("the .ics feed parses with ical.js into the same sessions, with alarms and no names; revoking it ends it", async () => {
  await pat.get("/calendar/feed");
  const made = await pat.post("/calendar/feed", "");
  const url = /id="feed-url" readonly value="([^"]+)"/.exec(made.text)![1]!;
  const path = new URL(url).pathname;
  const res = await fetch(`${server.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/calendar");
  const text = await res.text();
  const events = new ICAL.Component(ICAL.parse(text)).getAllSubcomponents("vevent");
  const planned = plannedSessions(server.hearth, [groupId], 0, Date.UTC(2030, 0));
  expect(events.length).toBe(planned.length);
  const starts = events.map((v) => new ICAL.Event(v).startDate.toJSDate().getTime()).sort((a, b) => a - b);
  expect(starts).toEqual(planned.map((p) => p.startsAt));
  for (const v of events) {
    expect(new ICAL.Event(v).summary).toBe(GROUP);
    const cancelled = v.getFirstPropertyValue("status") === "CANCELLED";
    expect(v.getAllSubcomponents("valarm").length).toBe(cancelled ? 0 : 1);
  }
  expect(events.filter((v) => v.getFirstPropertyValue("status") === "CANCELLED").length).toBe(1);
  // Changed occurrences (the cancelled and the moved one) read as newer than the rest.
  expect(events.filter((v) => Number(v.getFirstPropertyValue("sequence") ?? 0) > 0).length).toBe(2);
  expect(text).not.toContain("Pat");
  expect(text).not.toContain("Cleo");
  // The token is stored only as a hash; a new address revokes the old one, and so does "off".
  expect(server.hearth.db.query("SELECT 1 FROM calendar_feeds WHERE token_hash = ?").get(path.split("/")[2]!)).toBeNull();
  await pat.post("/calendar/feed", "");
  expect((await fetch(`${server.url}${path}`)).status).toBe(404);
  await pat.post("/calendar/feed/revoke", "");
  expect(server.hearth.db.query("SELECT count(*) AS n FROM calendar_feeds").get()).toEqual({ n: 0 });
});
