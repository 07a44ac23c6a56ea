// A device lent to a patient for a period: a clinician assigns it, the patient agrees in their own
// pages. Readings are attributed to the patient only when measured inside the period AND after the
// patient agreed; anything else stays with the device, apart (patient_id NULL).
import type { Hearth } from "../context.ts";

export type Assignment = {
  id: number;
  deviceId: string;
  deviceName: string;
  patientId: number;
  startsAt: number;
  endsAt: number | null;
  consentedAt: number | null;
  declinedAt: number | null;
};

const SELECT = `SELECT a.id, a.device_id AS deviceId, d.name AS deviceName, a.patient_id AS patientId, a.starts_at AS startsAt,
  a.ends_at AS endsAt, a.consented_at AS consentedAt, a.declined_at AS declinedAt
  FROM vitals_assignments a JOIN vitals_devices d ON d.id = a.device_id`;

export type AssignError = "no-device" | "revoked" | "bad-period" | "overlap";

export function assignDevice(hearth: Hearth, by: number, a: { deviceId: string; patientId: number; startsAt: number; endsAt: number | null }): { ok: true; id: number } | { ok: false; error: AssignError } {
  const d = hearth.db.query("SELECT revoked_at FROM vitals_devices WHERE id = ?").get(a.deviceId) as { revoked_at: number | null } | null;
  if (!d) return { ok: false, error: "no-device" };
  if (d.revoked_at !== null) return { ok: false, error: "revoked" };
  if (a.endsAt !== null && a.endsAt <= a.startsAt) return { ok: false, error: "bad-period" };
  // One patient per device at a time: an overlapping period (not declined) would make attribution ambiguous.
  const clash = hearth.db.query(
    "SELECT 1 FROM vitals_assignments WHERE device_id = ? AND declined_at IS NULL AND starts_at < coalesce(?, 9e15) AND coalesce(ends_at, 9e15) > ?",
  ).get(a.deviceId, a.endsAt, a.startsAt);
  if (clash) return { ok: false, error: "overlap" };
  const row = hearth.db.query("INSERT INTO vitals_assignments (device_id, patient_id, starts_at, ends_at, assigned_by) VALUES (?, ?, ?, ?, ?) RETURNING id")
    .get(a.deviceId, a.patientId, a.startsAt, a.endsAt, by) as { id: number };
  hearth.audit.append({ actor: `person:${by}`, action: "vitals.device_assigned", subject: `device:${a.deviceId}`, ownerId: a.patientId, outcome: "ok" });
  return { ok: true, id: row.id };
}

export function assignmentsOf(hearth: Hearth, patientId: number): Assignment[] {
  return hearth.db.query(`${SELECT} WHERE a.patient_id = ? ORDER BY a.starts_at DESC`).all(patientId) as Assignment[];
}

/** The patient's answer. Only their own, still unanswered assignment can be answered. */
export function answerAssignment(hearth: Hearth, patientId: number, assignmentId: number, agree: boolean): boolean {
  const col = agree ? "consented_at" : "declined_at";
  const ok = hearth.db.query(`UPDATE vitals_assignments SET ${col} = ? WHERE id = ? AND patient_id = ? AND consented_at IS NULL AND declined_at IS NULL`)
    .run(hearth.now(), assignmentId, patientId).changes > 0;
  if (ok) hearth.audit.append({ actor: `person:${patientId}`, action: agree ? "vitals.consent_given" : "vitals.consent_declined", subject: `assignment:${assignmentId}`, ownerId: patientId, outcome: "ok" });
  return ok;
}

/** Consent can be withdrawn: the period ends now, later readings stay apart. */
export function withdrawConsent(hearth: Hearth, patientId: number, assignmentId: number): boolean {
  const now = hearth.now();
  const ok = hearth.db.query("UPDATE vitals_assignments SET ends_at = ? WHERE id = ? AND patient_id = ? AND consented_at IS NOT NULL AND (ends_at IS NULL OR ends_at > ?)")
    .run(now, assignmentId, patientId, now).changes > 0;
  if (ok) hearth.audit.append({ actor: `person:${patientId}`, action: "vitals.consent_withdrawn", subject: `assignment:${assignmentId}`, ownerId: patientId, outcome: "ok" });
  return ok;
}

/** The patient a reading measured at `at` belongs to, or null: kept apart. */
export function patientFor(hearth: Hearth, deviceId: string, at: number): number | null {
  const row = hearth.db.query(
    `SELECT patient_id FROM vitals_assignments WHERE device_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)
     AND consented_at IS NOT NULL AND consented_at <= ? ORDER BY starts_at DESC LIMIT 1`,
  ).get(deviceId, at, at, at) as { patient_id: number } | null;
  return row?.patient_id ?? null;
}
