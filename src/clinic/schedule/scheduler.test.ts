/**
 * The scheduler on a real server with the test clock: a Tuesday 18:00 Toronto session opens by
 * itself ten minutes early, once, also after a "restart" (a new scheduler over the same stored
 * state); a cancelled one never opens; an open one closes an hour after its end. Reminders go
 * through notify to a real SMTP server (smtp-server): the 24 h one arrives once, also across an
 * SMTP restart and a scheduler restart, and arrives after SMTP was down; it holds no group name.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SMTPServer } from "smtp-server";
import { freePort, startTestServer, type TestServer } from "../../../tests/harness.ts";
import { outboxOf } from "../../notify/routes.ts";
import { backoff } from "../../notify/outbox.ts";
import { setPrefs, unreadCount } from "../../notify/notify.ts";
import { addMember, createGroup } from "../groups.ts";
import { liveSessionOf } from "../sessions.ts";
import { makePerson } from "../test-people.ts";
import { cancelOccurrence, createSchedule, plannedSessions, setClinicZone, setOpenLeadMinutes } from "./schedules.ts";
import { ClinicScheduler, schedulerOf } from "./scheduler.ts";

const received: string[] = [];
let smtp: SMTPServer | null = null;
const smtpPort = freePort();
function startSmtp(): Promise<void> {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    onData(stream, _session, done) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
      stream.on("end", () => {
        received.push(raw.replace(/=\r\n/g, "")); // quoted-printable soft line breaks
        done();
      });
    },
  });
  return new Promise((resolve) => smtp!.listen(smtpPort, "127.0.0.1", () => resolve()));
}
const stopSmtp = () => new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));

let server: TestServer;
let groupId = 0;
let scheduleId = 0;
let patient = 0;
let clinician = 0;
const MIN = 60_000;
// Tuesday 3 March 2026, 18:00 in Toronto (EST) is 23:00 UTC; from 10 March (EDT) it is 22:00 UTC.
const WEEK1 = Date.UTC(2026, 2, 3, 23);
const WEEK2 = Date.UTC(2026, 2, 10, 22);

beforeAll(async () => {
  await startSmtp();
  server = await startTestServer({ HEARTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
  const h = server.hearth;
  server.clock.now = Date.UTC(2026, 2, 2, 12);
  clinician = await makePerson(h, "clinician", "Cleo");
  patient = await makePerson(h, "patient", "Pat Secret", "pat@example.test");
  groupId = await createGroup(h, { name: "Anxiety Recovery Circle", createdBy: clinician });
  addMember(h, clinician, groupId, patient, "member");
  setClinicZone(h, clinician, "America/Toronto");
  setPrefs(h, clinician, { email: false, remind: "1h" });
  scheduleId = createSchedule(h, clinician, groupId, { startsOn: "2026-03-03", time: "18:00", durationMin: 90, zone: "America/Toronto", days: ["TU"], interval: 1, count: 8 });
});
afterAll(async () => {
  await server?.close();
  await stopSmtp();
});

const at = (ms: number) => (server.clock.now = ms);

test("the 24-hour reminder arrives once by e-mail, content-free, across SMTP and scheduler restarts", async () => {
  const h = server.hearth;
  const scheduler = schedulerOf(h);
  at(WEEK1 - 25 * 60 * MIN);
  expect((await scheduler.tick()).reminders).toBe(0);
  at(WEEK1 - 23 * 60 * MIN);
  expect((await scheduler.tick()).reminders).toBe(1); // the patient; the clinician chose 1 h
  expect((await scheduler.tick()).reminders).toBe(0);
  expect(await outboxOf(h).deliverDue()).toBe(1);
  expect(received.length).toBe(1);
  expect(received[0]).toContain("You have a group session on 2026-03-03 at 18:00 (America/Toronto).");
  expect(received[0]).toContain(`${h.config.publicUrl}/calendar`);
  expect(received[0]).not.toContain("Anxiety");
  expect(received[0]).not.toContain("Pat Secret");

  await stopSmtp();
  await startSmtp();
  const restarted = new ClinicScheduler(h, { end: () => {} });
  expect((await restarted.tick()).reminders).toBe(0);
  expect(await outboxOf(h).deliverDue()).toBe(0);
  expect(received.length).toBe(1);
  expect(unreadCount(h, patient)).toBe(1);
  // The clinician's 1-hour reminder comes in its hour, in Hearth only (no e-mail chosen).
  at(WEEK1 - 59 * MIN);
  expect((await restarted.tick()).reminders).toBe(1);
  expect(unreadCount(h, clinician)).toBe(1);
});

test("a reminder due while SMTP is down arrives once when it is back", async () => {
  const h = server.hearth;
  await stopSmtp();
  at(WEEK2 - 20 * 60 * MIN);
  expect((await schedulerOf(h).tick()).reminders).toBe(1);
  expect(await outboxOf(h).deliverDue()).toBe(0);
  await startSmtp();
  server.clock.advance(backoff(1) + 1);
  expect(await outboxOf(h).deliverDue()).toBe(1);
  expect(await outboxOf(h).deliverDue()).toBe(0);
  expect(received.length).toBe(2);
  expect(received[1]).toContain("2026-03-10 at 18:00 (America/Toronto)");
});

test("a scheduled session opens by itself ten minutes early, once, even after a restart; it closes an hour after its end", async () => {
  const h = server.hearth;
  at(WEEK2 - 11 * MIN);
  expect((await schedulerOf(h).tick()).opened).toEqual([]);
  expect(liveSessionOf(h.db, groupId)).toBeNull();
  at(WEEK2 - 10 * MIN);
  const { opened } = await schedulerOf(h).tick();
  expect(opened.length).toBe(1);
  expect(liveSessionOf(h.db, groupId)!.id).toBe(opened[0]!);
  expect((await new ClinicScheduler(h, { end: () => {} }).tick()).opened).toEqual([]);
  at(WEEK2 + 89 * MIN);
  expect((await schedulerOf(h).tick()).closed).toEqual([]);
  const ended: number[] = [];
  at(WEEK2 + 90 * MIN + 60 * MIN);
  expect((await new ClinicScheduler(h, { end: (id) => ended.push(id) }).tick()).closed).toEqual(opened);
  expect(ended).toEqual(opened);
  expect(liveSessionOf(h.db, groupId)).toBeNull();
});

test("a cancelled occurrence never opens; the lead is the clinic's setting", async () => {
  const h = server.hearth;
  const week3 = plannedSessions(h, [groupId], WEEK2 + 86_400_000, WEEK2 + 8 * 86_400_000)[0]!;
  cancelOccurrence(h, clinician, scheduleId, week3.wall);
  at(week3.startsAt);
  expect((await schedulerOf(h).tick()).opened).toEqual([]);
  const week4 = plannedSessions(h, [groupId], week3.startsAt + 1, week3.startsAt + 8 * 86_400_000)[0]!;
  setOpenLeadMinutes(h, clinician, 30);
  at(week4.startsAt - 31 * MIN);
  expect((await schedulerOf(h).tick()).opened).toEqual([]);
  at(week4.startsAt - 30 * MIN);
  expect((await schedulerOf(h).tick()).opened.length).toBe(1);
});
