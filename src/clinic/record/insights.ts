import type { Hearth } from "../../context.ts";
import { instrument, INSTRUMENTS, type Instrument, type InstrumentId } from "./instruments.ts";
import type { MeasureResponse } from "./measures.ts";

/**
 * Progress insights, computed on the box from a member's scores and attendance. Every insight
 * carries the id of the rule that produced it, and the page states each rule in words, so a
 * clinician can always see why Hearth says what it says.
 *
 * Reliable change follows Jacobson & Truax (1991), J Consult Clin Psychol 59:12–19:
 *   RCI = (x2 − x1) / S_diff,  S_diff = √2 · SE,  SE = SD₀ · √(1 − r)
 * with r the published test–retest reliability of the measure (PHQ-9: 0.84, Kroenke, Spitzer &
 * Williams 2001, J Gen Intern Med 16:606–613; GAD-7: 0.83, Spitzer, Kroenke, Williams & Löwe
 * 2006, Arch Intern Med 166:1092–1097), and SD₀ the standard deviation of the pre-treatment
 * scores: here the clinic's own first scores on that measure, which is what Jacobson & Truax
 * prescribe. |RCI| > 1.96 is a reliable change (lower scores are better on both measures).
 * Clinically significant change (their criterion, with the measure's published cut-off of 10):
 * a reliable improvement from at or above the cut-off to below it.
 */
export const RCI_CRITICAL = 1.96;
/** Fewer first scores than this and SD₀ is too unsteady to judge reliable change. */
export const MIN_BASELINES = 10;

export type RuleId = "jt-rci" | "jt-clinical" | "attendance-trend" | "dropout-two-missed" | "not-answered" | "phq9-item9";

export interface Insight {
  rule: RuleId;
  tone: "good" | "concern" | "info";
  /** The words' parameters (numbers, measure names: never free text). */
  params: Record<string, string | number>;
}

export function rci(inst: Instrument, first: number, last: number, sd0: number): number {
  const se = sd0 * Math.sqrt(1 - inst.reliability);
  return (last - first) / (Math.SQRT2 * se);
}

/** The smallest change in points that is reliable, for this SD₀. */
export function reliableChangePoints(inst: Instrument, sd0: number): number {
  return RCI_CRITICAL * Math.SQRT2 * sd0 * Math.sqrt(1 - inst.reliability);
}

export interface Baseline {
  sd: number;
  n: number;
}

const baselines = new WeakMap<Hearth, Map<InstrumentId, Baseline>>();

/** Forget the cached SD₀ (a new first score arrived). */
export function baselineChanged(hearth: Hearth): void {
  baselines.delete(hearth);
}

/**
 * SD₀ of the clinic's first scores on a measure (one per person). Computed by the system and
 * cached until a new first score arrives; the reading is audited once per computation.
 */
export async function baselineOf(hearth: Hearth, id: InstrumentId): Promise<Baseline> {
  let cache = baselines.get(hearth);
  if (!cache) baselines.set(hearth, (cache = new Map()));
  const hit = cache.get(id);
  if (hit) return hit;
  const rows = hearth.db
    .query<{ content: Uint8Array }, [string]>(
      `SELECT r.content FROM measure_responses r
       JOIN (SELECT person_id, min(answered_at) AS first FROM measure_responses WHERE instrument = ?1 GROUP BY person_id) f
         ON f.person_id = r.person_id AND f.first = r.answered_at
       WHERE r.instrument = ?1 GROUP BY r.person_id`,
    )
    .all(id);
  const totals: number[] = [];
  for (const r of rows) totals.push((await hearth.vault.openJson<{ total: number }>(r.content)).total);
  hearth.audit.append({ actor: "system", action: "measure.baseline_computed", subject: `measure:${id}`, outcome: "ok" });
  const b = { sd: standardDeviation(totals), n: totals.length };
  cache.set(id, b);
  return b;
}

export function standardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
}

/** Reliable and clinically significant change on each measure, first score against the latest. */
export function changeInsights(history: readonly MeasureResponse[], sd0: Partial<Record<InstrumentId, Baseline>>): Insight[] {
  const out: Insight[] = [];
  for (const id of INSTRUMENTS) {
    const inst = instrument(id);
    const scores = history.filter((r) => r.instrument === id);
    if (scores.length < 2) continue;
    const first = scores[0]!.total;
    const last = scores.at(-1)!.total;
    const b = sd0[id];
    if (!b || b.n < MIN_BASELINES || b.sd === 0) {
      out.push({ rule: "jt-rci", tone: "info", params: { measure: inst.short, first, last, n: b?.n ?? 0, min: MIN_BASELINES, verdict: "unknown" } });
      continue;
    }
    const index = rci(inst, first, last, b.sd);
    const verdict = index <= -RCI_CRITICAL ? "improved" : index >= RCI_CRITICAL ? "worsened" : "unchanged";
    out.push({
      rule: "jt-rci",
      tone: verdict === "improved" ? "good" : verdict === "worsened" ? "concern" : "info",
      params: { measure: inst.short, first, last, rci: index.toFixed(2), points: reliableChangePoints(inst, b.sd).toFixed(1), verdict },
    });
    if (verdict === "improved" && first >= inst.caseness && last < inst.caseness) {
      out.push({ rule: "jt-clinical", tone: "good", params: { measure: inst.short, first, last, cutoff: inst.caseness } });
    }
  }
  const lastPhq = history.filter((r) => r.instrument === "phq9").at(-1);
  if (lastPhq && (lastPhq.answers[8] ?? 0) > 0) out.push({ rule: "phq9-item9", tone: "concern", params: { value: lastPhq.answers[8]! } });
  return out;
}

/**
 * Attendance: the rate over the last four held sessions against the four before (a change of
 * two sessions or more is a trend), and a drop-out risk when the last two were both missed.
 */
export function attendanceInsights(points: readonly { present: boolean }[]): Insight[] {
  const out: Insight[] = [];
  const recent = points.slice(-4);
  const before = points.slice(-8, -4);
  if (before.length === 4 && recent.length === 4) {
    const now = recent.filter((p) => p.present).length;
    const then = before.filter((p) => p.present).length;
    if (Math.abs(now - then) >= 2) out.push({ rule: "attendance-trend", tone: now > then ? "good" : "concern", params: { now, then } });
  }
  const lastTwo = points.slice(-2);
  if (lastTwo.length === 2 && lastTwo.every((p) => !p.present)) out.push({ rule: "dropout-two-missed", tone: "concern", params: {} });
  return out;
}
