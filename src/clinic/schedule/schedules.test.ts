/** Schedules on a real database: 8 Tuesdays in Toronto, cancelling, moving and re-facilitating one. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { tempDir, testConfig } from "../../../tests/harness.ts";
import { openHearth } from "../../server.ts";
import type { Hearth } from "../../context.ts";
import { createGroup } from "../groups.ts";
import { insertPerson, newWebauthnHandle, sealProfile } from "../../identity/people.ts";
import { localParts, RecurrenceError } from "./recurrence.ts";
import { archiveSchedule, cancelOccurrence, clinicZone, createSchedule, updateSchedule, moveOccurrence, plannedSessions, refacilitateOccurrence, setClinicZone } from "./schedules.ts";

const dir = tempDir();
let hearth: Hearth;
let groupId = 0;
let clinicianId = 0;
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2027, 0, 1);

beforeAll(async () => {
  hearth = await openHearth(testConfig(dir.path));
  clinicianId = insertPerson(hearth, { role: "clinician", sealedProfile: await sealProfile(hearth, { displayName: "Cleo", pronouns: "", language: "" }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null });
  groupId = await createGroup(hearth, { name: "Tuesday DBT", createdBy: clinicianId });
});
afterAll(() => {
  hearth.db.close();
  dir.remove();
});

test("the admin's zone is kept; a wrong one is refused naming the field", () => {
  expect(clinicZone(hearth)).toBe("UTC");
  setClinicZone(hearth, clinicianId, "America/Toronto");
  expect(clinicZone(hearth)).toBe("America/Toronto");
  expect(() => setClinicZone(hearth, clinicianId, "Nowhere")).toThrow(RecurrenceError);
  expect(clinicZone(hearth)).toBe("America/Toronto");
});

test("Tuesday 18:00 Toronto for 8 weeks: 8 sessions at 18:00 local; cancelling week 3 removes only week 3", () => {
  const id = createSchedule(hearth, null, groupId, { startsOn: "2026-02-24", time: "18:00", durationMin: 90, zone: "America/Toronto", days: ["TU"], interval: 1, count: 8 });
  const planned = plannedSessions(hearth, [groupId], FROM, TO);
  expect(planned.length).toBe(8);
  for (const p of planned) expect(localParts(p.zone, p.startsAt).time).toBe("18:00");
  cancelOccurrence(hearth, clinicianId, id, planned[2]!.wall);
  const after = plannedSessions(hearth, [groupId], FROM, TO);
  expect(after.filter((p) => p.cancelled).map((p) => p.wall)).toEqual([planned[2]!.wall]);
  expect(after.filter((p) => !p.cancelled).length).toBe(7);
  expect(after.map((p) => p.startsAt)).toEqual(planned.map((p) => p.startsAt));

  // Move week 5 to the Thursday at 19:00; re-facilitate week 6. The rest is untouched.
  const thursday = planned[4]!.startsAt + 2 * 86_400_000 + 3_600_000;
  moveOccurrence(hearth, clinicianId, id, planned[4]!.wall, thursday);
  refacilitateOccurrence(hearth, clinicianId, id, planned[5]!.wall, clinicianId);
  const moved = plannedSessions(hearth, [groupId], FROM, TO);
  expect(moved.find((p) => p.wall === planned[4]!.wall)!.startsAt).toBe(thursday);
  expect(moved.find((p) => p.wall === planned[5]!.wall)!.facilitatorId).toBe(clinicianId);
  expect(moved.filter((p) => p.moved || p.facilitatorId !== null || p.cancelled).length).toBe(3);
  // A window holding only the new time finds the moved session.
  expect(plannedSessions(hearth, [groupId], thursday, thursday + 1).map((p) => p.wall)).toEqual([planned[4]!.wall]);
  expect(() => cancelOccurrence(hearth, clinicianId, id, planned[0]!.wall + 60_000)).toThrow(RecurrenceError);
});

test("an impossible recurrence stores nothing", () => {
  const before = plannedSessions(hearth, [groupId], FROM, TO).length;
  expect(() => createSchedule(hearth, null, groupId, { startsOn: "2026-05-01", time: "18:00", durationMin: 60, zone: "America/Toronto", days: ["TU"], interval: 1, until: "2026-04-01" })).toThrow(RecurrenceError);
  expect(plannedSessions(hearth, [groupId], FROM, TO).length).toBe(before);
});

test("editing the rule keeps the changes of occurrences that still exist; archiving ends the series", () => {
  const id = createSchedule(hearth, clinicianId, groupId, { startsOn: "2026-09-01", time: "10:00", durationMin: 60, zone: "Europe/Paris", days: ["TU"], interval: 1, count: 4 });
  const window = [Date.UTC(2026, 8, 1), Date.UTC(2026, 11, 1)] as const;
  const mine = () => plannedSessions(hearth, [groupId], ...window).filter((p) => p.scheduleId === id);
  const first = mine();
  cancelOccurrence(hearth, clinicianId, id, first[1]!.wall);
  updateSchedule(hearth, clinicianId, id, { startsOn: "2026-09-01", time: "10:00", durationMin: 90, zone: "Europe/Paris", days: ["TU"], interval: 1, count: 6 });
  const after = mine();
  expect(after.length).toBe(6);
  expect(after[1]!.cancelled).toBe(true);
  expect(after[0]!.endsAt - after[0]!.startsAt).toBe(90 * 60_000);
  expect(() => updateSchedule(hearth, clinicianId, id, { startsOn: "2026-09-01", time: "25:00", durationMin: 90, zone: "Europe/Paris", days: ["TU"], interval: 1, count: 6 })).toThrow(RecurrenceError);
  expect(mine().length).toBe(6);
  expect(archiveSchedule(hearth, clinicianId, id)).toBe(true);
  expect(mine().length).toBe(0);
});
