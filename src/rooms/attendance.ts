import type { Db } from "../store/db.ts";

/** How a visit to a session's room ended (see migration 0030). */
export type VisitOutcome = "left" | "declined" | "removed" | "sent-back" | "ended" | "dropped";

/** Starts a visit: the person knocked (members) or walked in (clinicians). Returns its id. */
export function startVisit(db: Db, sessionId: number, personId: number, now: number): number {
  return db
    .query<{ id: number }, [number, number, number]>(
      "INSERT INTO attendance (session_id, person_id, knocked_at) VALUES (?, ?, ?) RETURNING id",
    )
    .get(sessionId, personId, now)!.id;
}

export function markAdmitted(db: Db, visitId: number, by: number, now: number): void {
  db.query("UPDATE attendance SET admitted_at = ?, admitted_by = ? WHERE id = ? AND admitted_at IS NULL").run(now, by, visitId);
}

export function endVisit(db: Db, visitId: number, outcome: VisitOutcome, now: number): void {
  db.query("UPDATE attendance SET left_at = ?, outcome = ? WHERE id = ? AND left_at IS NULL").run(now, outcome, visitId);
}

export interface Visit {
  personId: number;
  knockedAt: number;
  admittedAt: number | null;
  leftAt: number | null;
  outcome: VisitOutcome | null;
}

export function visitsOf(db: Db, sessionId: number): Visit[] {
  return db
    .query<Visit, [number]>(
      `SELECT person_id AS personId, knocked_at AS knockedAt, admitted_at AS admittedAt, left_at AS leftAt, outcome
       FROM attendance WHERE session_id = ? ORDER BY id`,
    )
    .all(sessionId);
}
