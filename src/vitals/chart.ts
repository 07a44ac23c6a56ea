import { line } from "d3-shape";
import { scaleLinear, scaleTime } from "d3-scale";
import { escapeHtml as escapeText, html, unsafeRaw, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import type { PatientReading } from "./readings.ts";
import { vitalsStrings } from "./strings.ts";

/**
 * One measure over time, drawn on the server as SVG (d3-scale, d3-shape) so it needs no script.
 * Only trustworthy readings are drawn: flagged ones (implausible, artefact, special value, clock
 * skew) are counted under the chart, never plotted as the patient's. The SVG's accessible name
 * says what it shows in words; the table under it holds the latest numbers.
 */
const W = 560;
const H = 180;
const M = { top: 10, right: 12, bottom: 26, left: 40 };
const TABLE_ROWS = 20;

export const MEASURES = [
  { loinc: "8867-4", key: "heartRate" },
  { loinc: "59408-5", key: "spo2" },
  { loinc: "8480-6", key: "systolic" },
  { loinc: "8462-4", key: "diastolic" },
  { loinc: "8310-5", key: "temperature" },
  { loinc: "29463-7", key: "weight" },
] as const;

export const UNIT_WORDS: Record<string, string> = { "/min": "/min", "%": "%", Cel: "°C", "[degF]": "°F", kg: "kg", "[lb_av]": "lb", "mm[Hg]": "mmHg" };

export function measureName(locale: Locale, loinc: string): string {
  const m = MEASURES.find((x) => x.loinc === loinc);
  return m ? vitalsStrings(locale)[m.key] : loinc;
}

let seq = 0;

export function vitalsChart(locale: Locale, loinc: string, readings: readonly PatientReading[], threshold?: { below: number | null; above: number | null }): Html {
  const s = vitalsStrings(locale);
  const name = measureName(locale, loinc);
  const mine = readings.filter((r) => r.loinc === loinc);
  const good = mine.filter((r) => r.flags.length === 0 && r.value !== null) as (PatientReading & { value: number })[];
  const flagged = mine.length - good.length;
  const flaggedLine = flagged ? html`<p class="muted">${fill(s.flaggedCount, { n: flagged })}</p>` : "";
  if (!good.length) return html`<section class="card vitals-measure"><h3>${name}</h3><p class="muted">${s.noReadings}</p>${flaggedLine}</section>`;
  const unit = UNIT_WORDS[good[0]!.unit] ?? good[0]!.unit;
  const values = good.map((r) => r.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const id = `vitals-chart-${loinc}-${++seq}`;
  const label = fill(s.chartLabel, { name, n: good.length, min, max, unit, last: `${good.at(-1)!.value} ${unit}` });
  const t0 = good[0]!.measuredAt;
  const t1 = good.length > 1 ? good.at(-1)!.measuredAt : t0 + 3_600_000;
  const lines = [threshold?.below, threshold?.above].filter((v): v is number => typeof v === "number");
  const lo = Math.min(min, ...lines);
  const hi = Math.max(max, ...lines);
  const pad = Math.max(1, (hi - lo) * 0.1);
  const x = scaleTime().domain([t0, t1]).range([M.left, W - M.right]);
  const y = scaleLinear().domain([lo - pad, hi + pad]).nice().range([H - M.bottom, M.top]);
  const path = line<{ measuredAt: number; value: number }>().x((p) => x(p.measuredAt)).y((p) => y(p.value))(good) ?? "";
  const yTicks = y.ticks(4).map((v) => `<g class="tick"><line x1="${M.left - 4}" x2="${M.left}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text></g>`);
  const xTicks = x.ticks(4).map((d) => `<text class="tick" x="${x(d).toFixed(1)}" y="${H - 8}" text-anchor="middle">${escapeText(new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit" }).format(d))}</text>`);
  const limits = lines.map((v) => `<line class="threshold" x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke-dasharray="4 3"/>`);
  // Safe: every number here is computed, every text went through escapeText.
  const svg = unsafeRaw(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${escapeText(label)}</title>
<g class="axis">${yTicks.join("")}${xTicks.join("")}</g>
${limits.join("")}
<path class="line" d="${path}" fill="none"/>
</svg>`);
  const latest = good.slice(-TABLE_ROWS).reverse();
  return html`<section class="card vitals-measure" aria-labelledby="${id}-h"><h3 id="${id}-h">${name}</h3>
<figure class="chart-figure">${svg}<figcaption class="visually-hidden">${label}</figcaption></figure>
${flaggedLine}
<details><summary>${fill(s.tableCaption, { name })}</summary>
<table class="chart-data"><caption class="visually-hidden">${fill(s.tableCaption, { name })}</caption>
<thead><tr><th scope="col">${s.colTime}</th><th scope="col">${s.colValue}</th></tr></thead>
<tbody>${latest.map((r) => html`<tr><td>${formatDateTime(locale, r.measuredAt)}</td><td>${r.value} ${unit}</td></tr>`)}</tbody></table></details>
</section>`;
}
