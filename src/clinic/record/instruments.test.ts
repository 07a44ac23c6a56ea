/**
 * The measures' published scoring, table-driven over every band edge, and the wording kept whole
 * in each language; the Jacobson–Truax arithmetic against a hand-worked example.
 */
import { describe, expect, test } from "bun:test";
import { GAD7, MEASURE_LANGUAGES, PHQ9, bandOf, needsSafetyAlert, score, type Instrument } from "./instruments.ts";
import { MIN_BASELINES, RCI_CRITICAL, attendanceInsights, changeInsights, rci, reliableChangePoints, standardDeviation } from "./insights.ts";
import type { MeasureResponse } from "./measures.ts";

/** Answers (0–3 each) that add up to `total`, filled from the first item. */
function answersFor(inst: Instrument, total: number): number[] {
  const out = inst.loinc.items.map(() => 0);
  let left = total;
  for (let i = 0; i < out.length && left > 0; i++) {
    out[i] = Math.min(3, left);
    left -= out[i]!;
  }
  return out;
}

const PHQ9_EDGES: [number, string][] = [
  [0, "minimal"], [4, "minimal"], [5, "mild"], [9, "mild"], [10, "moderate"], [14, "moderate"],
  [15, "moderately-severe"], [19, "moderately-severe"], [20, "severe"], [27, "severe"],
];
const GAD7_EDGES: [number, string][] = [
  [0, "minimal"], [4, "minimal"], [5, "mild"], [9, "mild"], [10, "moderate"], [14, "moderate"], [15, "severe"], [21, "severe"],
];

describe("published scoring", () => {
  test.each(PHQ9_EDGES)("PHQ-9 total %i is %s", (total, band) => {
    const answers = answersFor(PHQ9, total);
    expect(answers.reduce((s, a) => s + a, 0)).toBe(total);
    expect(score(PHQ9, answers)).toEqual({ total, band: expect.objectContaining({ key: band }) });
  });
  test.each(GAD7_EDGES)("GAD-7 total %i is %s", (total, band) => {
    expect(score(GAD7, answersFor(GAD7, total)).band.key).toBe(band as never);
  });
  test("the bands cover every total exactly once", () => {
    for (const inst of [PHQ9, GAD7]) {
      for (let t = 0; t <= inst.maxTotal; t++) expect(inst.bands.filter((b) => t >= b.min && t <= b.max)).toHaveLength(1);
      expect(() => bandOf(inst, inst.maxTotal + 1)).toThrow();
    }
  });
  test("a fixed set of answers scores as published", () => {
    expect(score(PHQ9, [1, 2, 1, 2, 1, 0, 1, 0, 1])).toEqual({ total: 9, band: expect.objectContaining({ key: "mild" }) });
    expect(score(GAD7, [3, 2, 2, 1, 1, 0, 1])).toEqual({ total: 10, band: expect.objectContaining({ key: "moderate" }) });
  });
  test("wrong answers are refused, not scored", () => {
    expect(() => score(PHQ9, [0, 0, 0])).toThrow();
    expect(() => score(GAD7, [0, 0, 0, 0, 0, 0, 4])).toThrow();
    expect(() => score(GAD7, [0, 0, 0, 0, 0, 0, 1.5])).toThrow();
  });
  test("only PHQ-9 item 9 above 0 asks for the safety alert", () => {
    expect(needsSafetyAlert(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 1])).toBe(true);
    expect(needsSafetyAlert(PHQ9, [3, 3, 3, 3, 3, 3, 3, 3, 0])).toBe(false);
    expect(needsSafetyAlert(GAD7, [0, 0, 0, 0, 0, 0, 3])).toBe(false);
  });
});

describe("wording", () => {
  test("every language has every item and four options, none empty, item 9 about self-harm", () => {
    for (const inst of [PHQ9, GAD7]) {
      for (const l of MEASURE_LANGUAGES) {
        const w = inst.wording[l];
        expect(w.items).toHaveLength(inst.loinc.items.length);
        expect(w.options).toHaveLength(4);
        expect(w.difficultyOptions).toHaveLength(4);
        for (const text of [w.title, w.stem, w.difficulty, ...w.items, ...w.options]) expect(text.trim().length).toBeGreaterThan(3);
      }
    }
    expect(PHQ9.wording.en.items[8]).toBe("Thoughts that you would be better off dead or of hurting yourself in some way");
    expect(PHQ9.wording.fr.options).toEqual(["Jamais", "Plusieurs jours", "Plus de la moitié du temps", "Presque tous les jours"]);
    expect(PHQ9.wording.es.options).toEqual(["Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días"]);
    expect(GAD7.wording.es.options[0]).toBe("Nunca");
  });
  test("LOINC codes: PHQ-9 panel and total, GAD-7 panel and total", () => {
    expect([PHQ9.loinc.panel, PHQ9.loinc.total, GAD7.loinc.panel, GAD7.loinc.total]).toEqual(["44249-1", "44261-6", "69737-5", "70274-6"]);
    expect(new Set([...PHQ9.loinc.items, ...GAD7.loinc.items]).size).toBe(16);
  });
});

describe("Jacobson–Truax", () => {
  test("RCI by hand: SD0 6, r 0.84 -> SE 2.4, Sdiff 3.394; 20 -> 10 is -2.95", () => {
    expect(rci(PHQ9, 20, 10, 6)).toBeCloseTo(-10 / (Math.SQRT2 * 6 * Math.sqrt(0.16)), 6);
    expect(rci(PHQ9, 20, 10, 6)).toBeCloseTo(-2.946, 3);
    expect(reliableChangePoints(PHQ9, 6)).toBeCloseTo(RCI_CRITICAL * 3.394, 2);
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
  });
  const r = (instrument: "phq9" | "gad7", total: number, item9 = 0): MeasureResponse =>
    ({ instrument, total, answers: [0, 0, 0, 0, 0, 0, 0, 0, item9] }) as MeasureResponse;
  test("reliable improvement that crosses the cut-off is clinically significant; each insight names its rule", () => {
    const sd0 = { phq9: { sd: 6, n: MIN_BASELINES }, gad7: { sd: 5, n: MIN_BASELINES } };
    const got = changeInsights([r("phq9", 18), r("phq9", 12), r("phq9", 6), r("gad7", 6), r("gad7", 17)], sd0);
    expect(got.map((i) => [i.rule, i.params.measure ?? "", i.params.verdict ?? ""])).toEqual([
      ["jt-rci", "PHQ-9", "improved"], ["jt-clinical", "PHQ-9", ""], ["jt-rci", "GAD-7", "worsened"],
    ]);
    expect(changeInsights([r("phq9", 12), r("phq9", 10)], sd0)[0]!.params.verdict).toBe("unchanged");
    expect(changeInsights([r("phq9", 12), r("phq9", 2)], { phq9: { sd: 6, n: 3 } })[0]!.params.verdict).toBe("unknown");
    expect(changeInsights([r("phq9", 12, 1)], sd0).map((i) => i.rule)).toEqual(["phq9-item9"]);
  });
  test("attendance: two missed in a row is a drop-out risk; a change of two in four is a trend", () => {
    const p = (xs: number[]) => xs.map((x) => ({ present: x === 1 }));
    expect(attendanceInsights(p([1, 1, 0, 0])).map((i) => i.rule)).toEqual(["dropout-two-missed"]);
    expect(attendanceInsights(p([1, 1, 1, 1, 1, 0, 1, 0])).map((i) => i.rule)).toEqual(["attendance-trend"]);
    expect(attendanceInsights(p([1, 1, 1, 1, 1, 1, 0, 1]))).toEqual([]);
  });
});
