import type { Locale } from "../ui/i18n.ts";
import { worksheetStrings } from "./worksheet-strings.ts";

/**
 * What a worksheet is made of. The standard templates (a CBT thought record, a weekly activity
 * log, a DBT diary card) are defined here from strings, so each person reads them in their own
 * language; clinicians' own templates are stored as they wrote them.
 */
export type Field =
  | { kind: "text"; label: string }
  | { kind: "scale"; label: string; min: number; max: number }
  | { kind: "checklist"; label: string; options: string[] }
  | { kind: "table"; label: string; columns: string[]; rows: number };

export interface TemplateBody {
  title: string;
  fields: Field[];
}

/** One answer per field, by index: text and scale a string, checklist the ticked options' indexes, table cells by row. */
export type Answers = Record<string, string | number[] | string[][]>;

export const STANDARD_KEYS = ["cbt-thought-record", "activity-log", "dbt-diary-card"] as const;
export type StandardKey = (typeof STANDARD_KEYS)[number];

export function standardTemplate(key: StandardKey, locale: Locale): TemplateBody {
  const s = worksheetStrings(locale);
  switch (key) {
    case "cbt-thought-record":
      return {
        title: s.thoughtRecord,
        fields: [{ kind: "table", label: s.thoughtRecordTable, columns: [s.trSituation, s.trThoughts, s.trEmotions, s.trFor, s.trAgainst, s.trBalanced, s.trOutcome], rows: 3 }],
      };
    case "activity-log":
      return {
        title: s.activityLog,
        fields: [
          { kind: "table", label: s.activityTable, columns: [s.alDay, s.alActivity, s.alMastery, s.alPleasure], rows: 7 },
          { kind: "scale", label: s.alMood, min: 0, max: 10 },
        ],
      };
    case "dbt-diary-card":
      return {
        title: s.diaryCard,
        fields: [
          { kind: "table", label: s.diaryTable, columns: [s.dcDay, s.dcUrges, s.dcEmotion, s.dcSkills, s.dcNotes], rows: 7 },
          { kind: "checklist", label: s.dcPractised, options: [s.dcWiseMind, s.dcOpposite, s.dcTipp, s.dcFacts, s.dcDearMan, s.dcAcceptance] },
          { kind: "scale", label: s.dcWillingness, min: 0, max: 5 },
        ],
      };
  }
}

export const MAX_FIELDS = 8;
export const LABEL_MAX = 200;
export const ANSWER_MAX = 5000;

export type BuilderRow = { label: string; kind: string; details: string };

/** A clinician's builder form, checked field by field: the template, or the problem in words (field number given). */
export function parseBuilder(title: string, rows: BuilderRow[]): { ok: true; body: TemplateBody } | { ok: false; problem: "titleRequired" | "fieldsRequired" | "badScale" | "badOptions"; field?: number } {
  const clean = (t: string) => t.replace(/[\p{Cc}\s]+/gu, " ").trim().slice(0, LABEL_MAX);
  if (!clean(title)) return { ok: false, problem: "titleRequired" };
  const fields: Field[] = [];
  for (const [i, row] of rows.entries()) {
    const label = clean(row.label);
    if (!label || !["text", "scale", "checklist", "table"].includes(row.kind)) continue;
    if (row.kind === "text") fields.push({ kind: "text", label });
    else if (row.kind === "scale") {
      const m = /^\s*(-?\d{1,3})\s*[-–]\s*(-?\d{1,3})\s*$/.exec(row.details);
      if (!m || Number(m[1]) >= Number(m[2])) return { ok: false, problem: "badScale", field: i + 1 };
      fields.push({ kind: "scale", label, min: Number(m[1]), max: Number(m[2]) });
    } else {
      const parts = row.details.split(",").map(clean).filter(Boolean).slice(0, 12);
      if (parts.length < 2) return { ok: false, problem: "badOptions", field: i + 1 };
      fields.push(row.kind === "checklist" ? { kind: "checklist", label, options: parts } : { kind: "table", label, columns: parts, rows: 5 });
    }
  }
  if (!fields.length) return { ok: false, problem: "fieldsRequired" };
  return { ok: true, body: { title: clean(title), fields } };
}

/** The answers from a filled-in form (`f{i}`, `f{i}_o{j}`, `f{i}_r{r}_c{c}`), shaped by the template and nothing else. */
export function answersFromForm(body: TemplateBody, form: Record<string, unknown>): { answers: Answers; tooLong: boolean } {
  const answers: Answers = {};
  let tooLong = false;
  const text = (v: unknown) => {
    const s = typeof v === "string" ? v.replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]/gu, "").trim() : "";
    if (s.length > ANSWER_MAX) tooLong = true;
    return s.slice(0, ANSWER_MAX);
  };
  body.fields.forEach((f, i) => {
    if (f.kind === "text") answers[i] = text(form[`f${i}`]);
    else if (f.kind === "scale") {
      const n = Number(form[`f${i}`]);
      answers[i] = form[`f${i}`] !== undefined && form[`f${i}`] !== "" && Number.isInteger(n) && n >= f.min && n <= f.max ? String(n) : "";
    } else if (f.kind === "checklist") answers[i] = f.options.flatMap((_, j) => (form[`f${i}_o${j}`] ? [j] : []));
    else answers[i] = Array.from({ length: f.rows }, (_, r) => f.columns.map((_, c) => text(form[`f${i}_r${r}_c${c}`])));
  });
  return { answers, tooLong };
}
