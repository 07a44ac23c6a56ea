/** Recurrence across daylight-saving changes, with rrule doing the recurring. */
import { expect, test } from "bun:test";
import { allOccurrences, localParts, occurrences, RecurrenceError, ruleOf, wallToUtc, type Recurrence } from "./recurrence.ts";

const tuesdayToronto: Recurrence = { startsOn: "2026-02-24", time: "18:00", durationMin: 90, zone: "America/Toronto", days: ["TU"], interval: 1, count: 8 };

test("weekly Tuesday 18:00 Toronto for 8 weeks: 8 sessions at 18:00 local across the March change", () => {
  const all = allOccurrences(tuesdayToronto);
  expect(all.length).toBe(8);
  for (const o of all) expect(localParts("America/Toronto", o.startsAt).time).toBe("18:00");
  // 2026-03-08 is the change: before it 18:00 EST is 23:00 UTC, after it 18:00 EDT is 22:00 UTC.
  expect(new Date(all[0]!.startsAt).toISOString()).toBe("2026-02-24T23:00:00.000Z");
  expect(new Date(all[2]!.startsAt).toISOString()).toBe("2026-03-10T22:00:00.000Z");
  expect(all.map((o) => localParts("America/Toronto", o.startsAt).date)).toEqual([
    "2026-02-24", "2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31", "2026-04-07", "2026-04-14",
  ]);
});

for (const [zone, spring, fall] of [
  ["America/Toronto", "2026-03-08", "2026-11-01"],
  ["Europe/Paris", "2026-03-29", "2026-10-25"],
] as const) {
  test(`weekly 18:00 in ${zone} stays 18:00 local across March and the autumn change`, () => {
    const r: Recurrence = { startsOn: "2026-01-04", time: "18:00", durationMin: 60, zone, days: ["SU", "WE"], interval: 1, until: "2026-12-20" };
    const all = allOccurrences(r);
    expect(all.length).toBeGreaterThan(90);
    for (const o of all) expect(localParts(zone, o.startsAt).time).toBe("18:00");
    const offsets = new Set(all.map((o) => (o.wall - o.startsAt) / 3_600_000));
    expect(offsets.size).toBe(2); // winter and summer offsets both occur
    const dates = all.map((o) => localParts(zone, o.startsAt).date);
    expect(dates).toContain(spring); // both change days are Sundays and have their session
    expect(dates).toContain(fall);
    // Consecutive sessions are a whole number of days apart in local time, never 23 or 25 h off.
    for (let i = 1; i < all.length; i++) expect((all[i]!.wall - all[i - 1]!.wall) % 86_400_000).toBe(0);
  });
}

test("a wall time skipped by spring-forward moves forward by the gap; an ambiguous one takes the first", () => {
  expect(new Date(wallToUtc("America/Toronto", Date.UTC(2026, 2, 8, 2, 30))).toISOString()).toBe("2026-03-08T07:30:00.000Z");
  expect(new Date(wallToUtc("America/Toronto", Date.UTC(2026, 10, 1, 1, 30))).toISOString()).toBe("2026-11-01T05:30:00.000Z");
});

test("a window returns only the occurrences inside it", () => {
  const all = allOccurrences(tuesdayToronto);
  const some = occurrences(tuesdayToronto, all[2]!.startsAt, all[5]!.startsAt);
  expect(some.map((o) => o.startsAt)).toEqual(all.slice(2, 5).map((o) => o.startsAt));
});

test("impossible input names its field", () => {
  const bad = (over: Partial<Recurrence>) => {
    try {
      ruleOf({ ...tuesdayToronto, ...over });
      return null;
    } catch (e) {
      return e instanceof RecurrenceError ? e.field : "other";
    }
  };
  expect(bad({ zone: "Mars/Olympus" })).toBe("zone");
  expect(bad({ startsOn: "2026-02-30" })).toBe("startsOn");
  expect(bad({ time: "25:00" })).toBe("time");
  expect(bad({ days: [] })).toBe("days");
  expect(bad({ count: undefined, until: "2026-01-01" })).toBe("until");
  expect(bad({ count: undefined })).toBe("count");
  expect(bad({ interval: 0 })).toBe("interval");
  expect(bad({})).toBeNull();
});
