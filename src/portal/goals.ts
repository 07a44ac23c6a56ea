import type { Hearth } from "../context.ts";
import { isCarerOf, type Role } from "../identity/policy.ts";

/**
 * Goals a patient and a clinician agree on: a short SMART form (specific, measurable,
 * achievable, relevant, by when) with steps, sealed; and the patient's check-ins, progress from
 * 0 to 10 with a note (sealed). Seen by the patient and the clinicians who care for them.
 */
export interface GoalBody {
  specific: string;
  measurable: string;
  achievable: string;
  relevant: string;
  by: string;
  steps: string[];
}

export interface Goal extends GoalBody {
  id: number;
  patientId: number;
  createdBy: number;
  createdAt: number;
}

export interface CheckIn {
  progress: number;
  note: string;
  at: number;
}

export function maySeeGoals(hearth: Hearth, viewer: { id: number; role: Role }, patientId: number): boolean {
  return viewer.role === "patient" ? viewer.id === patientId : viewer.role === "clinician" && isCarerOf(hearth, viewer.id, patientId);
}

export async function createGoal(hearth: Hearth, patientId: number, by: number, body: GoalBody): Promise<number> {
  const id = hearth.db
    .query<{ id: number }, [number, Uint8Array, number, number]>("INSERT INTO goals (patient_id, body, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id")
    .get(patientId, await hearth.vault.sealJson(body), by, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${by}`, action: "goal.created", subject: `goal:${id}`, ownerId: patientId, outcome: "ok" });
  return id;
}

async function toGoal(hearth: Hearth, r: { id: number; patient_id: number; body: Uint8Array; created_by: number; created_at: number }): Promise<Goal> {
  return { id: r.id, patientId: r.patient_id, createdBy: r.created_by, createdAt: r.created_at, ...(await hearth.vault.openJson<GoalBody>(r.body)) };
}

export async function goalsOf(hearth: Hearth, patientId: number): Promise<Goal[]> {
  const rows = hearth.db
    .query<{ id: number; patient_id: number; body: Uint8Array; created_by: number; created_at: number }, [number]>("SELECT id, patient_id, body, created_by, created_at FROM goals WHERE patient_id = ? ORDER BY id DESC")
    .all(patientId);
  return Promise.all(rows.map((r) => toGoal(hearth, r)));
}

export async function goalById(hearth: Hearth, id: number): Promise<Goal | null> {
  const r = hearth.db
    .query<{ id: number; patient_id: number; body: Uint8Array; created_by: number; created_at: number }, [number]>("SELECT id, patient_id, body, created_by, created_at FROM goals WHERE id = ?")
    .get(id);
  return r ? toGoal(hearth, r) : null;
}

export async function checkIn(hearth: Hearth, goal: Goal, progress: number, note: string): Promise<void> {
  hearth.db
    .query("INSERT INTO goal_checkins (goal_id, progress, note, created_at) VALUES (?, ?, ?, ?)")
    .run(goal.id, progress, note ? await hearth.vault.seal(note) : null, hearth.now());
  hearth.audit.append({ actor: `person:${goal.patientId}`, action: "goal.checked_in", subject: `goal:${goal.id}`, ownerId: goal.patientId, outcome: "ok" });
}

export async function checkInsOf(hearth: Hearth, goalId: number): Promise<CheckIn[]> {
  const rows = hearth.db
    .query<{ progress: number; note: Uint8Array | null; created_at: number }, [number]>("SELECT progress, note, created_at FROM goal_checkins WHERE goal_id = ? ORDER BY id")
    .all(goalId);
  return Promise.all(rows.map(async (r) => ({ progress: r.progress, note: r.note ? await hearth.vault.openText(r.note) : "", at: r.created_at })));
}
