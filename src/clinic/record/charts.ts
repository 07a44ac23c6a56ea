import { line } from "d3-shape";
import { scaleLinear, scaleTime } from "d3-scale";
import { escapeHtml as escapeText, html, unsafeRaw, type Html } from "../../ui/html.ts";
import { INTL_TAGS, fill, formatDateTime, type Locale } from "../../ui/i18n.ts";
import type { Instrument } from "./instruments.ts";
import { recordStrings, bandLabel } from "./strings.ts";

/**
 * Charts drawn on the server as SVG (d3-scale for the axes, d3-shape for the line), so they work
 * without JavaScript and print well. Each has an accessible name (role="img" + <title>), and a
 * data table beside it holds the same numbers: the chart is a picture of the table.
 */
const W = 560;
const H = 220;
const M = { top: 12, right: 12, bottom: 28, left: 34 };

export interface Point {
  at: number;
  value: number;
}

let chartSeq = 0;

/** Scores over time with the instrument's severity bands behind them, and the table of the same scores. */
export function scoreChart(locale: Locale, inst: Instrument, points: readonly Point[], opts: { last?: number } = {}): Html {
  const s = recordStrings(locale);
  const shown = opts.last ? points.slice(-opts.last) : points;
  const id = `chart-${inst.id}-${++chartSeq}`;
  const name = fill(s.chartName, { measure: inst.short, n: shown.length });
  if (!shown.length) return html`<p class="muted">${fill(s.noScores, { measure: inst.short })}</p>`;
  const t0 = shown[0]!.at;
  const t1 = shown.length > 1 ? shown.at(-1)!.at : t0 + 86_400_000;
  const x = scaleTime().domain([t0, t1]).range([M.left, W - M.right]);
  const y = scaleLinear().domain([0, inst.maxTotal]).range([H - M.bottom, M.top]);
  const path = line<Point>().x((p) => x(p.at)).y((p) => y(p.value))(shown as Point[]) ?? "";
  // Band shading, lightest for minimal: the numbers are the instrument's published cut-offs.
  const bands = inst.bands.map((b, i) => {
    const top = y(b.max + (i === inst.bands.length - 1 ? 0 : 0.5));
    const bottom = y(Math.max(0, b.min - 0.5));
    return `<rect class="band band-${b.key}" x="${M.left}" y="${top.toFixed(1)}" width="${W - M.left - M.right}" height="${(bottom - top).toFixed(1)}"><title>${escapeText(bandLabel(locale, b.key))} ${b.min}–${b.max}</title></rect>`;
  });
  const ticks = y.ticks(5).map((v) => `<g class="tick"><line x1="${M.left - 4}" x2="${M.left}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text></g>`);
  const xTicks = x.ticks(4).map((d) => `<text class="tick" x="${x(d).toFixed(1)}" y="${H - 8}" text-anchor="middle">${escapeText(shortDate(locale, d.getTime()))}</text>`);
  const dots = shown.map((p) => `<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="4"><title>${escapeText(formatDateTime(locale, p.at))}: ${p.value}</title></circle>`);
  // Safe: every number above is computed here, and every text went through escapeText.
  const svg = unsafeRaw(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${escapeText(name)}</title>
<g class="bands">${bands.join("")}</g>
<g class="axis">${ticks.join("")}${xTicks.join("")}</g>
<path class="line" d="${path}" fill="none"/>
<g class="dots">${dots.join("")}</g>
</svg>`);
  return html`<figure class="chart-figure" aria-labelledby="${id}-caption">
<figcaption id="${id}-caption">${name}</figcaption>
${svg}
<table class="chart-data" data-chart="${id}"><caption>${fill(s.chartTable, { measure: inst.short })}</caption>
<thead><tr><th scope="col">${s.colDate}</th><th scope="col">${s.colScore}</th><th scope="col">${s.colBand}</th></tr></thead>
<tbody>${shown.map((p) => html`<tr><td>${formatDateTime(locale, p.at)}</td><td>${p.value}</td><td>${bandLabel(locale, inst.bands.find((b) => p.value >= b.min && p.value <= b.max)!.key)}</td></tr>`)}</tbody></table>
</figure>`;
}

export interface AttendancePoint {
  at: number;
  present: boolean;
}

/** Attendance per session as bars (present full, absent a short mark), with its table. */
export function attendanceChart(locale: Locale, points: readonly AttendancePoint[]): Html {
  const s = recordStrings(locale);
  if (!points.length) return html`<p class="muted">${s.noSessions}</p>`;
  const id = `chart-attendance-${++chartSeq}`;
  const present = points.filter((p) => p.present).length;
  const name = fill(s.attendanceName, { present, n: points.length });
  const x = scaleLinear().domain([0, points.length]).range([M.left, W - M.right]);
  const bw = Math.max(2, (W - M.left - M.right) / points.length - 2);
  const bars = points.map((p, i) => {
    const h = p.present ? 60 : 6;
    return `<rect class="${p.present ? "present" : "absent"}" x="${x(i).toFixed(1)}" y="${(80 - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h}"><title>${escapeText(formatDateTime(locale, p.at))}: ${escapeText(p.present ? s.present : s.absent)}</title></rect>`;
  });
  // Safe: computed numbers and escaped text only.
  const svg = unsafeRaw(`<svg class="chart attendance" viewBox="0 0 ${W} 90" role="img" aria-labelledby="${id}-title" xmlns="http://www.w3.org/2000/svg"><title id="${id}-title">${escapeText(name)}</title>${bars.join("")}</svg>`);
  return html`<figure class="chart-figure" aria-labelledby="${id}-caption"><figcaption id="${id}-caption">${name}</figcaption>${svg}
<table class="chart-data" data-chart="${id}"><caption>${s.attendanceTable}</caption>
<thead><tr><th scope="col">${s.colSession}</th><th scope="col">${s.colAttended}</th></tr></thead>
<tbody>${points.map((p) => html`<tr><td>${formatDateTime(locale, p.at)}</td><td>${p.present ? s.present : s.absent}</td></tr>`)}</tbody></table></figure>`;
}

function shortDate(locale: Locale, ms: number): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { day: "numeric", month: "short" }).format(ms);
}

