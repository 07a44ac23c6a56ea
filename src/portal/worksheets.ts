import type { Hearth } from "../context.ts";
import { isCarerOf, type Role } from "../identity/policy.ts";
import { defineNotice } from "../notify/notices.ts";
import { notify } from "../notify/notify.ts";
import { defineStrings, type Locale } from "../ui/i18n.ts";
import { STANDARD_KEYS, standardTemplate, type Answers, type StandardKey, type TemplateBody } from "./worksheet-templates.ts";

/**
 * Worksheets: clinicians' templates, assignments (one per patient), the patient's sealed answers
 * (a draft until submitted) and sealed comments. A worksheet is the patient's and, once
 * submitted, the assigning clinician's while they still care for the patient (isCarerOf).
 */
export const WORKSHEET_ASSIGNED = "portal.worksheet_assigned";
export const WORKSHEET_SUBMITTED = "portal.worksheet_submitted";
defineNotice(
  WORKSHEET_ASSIGNED,
  defineStrings(
    { title: "You have a new worksheet", email: "You have a new worksheet in Hearth." },
    { title: "Vous avez un nouvel exercice", email: "Vous avez un nouvel exercice dans Hearth." },
    { title: "Tiene un ejercicio nuevo", email: "Tiene un ejercicio nuevo en Hearth." },
  ),
);
defineNotice(
  WORKSHEET_SUBMITTED,
  defineStrings(
    { title: "A worksheet was submitted", email: "A worksheet you gave was submitted in Hearth." },
    { title: "Un exercice a été envoyé", email: "Un exercice que vous avez donné a été envoyé dans Hearth." },
    { title: "Se envió un ejercicio", email: "Se envió en Hearth un ejercicio que usted dio." },
  ),
);

export type Status = "assigned" | "draft" | "submitted";

export interface Assignment {
  id: number;
  templateRef: string;
  patientId: number;
  groupId: number | null;
  assignedBy: number;
  dueOn: string;
  status: Status;
  createdAt: number;
  submittedAt: number | null;
}

interface Row {
  id: number;
  template_ref: string;
  patient_id: number;
  group_id: number | null;
  assigned_by: number;
  due_on: string;
  status: Status;
  created_at: number;
  submitted_at: number | null;
}

const COLUMNS = "id, template_ref, patient_id, group_id, assigned_by, due_on, status, created_at, submitted_at";

function toAssignment(r: Row): Assignment {
  return {
    id: r.id,
    templateRef: r.template_ref,
    patientId: r.patient_id,
    groupId: r.group_id,
    assignedBy: r.assigned_by,
    dueOn: r.due_on,
    status: r.status,
    createdAt: r.created_at,
    submittedAt: r.submitted_at,
  };
}

export async function createTemplate(hearth: Hearth, by: number, body: TemplateBody): Promise<number> {
  const sealed = await hearth.vault.sealJson(body);
  const id = hearth.db
    .query<{ id: number }, [Uint8Array, number, number]>("INSERT INTO worksheet_templates (body, created_by, created_at) VALUES (?, ?, ?) RETURNING id")
    .get(sealed, by, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${by}`, action: "worksheet.template_created", subject: `worksheet_template:${id}`, outcome: "ok" });
  return id;
}

/** The templates a clinician may give: the standard ones, then their own. */
export async function templatesFor(hearth: Hearth, clinicianId: number, locale: Locale): Promise<{ ref: string; title: string }[]> {
  const own = hearth.db.query<{ id: number; body: Uint8Array }, [number]>("SELECT id, body FROM worksheet_templates WHERE created_by = ? ORDER BY id").all(clinicianId);
  return [
    ...STANDARD_KEYS.map((k) => ({ ref: `std:${k}`, title: standardTemplate(k, locale).title })),
    ...(await Promise.all(own.map(async (t) => ({ ref: `own:${t.id}`, title: (await hearth.vault.openJson<TemplateBody>(t.body)).title })))),
  ];
}

/** The template behind a reference, in this language (null when it does not exist). */
export async function templateBody(hearth: Hearth, ref: string, locale: Locale): Promise<TemplateBody | null> {
  const [kind, id] = ref.split(":");
  if (kind === "std") return (STANDARD_KEYS as readonly string[]).includes(id!) ? standardTemplate(id as StandardKey, locale) : null;
  const row = hearth.db.query<{ body: Uint8Array }, [number]>("SELECT body FROM worksheet_templates WHERE id = ?").get(Number(id));
  return row ? hearth.vault.openJson<TemplateBody>(row.body) : null;
}

export function templateIsUsableBy(hearth: Hearth, ref: string, clinicianId: number): boolean {
  const [kind, id] = ref.split(":");
  if (kind === "std") return (STANDARD_KEYS as readonly string[]).includes(id!);
  return kind === "own" && hearth.db.query("SELECT 1 FROM worksheet_templates WHERE id = ? AND created_by = ?").get(Number(id), clinicianId) !== null;
}

export function assign(hearth: Hearth, input: { templateRef: string; patientIds: number[]; groupId: number | null; by: number; dueOn: string }): number[] {
  const now = hearth.now();
  const ids = hearth.db.transaction(() =>
    input.patientIds.map(
      (p) =>
        hearth.db
          .query<{ id: number }, [string, number, number | null, number, string, number]>(
            "INSERT INTO worksheet_assignments (template_ref, patient_id, group_id, assigned_by, due_on, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
          )
          .get(input.templateRef, p, input.groupId, input.by, input.dueOn, now)!.id,
    ),
  )();
  ids.forEach((id, i) => {
    const patientId = input.patientIds[i]!;
    hearth.audit.append({ actor: `person:${input.by}`, action: "worksheet.assigned", subject: `worksheet:${id}`, ownerId: patientId, outcome: "ok" });
    notify(hearth, patientId, { kind: WORKSHEET_ASSIGNED, link: `/portal/worksheets/${id}` });
  });
  return ids;
}

export function assignmentById(hearth: Hearth, id: number): Assignment | null {
  const r = hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM worksheet_assignments WHERE id = ?`).get(id);
  return r ? toAssignment(r) : null;
}

/** The patient, or the clinician who gave it while they still care for the patient. */
export function mayOpen(hearth: Hearth, viewer: { id: number; role: Role }, a: Assignment): boolean {
  if (viewer.role === "patient") return a.patientId === viewer.id;
  return viewer.role === "clinician" && a.assignedBy === viewer.id && isCarerOf(hearth, viewer.id, a.patientId);
}

export function assignmentsOfPatient(hearth: Hearth, patientId: number): Assignment[] {
  return hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM worksheet_assignments WHERE patient_id = ? ORDER BY due_on, id`).all(patientId).map(toAssignment);
}

export function assignmentsGivenBy(hearth: Hearth, clinicianId: number): Assignment[] {
  return hearth.db
    .query<Row, [number]>(`SELECT ${COLUMNS} FROM worksheet_assignments WHERE assigned_by = ? ORDER BY id DESC LIMIT 200`)
    .all(clinicianId)
    .map(toAssignment)
    .filter((a) => isCarerOf(hearth, clinicianId, a.patientId));
}

export async function answersOf(hearth: Hearth, id: number): Promise<Answers> {
  const row = hearth.db.query<{ answers: Uint8Array | null }, [number]>("SELECT answers FROM worksheet_assignments WHERE id = ?").get(id);
  return row?.answers ? hearth.vault.openJson<Answers>(row.answers) : {};
}

/** Saves the patient's answers; submitting shares them with the clinician who gave it. False once submitted. */
export async function saveAnswers(hearth: Hearth, a: Assignment, answers: Answers, submit: boolean): Promise<boolean> {
  const sealed = await hearth.vault.sealJson(answers);
  const now = hearth.now();
  const changed = hearth.db
    .query("UPDATE worksheet_assignments SET answers = ?, status = ?, updated_at = ?, submitted_at = ? WHERE id = ? AND status <> 'submitted'")
    .run(sealed, submit ? "submitted" : "draft", now, submit ? now : null, a.id).changes;
  if (!changed) return false;
  hearth.audit.append({ actor: `person:${a.patientId}`, action: submit ? "worksheet.submitted" : "worksheet.draft_saved", subject: `worksheet:${a.id}`, ownerId: a.patientId, outcome: "ok" });
  if (submit) notify(hearth, a.assignedBy, { kind: WORKSHEET_SUBMITTED, link: `/portal/worksheets/${a.id}` });
  return true;
}

export async function addComment(hearth: Hearth, a: Assignment, authorId: number, text: string): Promise<void> {
  hearth.db
    .query("INSERT INTO worksheet_comments (assignment_id, author_id, body, created_at) VALUES (?, ?, ?, ?)")
    .run(a.id, authorId, await hearth.vault.seal(text), hearth.now());
  hearth.audit.append({ actor: `person:${authorId}`, action: "worksheet.commented", subject: `worksheet:${a.id}`, ownerId: a.patientId, outcome: "ok" });
}

export async function commentsOf(hearth: Hearth, id: number): Promise<{ authorId: number; body: string; createdAt: number }[]> {
  const rows = hearth.db
    .query<{ author_id: number; body: Uint8Array; created_at: number }, [number]>("SELECT author_id, body, created_at FROM worksheet_comments WHERE assignment_id = ? ORDER BY id")
    .all(id);
  return Promise.all(rows.map(async (r) => ({ authorId: r.author_id, body: await hearth.vault.openText(r.body), createdAt: r.created_at })));
}
