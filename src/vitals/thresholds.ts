// Per-patient thresholds that tell the care team when readings stay out of range. Hysteresis keeps
// one artefact from paging anyone: an alert needs RAISE_AFTER readings in a row past the threshold,
// and it clears only after CLEAR_AFTER readings in a row back inside by a margin (BAND of the
// threshold), so a value hovering at the line does not alert again and again. Flagged readings
// (artefact, implausible, special, clock skew) never count either way.
import type { Hearth } from "../context.ts";
import { notify } from "../notify/notify.ts";
import { defineNotice } from "../notify/notices.ts";
import { isCarerOf } from "../identity/policy.ts";
import { thresholdNotice } from "./strings.ts";

export const RAISE_AFTER = 3;
export const CLEAR_AFTER = 3;
export const BAND = 0.02;

defineNotice("vitals.threshold", thresholdNotice);

export type Threshold = { loinc: string; below: number | null; above: number | null };

export function setThreshold(hearth: Hearth, by: number, patientId: number, t: Threshold): void {
  if (t.below === null && t.above === null) {
    hearth.db.query("DELETE FROM vitals_thresholds WHERE patient_id = ? AND loinc = ?").run(patientId, t.loinc);
  } else {
    hearth.db.query(
      `INSERT INTO vitals_thresholds (patient_id, loinc, below, above, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (patient_id, loinc) DO UPDATE SET below = excluded.below, above = excluded.above, set_by = excluded.set_by, set_at = excluded.set_at`,
    ).run(patientId, t.loinc, t.below, t.above, by, hearth.now());
  }
  hearth.audit.append({ actor: `person:${by}`, action: "vitals.threshold_set", subject: `person:${patientId}`, ownerId: patientId, outcome: "ok" });
}

export function thresholdsOf(hearth: Hearth, patientId: number): (Threshold & { alerting: boolean })[] {
  return hearth.db.query(
    `SELECT t.loinc, t.below, t.above, coalesce(s.alerting, 0) AS alerting FROM vitals_thresholds t
     LEFT JOIN vitals_threshold_state s ON s.patient_id = t.patient_id AND s.loinc = t.loinc WHERE t.patient_id = ? ORDER BY t.loinc`,
  ).all(patientId).map((r) => ({ ...(r as Threshold), alerting: (r as { alerting: number }).alerting === 1 }));
}

function outside(t: Threshold, v: number, margin: number): boolean {
  return (t.below !== null && v < t.below + margin * Math.abs(t.below)) || (t.above !== null && v > t.above - margin * Math.abs(t.above));
}

/** The clinicians caring for this patient (they invited them, or run one of their groups). */
export function careTeam(hearth: Hearth, patientId: number): number[] {
  const clinicians = hearth.db.query("SELECT id FROM people WHERE role = 'clinician' AND status = 'active'").all() as { id: number }[];
  return clinicians.map((c) => c.id).filter((id) => isCarerOf(hearth, id, patientId));
}

/** Feeds one trustworthy reading to the patient's threshold for its code; alerts the care team on a rise. */
export function evaluate(hearth: Hearth, patientId: number, loinc: string, value: number): "raised" | "cleared" | null {
  const t = hearth.db.query("SELECT loinc, below, above FROM vitals_thresholds WHERE patient_id = ? AND loinc = ?").get(patientId, loinc) as Threshold | null;
  if (!t) return null;
  const s = (hearth.db.query("SELECT alerting, streak, alerts FROM vitals_threshold_state WHERE patient_id = ? AND loinc = ?").get(patientId, loinc) as
    { alerting: number; streak: number; alerts: number } | null) ?? { alerting: 0, streak: 0, alerts: 0 };
  let { alerting, streak, alerts } = s;
  let change: "raised" | "cleared" | null = null;
  if (!alerting) {
    streak = outside(t, value, 0) ? streak + 1 : 0;
    if (streak >= RAISE_AFTER) [alerting, streak, alerts, change] = [1, 0, alerts + 1, "raised"];
  } else {
    // Back inside only when clear of the line by the band.
    streak = outside(t, value, BAND) ? 0 : streak + 1;
    if (streak >= CLEAR_AFTER) [alerting, streak, change] = [0, 0, "cleared"];
  }
  hearth.db.query(
    `INSERT INTO vitals_threshold_state (patient_id, loinc, alerting, streak, alerts) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (patient_id, loinc) DO UPDATE SET alerting = excluded.alerting, streak = excluded.streak, alerts = excluded.alerts`,
  ).run(patientId, loinc, alerting, streak, alerts);
  if (change === "raised") {
    for (const clinician of careTeam(hearth, patientId)) {
      notify(hearth, clinician, { kind: "vitals.threshold", link: `/vitals/patients/${patientId}`, once: `vitals:${patientId}:${loinc}:${alerts}:${clinician}` });
    }
  }
  return change;
}
