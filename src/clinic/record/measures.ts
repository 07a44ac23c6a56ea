import type { Hearth } from "../../context.ts";
import { notify } from "../../notify/notify.ts";
import { membersOf, partIn } from "../groups.ts";
import { bandOf, instrument, needsSafetyAlert, score, type Band, type InstrumentId, type MeasureLanguage } from "./instruments.ts";
import { baselineChanged } from "./insights.ts";

/**
 * Measures: a clinician asks a group (again before each session) or one member (once) for a
 * PHQ-9 or GAD-7; the member answers from home. Answers and totals are sealed; each opening of
 * someone's answers is audited. PHQ-9 item 9 above 0 tells every clinician of the group at once.
 */
export interface Assignment {
  id: number;
  instrument: InstrumentId;
  groupId: number;
  /** null: every member of the group, before each session. */
  personId: number | null;
  createdBy: number;
  createdAt: number;
  endedAt: number | null;
}

export interface MeasureResponse {
  id: number;
  assignmentId: number;
  instrument: InstrumentId;
  personId: number;
  groupId: number;
  answeredAt: number;
  answers: number[];
  difficulty: number | null;
  language: MeasureLanguage;
  total: number;
  band: Band;
}

interface Sealed {
  answers: number[];
  difficulty: number | null;
  language: MeasureLanguage;
  total: number;
}

const ASSIGNMENT_COLUMNS =
  "id, instrument, group_id AS groupId, person_id AS personId, created_by AS createdBy, created_at AS createdAt, ended_at AS endedAt";

export function assignMeasure(hearth: Hearth, a: { instrument: InstrumentId; groupId: number; personId: number | null; by: number }): number {
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [string, number, number | null, number, number]>(
        "INSERT INTO measure_assignments (instrument, group_id, person_id, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
      )
      .get(a.instrument, a.groupId, a.personId, a.by, hearth.now())!.id;
    hearth.audit.append({ actor: `person:${a.by}`, action: "measure.assigned", subject: `measure_assignment:${id}`, ownerId: a.personId, outcome: "ok" });
    return id;
  }).immediate();
}

export function endAssignment(hearth: Hearth, groupId: number, id: number, by: number): boolean {
  const done = hearth.db.query("UPDATE measure_assignments SET ended_at = ? WHERE id = ? AND group_id = ? AND ended_at IS NULL").run(hearth.now(), id, groupId).changes === 1;
  if (done) hearth.audit.append({ actor: `person:${by}`, action: "measure.assignment_ended", subject: `measure_assignment:${id}`, outcome: "ok" });
  return done;
}

export function assignmentById(hearth: Hearth, id: number): Assignment | null {
  return hearth.db.query<Assignment, [number]>(`SELECT ${ASSIGNMENT_COLUMNS} FROM measure_assignments WHERE id = ?`).get(id) ?? null;
}

export function assignmentsOfGroup(hearth: Hearth, groupId: number): Assignment[] {
  return hearth.db.query<Assignment, [number]>(`SELECT ${ASSIGNMENT_COLUMNS} FROM measure_assignments WHERE group_id = ? AND ended_at IS NULL ORDER BY id`).all(groupId);
}

/**
 * When the current round of a group-wide assignment began: its creation, or the opening of the
 * group's latest session after it (an answer given since then counts for the next session).
 */
function roundStart(hearth: Hearth, a: Assignment): number {
  const last = hearth.db
    .query<{ at: number | null }, [number, number]>("SELECT max(opened_at) AS at FROM group_sessions WHERE group_id = ? AND opened_at <= ?")
    .get(a.groupId, hearth.now())?.at;
  return Math.max(a.createdAt, last ?? 0);
}

/** Is this assignment waiting for this person's answer now? */
export function isDue(hearth: Hearth, a: Assignment, personId: number): boolean {
  if (a.endedAt !== null) return false;
  if (a.personId !== null && a.personId !== personId) return false;
  if (partIn(hearth.db, a.groupId, personId) !== "member") return false;
  const since = a.personId === null ? roundStart(hearth, a) : 0;
  return (
    hearth.db
      .query("SELECT 1 FROM measure_responses WHERE assignment_id = ? AND person_id = ? AND answered_at >= ?")
      .get(a.id, personId, since) === null
  );
}

/** What this member is asked to fill in now (ids only: nothing is opened). */
export function dueFor(hearth: Hearth, personId: number): Assignment[] {
  return hearth.db
    .query<Assignment, [number, number]>(
      `SELECT a.id, a.instrument, a.group_id AS groupId, a.person_id AS personId, a.created_by AS createdBy, a.created_at AS createdAt, a.ended_at AS endedAt
       FROM measure_assignments a
       JOIN group_members m ON m.group_id = a.group_id AND m.person_id = ? AND m.role = 'member' AND m.left_at IS NULL
       WHERE a.ended_at IS NULL AND (a.person_id IS NULL OR a.person_id = ?) ORDER BY a.id`,
    )
    .all(personId, personId)
    .filter((a) => isDue(hearth, a, personId));
}

/** Who among the group's members has not answered this round of an assignment. */
export function notAnswered(hearth: Hearth, a: Assignment): number[] {
  return membersOf(hearth.db, a.groupId)
    .filter((m) => m.role === "member" && (a.personId === null || a.personId === m.personId))
    .map((m) => m.personId)
    .filter((id) => isDue(hearth, a, id));
}

export class NotDueError extends Error {}

/**
 * Stores a filled-in questionnaire (sealed) and, if PHQ-9 item 9 is above 0, tells each of the
 * group's clinicians at once (in Hearth, and by e-mail through notify's outbox: the e-mail says
 * only that something is waiting). Returns the score and whether the alert went out.
 */
export async function submitResponse(
  hearth: Hearth,
  r: { personId: number; assignmentId: number; answers: number[]; difficulty: number | null; language: MeasureLanguage },
): Promise<{ id: number; total: number; band: Band; alerted: boolean }> {
  const a = assignmentById(hearth, r.assignmentId);
  if (!a || !isDue(hearth, a, r.personId)) throw new NotDueError("not due");
  const inst = instrument(a.instrument);
  const alerted = needsSafetyAlert(inst, r.answers);
  const { id, total, band } = await recordResponse(hearth, a, r, hearth.now(), () => {
    if (!isDue(hearth, a, r.personId)) throw new NotDueError("answered meanwhile");
  });
  if (alerted) alertClinicians(hearth, a.groupId, r.personId, id);
  return { id, total, band, alerted };
}

/**
 * Stores one filled-in questionnaire as given (sealed, audited), answered at `at`. submitResponse
 * checks that it is due first; the demo uses this to lay down months of past answers.
 */
export async function recordResponse(
  hearth: Hearth,
  a: Assignment,
  r: { personId: number; answers: number[]; difficulty: number | null; language: MeasureLanguage },
  at: number,
  check: () => void = () => {},
): Promise<{ id: number; total: number; band: Band }> {
  const { total, band } = score(instrument(a.instrument), r.answers);
  const sealed = await hearth.vault.seal(JSON.stringify({ answers: r.answers, difficulty: r.difficulty, language: r.language, total } satisfies Sealed));
  const id = hearth.db.transaction(() => {
    check();
    const id = hearth.db
      .query<{ id: number }, [number, string, number, number, number, Uint8Array]>(
        "INSERT INTO measure_responses (assignment_id, instrument, person_id, group_id, answered_at, content) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(a.id, a.instrument, r.personId, a.groupId, at, sealed)!.id;
    hearth.audit.append({ actor: `person:${r.personId}`, action: "measure.answered", subject: `measure_response:${id}`, ownerId: r.personId, outcome: "ok" });
    return id;
  }).immediate();
  baselineChanged(hearth);
  return { id, total, band };
}

function alertClinicians(hearth: Hearth, groupId: number, personId: number, responseId: number): void {
  for (const m of membersOf(hearth.db, groupId)) {
    if (m.role !== "clinician") continue;
    notify(hearth, m.personId, { kind: SAFETY_NOTICE, link: `/groups/${groupId}/record/members/${personId}`, once: `measure-safety:${responseId}:${m.personId}` });
  }
  hearth.audit.append({ actor: "system", action: "measure.safety_alert", subject: `measure_response:${responseId}`, ownerId: personId, outcome: "ok" });
}

export const SAFETY_NOTICE = "record.safety";

interface ResponseRow {
  id: number;
  assignmentId: number;
  instrument: InstrumentId;
  personId: number;
  groupId: number;
  answeredAt: number;
  content: Uint8Array;
}

/**
 * A person's answers, oldest first, opened and audited as one read by `actorId` (the person
 * themselves, or a clinician of one of their groups: callers check that first). `groupIds`
 * limits them to answers given in those groups.
 */
export async function historyOf(
  hearth: Hearth,
  actorId: number,
  personId: number,
  opts: { instrument?: InstrumentId; groupIds?: readonly number[]; since?: number; endsOnly?: boolean } = {},
): Promise<MeasureResponse[]> {
  let rows = hearth.db
    .query<ResponseRow, [number, number]>(
      `SELECT id, assignment_id AS assignmentId, instrument, person_id AS personId, group_id AS groupId, answered_at AS answeredAt, content
       FROM measure_responses WHERE person_id = ? AND answered_at >= ? ORDER BY answered_at, id`,
    )
    .all(personId, opts.since ?? 0)
    .filter((r) => (!opts.instrument || r.instrument === opts.instrument) && (!opts.groupIds || opts.groupIds.includes(r.groupId)));
  if (opts.endsOnly) {
    // The first and the latest answer per measure, all a dashboard row needs: a group with years
    // of answers opens four values per member, not hundreds.
    const ends = new Set<ResponseRow>();
    for (const id of new Set(rows.map((r) => r.instrument))) {
      const same = rows.filter((r) => r.instrument === id);
      ends.add(same[0]!).add(same.at(-1)!);
    }
    rows = rows.filter((r) => ends.has(r));
  }
  const out: MeasureResponse[] = [];
  for (const r of rows) {
    const s = await hearth.vault.openJson<Sealed>(r.content);
    out.push({ id: r.id, assignmentId: r.assignmentId, instrument: r.instrument, personId: r.personId, groupId: r.groupId, answeredAt: r.answeredAt, answers: s.answers, difficulty: s.difficulty, language: s.language, total: s.total, band: bandOf(instrument(r.instrument), s.total) });
  }
  hearth.audit.append({ actor: `person:${actorId}`, action: "measure.read", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return out;
}
