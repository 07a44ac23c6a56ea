/** The clinic's demo program on a fresh data dir: schedules, held sessions, materials, reminders. */
import { afterAll, expect, test } from "bun:test";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { openHearth } from "../server.ts";
import { createDemoClinic } from "../demo/clinic.ts";
import { scheduleDemo } from "./demo.ts";
import { plannedSessions } from "./schedule/schedules.ts";
import { materialsOf, openFile } from "./materials/store.ts";

const dir = tempDir();
afterAll(() => dir.remove());

test("every group has a schedule around today, past sessions held, materials, and the reminders due", async () => {
  const hearth = await openHearth(testConfig(dir.path));
  const clinic = await createDemoClinic(hearth);
  await scheduleDemo(hearth, clinic);
  const now = hearth.now();
  for (const g of clinic.groups) {
    const planned = plannedSessions(hearth, [g.id], now - 60 * 86_400_000, now + 120 * 86_400_000);
    expect(planned.some((p) => p.endsAt < now)).toBe(true);
    expect(planned.some((p) => p.startsAt > now)).toBe(true);
    const held = hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM group_sessions WHERE group_id = ? AND closed_at IS NOT NULL").get(g.id)!.n;
    expect(held).toBe(3);
    expect((await materialsOf(hearth, g.clinicianId, g.id)).length).toBeGreaterThan(0);
  }
  const all = plannedSessions(hearth, clinic.groups.map((g) => g.id), now, now + 120 * 86_400_000);
  expect(all.filter((p) => p.cancelled).length).toBe(1);
  expect(all.filter((p) => p.moved).length).toBe(1);
  // Tonight's DBT worksheet is a real PDF, opened through the sealed store.
  const dbt = clinic.groups[0]!;
  const sheet = (await materialsOf(hearth, dbt.clinicianId, dbt.id)).find((m) => m.kind === "file")!;
  const file = (await openFile(hearth, dbt.clinicianId, sheet.id))!;
  expect(new TextDecoder().decode((await new Response(file.stream).arrayBuffer()).slice(0, 5))).toBe("%PDF-");
  // A newcomer's intake waits for review, and the groups and clinicians say what they offer.
  expect(clinic.patients.at(-1)!.name).toBe("Noah Bennett");
  expect(hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM intakes WHERE accepted_at IS NULL").get()!.n).toBe(1);
  expect(hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM group_offers").get()!.n).toBe(3);
  hearth.db.close();
});
