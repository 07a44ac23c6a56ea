import { PDFDocument, StandardFonts } from "pdf-lib";
import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { localParts, WEEKDAYS, type Recurrence } from "./schedule/recurrence.ts";
import { cancelOccurrence, createSchedule, moveOccurrence, plannedSessions, setClinicZone, setOpenLeadMinutes } from "./schedule/schedules.ts";
import { ClinicScheduler, sessionOfOccurrence } from "./schedule/scheduler.ts";
import { addFile, addLink } from "./materials/store.ts";
import { setClinicianOffer, setGroupOffer } from "./intake/matching.ts";
import { submitIntake } from "./intake/intake.ts";
import { insertPerson, newWebauthnHandle, sealProfile } from "../identity/people.ts";
import { createInvitation } from "../identity/invitations.ts";

/**
 * The demo clinic's program: the clinic in Toronto, a schedule per group around today (so there
 * are past sessions, tonight's, and weeks ahead), a holiday cancelled and a session moved,
 * past sessions held (opened and closed), worksheets and links, and the reminders due now
 * (one scheduler pass). Made through the clinic's own functions, as a clinician would.
 */
const ZONE = "America/Toronto";
const DAY = 86_400_000;

async function worksheet(title: string, lines: string[]): Promise<Uint8Array<ArrayBuffer>> {
  const pdf = await PDFDocument.create();
  const page = pdf.addPage([595, 842]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  page.drawText(title, { x: 56, y: 780, size: 20, font });
  lines.forEach((line, i) => page.drawText(line, { x: 56, y: 740 - i * 28, size: 12, font }));
  return new Uint8Array(await pdf.save());
}

/** The day (YYYY-MM-DD, in the zone) `weeks` weeks from today, moved back to the given weekday. */
function dayFrom(now: number, weeks: number, weekday: (typeof WEEKDAYS)[number]): string {
  const today = localParts(ZONE, now).date;
  const d = new Date(`${today}T12:00:00Z`);
  const back = ((d.getUTCDay() + 6) % 7) - WEEKDAYS.indexOf(weekday);
  return new Date(d.getTime() - (back < 0 ? back + 7 : back) * DAY + weeks * 7 * DAY).toISOString().slice(0, 10);
}

export async function scheduleDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const now = hearth.now();
  const admin = clinic.admin.id;
  setClinicZone(hearth, admin, ZONE);
  setOpenLeadMinutes(hearth, admin, 10);
  const [dbt, iop, anxiety] = clinic.groups as [DemoClinic["groups"][0], DemoClinic["groups"][0], DemoClinic["groups"][0]];
  const rules: [typeof dbt, Recurrence][] = [
    [dbt, { startsOn: dayFrom(now, -6, "TU"), time: "18:00", durationMin: 90, zone: ZONE, days: ["TU"], interval: 1, count: 16 }],
    [iop, { startsOn: dayFrom(now, -4, "MO"), time: "18:30", durationMin: 180, zone: ZONE, days: ["MO", "WE", "TH"], interval: 1, count: 24 }],
    [anxiety, { startsOn: dayFrom(now, -6, "TH"), time: "10:00", durationMin: 60, zone: ZONE, days: ["TH"], interval: 2, until: dayFrom(now, 14, "TH") }],
  ];
  for (const [group, rule] of rules) {
    const scheduleId = createSchedule(hearth, group.clinicianId, group.id, rule);
    const planned = plannedSessions(hearth, [group.id], now - 8 * 7 * DAY, now + 20 * 7 * DAY);
    const past = planned.filter((p) => p.endsAt < now).slice(-3);
    // Past sessions were held: opened ten minutes early, closed at their end.
    for (const p of past) {
      const id = sessionOfOccurrence(hearth, p);
      hearth.db.query("UPDATE group_sessions SET opened_at = ?, opened_by = ?, closed_at = ? WHERE id = ?").run(p.startsAt - 10 * 60_000, group.clinicianId, p.endsAt, id);
    }
    const next = planned.find((p) => p.endsAt > now)!;
    const later = planned.filter((p) => p.startsAt > next.startsAt);
    const target = { groupId: group.id, scheduleId, wall: next.wall };
    if (group === dbt) {
      // A holiday three weeks on, and tonight's worksheet.
      if (later[2]) cancelOccurrence(hearth, group.clinicianId, scheduleId, later[2].wall);
      const pdf = await worksheet("Distress tolerance: TIPP skills", ["Temperature: cool water on your face for 30 seconds.", "Intense exercise: 10 minutes, briskly.", "Paced breathing: out longer than in.", "Paired muscle relaxation.", "When did you use a skill this week? What happened?"]);
      await addFile(hearth, group.clinicianId, target, "Worksheet: TIPP skills", new Blob([pdf]).stream());
      await addLink(hearth, group.clinicianId, { groupId: group.id, scheduleId: null, wall: null }, "DBT skills diary card (printable)", "https://example.org/dbt-diary-card");
    } else if (group === iop) {
      const text = "Weekly check-in\n\n1. One thing that went well this week:\n2. One thing that was hard:\n3. What I want from group tonight:\n";
      await addFile(hearth, group.clinicianId, { groupId: group.id, scheduleId: null, wall: null }, "Weekly check-in sheet", new Blob([text]).stream());
      const pdf = await worksheet("Values and goals", ["Three values that matter to me:", "One small step toward each this week:"]);
      await addFile(hearth, group.clinicianId, target, "Worksheet: values and goals", new Blob([pdf]).stream());
    } else if (later[0]) {
      // The next-but-one session moves to the Friday at the same hour.
      moveOccurrence(hearth, group.clinicianId, scheduleId, later[0].wall, later[0].startsAt + DAY);
      await addLink(hearth, group.clinicianId, target, "Guided breathing audio (5 minutes)", "https://example.org/breathing");
    }
  }
  // Matching: what each group and clinician offers, and a newcomer's intake waiting for review.
  setGroupOffer(hearth, dbt.clinicianId, { groupId: dbt.id, capacity: 8, focus: ["emotions", "relationships"], language: "en" });
  setGroupOffer(hearth, iop.clinicianId, { groupId: iop.id, capacity: 10, focus: ["depression", "substance", "stress"], language: "en" });
  setGroupOffer(hearth, anxiety.clinicianId, { groupId: anxiety.id, capacity: 6, focus: ["anxiety", "stress"], language: "fr" });
  const [camille, sam] = clinic.clinicians as [DemoClinic["clinicians"][0], DemoClinic["clinicians"][0]];
  setClinicianOffer(hearth, { personId: camille.id, focus: ["anxiety", "trauma", "grief"], languages: ["fr", "en"], hours: ["MO-morning", "TU-afternoon", "TH-morning"] });
  setClinicianOffer(hearth, { personId: sam.id, focus: ["depression", "substance", "emotions"], languages: ["en", "es"], hours: ["MO-evening", "WE-evening", "TH-evening"] });
  const name = "Noah Bennett";
  const noah = insertPerson(hearth, { role: "patient", sealedProfile: await sealProfile(hearth, { displayName: name, pronouns: "", language: "en" }), webauthnHandle: newWebauthnHandle(), invitedBy: camille.id, accessEndsAt: null });
  await submitIntake(hearth, noah, { focus: ["anxiety", "stress"], language: "en", windows: ["TH-morning", "TU-evening", "WE-evening"], preference: "group" });
  clinic.patients.push({ id: noah, role: "patient", name, signInUrl: createInvitation(hearth, { createdBy: admin, role: "patient", personId: noah, ttlDays: 7 }).url });

  // The reminders due by now (24 h / 1 h as each person chose) and any session already open.
  // (A scheduler of its own: the demo runs before any server, with no rooms to end.)
  await new ClinicScheduler(hearth, { end: () => {} }).tick();
}
