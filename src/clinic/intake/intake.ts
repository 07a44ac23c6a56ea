import type { Hearth } from "../../context.ts";
import { notify } from "../../notify/notify.ts";
import { defineNotice } from "../../notify/notices.ts";
import { addMember, partIn } from "../groups.ts";
import { checkAnswers, type IntakeAnswers } from "./matching.ts";
import { placedText } from "./strings.ts";

/**
 * A patient's intake: their sealed answers, and the placement a clinician makes from the ranking.
 * Placing invites: the patient is told (in Hearth, and by a content-free e-mail if they want
 * e-mails) and joins the group only when they accept.
 */
export const PLACED_KIND = "clinic.placed";
defineNotice(PLACED_KIND, placedText);

export interface Intake {
  personId: number;
  answers: IntakeAnswers;
  submittedAt: number;
  placedGroupId: number | null;
  placedBy: number | null;
  acceptedAt: number | null;
}

interface Row {
  person_id: number;
  answers: Uint8Array;
  submitted_at: number;
  placed_group_id: number | null;
  placed_by: number | null;
  accepted_at: number | null;
}

export async function submitIntake(hearth: Hearth, personId: number, answers: IntakeAnswers): Promise<void> {
  const sealed = await hearth.vault.sealJson(checkAnswers(answers));
  hearth.db
    .query(
      `INSERT INTO intakes (person_id, answers, submitted_at) VALUES (?, ?, ?)
       ON CONFLICT (person_id) DO UPDATE SET answers = excluded.answers, submitted_at = excluded.submitted_at`,
    )
    .run(personId, sealed, hearth.now());
  hearth.audit.append({ actor: `person:${personId}`, action: "intake.submitted", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
}

/** The intake of a person, opened and audited as read by `actorId`. */
export async function readIntake(hearth: Hearth, actorId: number, personId: number): Promise<Intake | null> {
  const r = hearth.db.query<Row, [number]>("SELECT person_id, answers, submitted_at, placed_group_id, placed_by, accepted_at FROM intakes WHERE person_id = ?").get(personId);
  if (!r) return null;
  hearth.audit.append({ actor: `person:${actorId}`, action: "intake.read", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return {
    personId: r.person_id,
    answers: await hearth.vault.openJson<IntakeAnswers>(r.answers),
    submittedAt: r.submitted_at,
    placedGroupId: r.placed_group_id,
    placedBy: r.placed_by,
    acceptedAt: r.accepted_at,
  };
}

/** Ids of people with an intake not yet accepted into a group (nothing opened). */
export function waitingIntakes(hearth: Hearth): { personId: number; submittedAt: number; placedGroupId: number | null }[] {
  return hearth.db
    .query<{ personId: number; submittedAt: number; placedGroupId: number | null }, []>(
      "SELECT person_id AS personId, submitted_at AS submittedAt, placed_group_id AS placedGroupId FROM intakes WHERE accepted_at IS NULL ORDER BY submitted_at",
    )
    .all();
}

export function intakeState(hearth: Hearth, personId: number): { placedGroupId: number | null; acceptedAt: number | null } | null {
  return hearth.db.query<{ placedGroupId: number | null; acceptedAt: number | null }, [number]>("SELECT placed_group_id AS placedGroupId, accepted_at AS acceptedAt FROM intakes WHERE person_id = ?").get(personId);
}

/** A clinician of the group invites the patient into it. False when they do not lead it. */
export function placeInGroup(hearth: Hearth, clinicianId: number, personId: number, groupId: number): boolean {
  if (partIn(hearth.db, groupId, clinicianId) !== "clinician") return false;
  const done =
    hearth.db.query("UPDATE intakes SET placed_group_id = ?, placed_by = ?, placed_at = ? WHERE person_id = ? AND accepted_at IS NULL").run(groupId, clinicianId, hearth.now(), personId).changes === 1;
  if (!done) return false;
  hearth.audit.append({ actor: `person:${clinicianId}`, action: "intake.placed", subject: `group:${groupId}`, ownerId: personId, outcome: "ok" });
  notify(hearth, personId, { kind: PLACED_KIND, link: "/intake", once: `placed:${personId}:${groupId}` });
  return true;
}

/** The patient accepts the invitation: they join the group, if its inviter still leads it. */
export function acceptPlacement(hearth: Hearth, personId: number): number | null {
  const s = hearth.db.query<{ g: number | null; by: number | null }, [number]>("SELECT placed_group_id AS g, placed_by AS by FROM intakes WHERE person_id = ? AND accepted_at IS NULL").get(personId);
  if (!s?.g || !s.by || partIn(hearth.db, s.g, s.by) !== "clinician") return null;
  hearth.db.transaction(() => {
    if (!partIn(hearth.db, s.g!, personId)) addMember(hearth, personId, s.g!, personId, "member");
    hearth.db.query("UPDATE intakes SET accepted_at = ? WHERE person_id = ?").run(hearth.now(), personId);
  }).immediate();
  return s.g;
}
