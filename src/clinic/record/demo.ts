import type { Hearth } from "../../context.ts";
import type { DemoClinic } from "../../demo/clinic.ts";
import { readProfileLanguage } from "../../identity/people.ts";
import { endVisit, markAdmitted, startVisit } from "../../rooms/attendance.ts";
import { closeSession, createSession, openSession } from "../sessions.ts";
import { isMeasureLanguage, type InstrumentId } from "./instruments.ts";
import { assignMeasure, assignmentById, recordResponse } from "./measures.ts";
import { createNote } from "./notes.ts";
import { heldSessions, sessionPresence } from "./attendance.ts";
import { chargesOf, dayIn, recordPayment, setClinicDetails, setFee } from "./billing.ts";
import { clinicZone } from "../schedule/schedules.ts";
import { addClinicTemplate } from "./templates.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/**
 * The demo's clinical record, through the record's own functions (sealed, audited): six months
 * of fortnightly sessions before the attendance demo's last three weeks, a PHQ-9 and a GAD-7
 * asked of every group before each session, answered the day before by most members, with
 * trajectories a clinician recognises (some reliably better, one reliably worse, the rest
 * steady), draft notes for the latest session (signing needs the clinician's own passkey,
 * which demo people register from their links), and billing: the clinic's details, a fee per
 * group, payments that leave some members owing, so each member has monthly invoices.
 */
type Course = "better" | "slower" | "worse" | "steady";
const COURSES: Course[] = ["better", "steady", "slower", "steady", "worse", "steady", "better", "steady", "steady", "slower", "steady", "worse"];
const START: Record<Course, [number, number]> = { better: [18, 15], slower: [15, 12], worse: [7, 6], steady: [11, 9] };
const END: Record<Course, [number, number]> = { better: [6, 5], slower: [9, 7], worse: [17, 14], steady: [10, 8] };

/** A small deterministic wobble, so the lines look lived-in and the demo is the same every time. */
function wobble(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return Math.round((x - Math.floor(x)) * 4 - 2);
}

/** Answers (0–3 each) that add up to `total`, spread over the items; item 9 stays 0 unless asked. */
function answersFor(items: number, total: number, item9 = 0): number[] {
  const out = Array.from({ length: items }, () => 0);
  if (items === 9) out[8] = item9;
  let left = total - item9;
  for (let round = 0; left > 0 && round < 3; round++) {
    for (let i = 0; i < items && left > 0; i++) {
      if (items === 9 && i === 8) continue;
      out[i]! += 1;
      left--;
    }
  }
  return out;
}

export async function recordDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const db = hearth.db;
  const now = hearth.now();
  const patients = clinic.patients.map((p) => p.id);
  addClinicTemplate(hearth, { name: "DBT skills group", base: "group", fields: { theme: "DBT module: ", interventions: "Mindfulness check-in; skills teaching; homework review; new homework", process: "" } }, clinic.clinicians[0]!.id);
  setClinicDetails(hearth, { name: "Hearth Demo Counselling", address: "12 Maple Street\nSpringfield", phone: "555-0100", taxId: "12-3456789", npi: "1234567893" }, clinic.admin.id);
  for (const [gi, group] of clinic.groups.entries()) {
    // Fortnightly sessions from 26 weeks ago up to 4 weeks ago, each 90 minutes at 18:00.
    const first = new Date(now - 26 * 7 * DAY);
    first.setHours(18, 0, 0, 0);
    const created = first.getTime() - 3 * DAY;
    const asked: Record<InstrumentId, number> = {
      phq9: assignMeasure(hearth, { instrument: "phq9", groupId: group.id, personId: null, by: group.clinicianId }),
      gad7: assignMeasure(hearth, { instrument: "gad7", groupId: group.id, personId: null, by: group.clinicianId }),
    };
    // The assignments date from before the first session.
    db.query("UPDATE measure_assignments SET created_at = ? WHERE id IN (?, ?)").run(created, asked.phq9, asked.gad7);
    for (let k = 0; k < 12; k++) {
      const start = first.getTime() + k * 14 * DAY;
      const id = createSession(db, group.id, start);
      openSession(db, id, group.clinicianId, start - 5 * MIN);
      for (const [mi, memberId] of group.memberIds.entries()) {
        // The member on a worse course starts missing sessions towards the end.
        const course = COURSES[patients.indexOf(memberId)]!;
        if ((course === "worse" && k >= 9 && k % 2 === 1) || (mi + k + gi) % 9 === 0) continue;
        const v = startVisit(db, id, memberId, start - 2 * MIN);
        markAdmitted(db, v, group.clinicianId, start - MIN);
        endVisit(db, v, "ended", start + 90 * MIN);
      }
      closeSession(db, id, start + 90 * MIN);
    }
    // Answers the day before each session the group has held (these and the attendance demo's).
    const sessions = heldSessions(db, group.id);
    for (const memberId of group.memberIds) {
      const pi = patients.indexOf(memberId);
      const course = COURSES[pi]!;
      const lang = await readProfileLanguage(hearth, memberId);
      const language = isMeasureLanguage(lang) ? lang : "en";
      for (const [k, s] of sessions.entries()) {
        if ((pi + k) % 6 === 5) continue; // now and then a round is not answered
        const f = sessions.length > 1 ? k / (sessions.length - 1) : 1;
        for (const [ii, inst] of (["phq9", "gad7"] as const).entries()) {
          const max = inst === "phq9" ? 27 : 21;
          const target = Math.round(START[course][ii]! + (END[course][ii]! - START[course][ii]!) * f) + wobble(pi * 100 + k * 3 + ii);
          const total = Math.max(0, Math.min(max, target));
          const item9 = inst === "phq9" && course === "worse" && k === sessions.length - 1 && pi === 4 ? 1 : 0;
          const a = assignmentById(hearth, asked[inst])!;
          await recordResponse(hearth, a, { personId: memberId, answers: answersFor(inst === "phq9" ? 9 : 7, Math.max(total, item9), item9), difficulty: total >= 10 ? 1 : 0, language }, s.openedAt - DAY + pi * MIN);
        }
      }
    }
    // Billing: a fee per group; most members paid for all but their last two sessions.
    setFee(hearth, group.id, { cents: [8500, 6000, 7500][gi % 3]!, currency: "USD" }, group.clinicianId);
    for (const [mi, memberId] of group.memberIds.entries()) {
      const charges = chargesOf(hearth, group.id, memberId);
      const paid = charges.slice(0, Math.max(0, charges.length - (mi % 2 === 0 ? 2 : 0)));
      if (!paid.length) continue;
      const method = (["insurer", "card-terminal", "cash"] as const)[mi % 3]!;
      await recordPayment(hearth, { personId: memberId, groupId: group.id, amountCents: paid.reduce((t, c) => t + c.cents, 0), method, receivedOn: dayIn(clinicZone(hearth), now - 3 * DAY), by: group.clinicianId });
    }
    // Draft notes for the latest session anyone attended: the group note and one per attending member.
    const last = [...sessions].reverse().find((s) => s.closedAt !== null && sessionPresence(db, s.id, now).size > 0);
    if (!last) continue;
    const present = sessionPresence(db, last.id, now);
    await createNote(hearth, {
      sessionId: last.id, groupId: group.id, personId: null, template: "group", by: group.clinicianId,
      fields: { attendance: `${group.memberIds.filter((m) => present.has(m)).length} of ${group.memberIds.length} members present`, theme: "Noticing early signs of stress", interventions: "Psychoeducation on the stress curve; paced breathing practice; pairs exercise", process: "Warm, more members spoke than last time; one member quiet" },
    });
    for (const [mi, memberId] of group.memberIds.entries()) {
      const p = present.get(memberId);
      if (!p) continue;
      const template = (["dap", "soap", "birp"] as const)[mi % 3]!;
      const fields =
        template === "dap" ? { data: "Shared a difficult week at work; practised breathing with the group.", assessment: "Engaged, more hopeful than last session.", plan: "Continue weekly; try the breathing exercise before bed." }
        : template === "soap" ? { subjective: "Reports sleeping better.", objective: "On time, camera on, spoke twice.", assessment: "Steady progress.", plan: "Continue." }
        : { behavior: "Quiet at first, then joined the pairs exercise.", intervention: "Invited to share; validated.", response: "Shared briefly, thanked the group.", plan: "Check in at the start of next session." };
      await createNote(hearth, { sessionId: last.id, groupId: group.id, personId: memberId, template, by: group.clinicianId, fields: { attendance: `Present ${p.minutes} min`, ...fields } });
    }
  }
}
