import { line } from "d3-shape";
import { scaleLinear, scaleTime } from "d3-scale";
import { escapeHtml, html, unsafeRaw, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { goalStrings } from "./goal-strings.ts";
import type { CheckIn } from "./goals.ts";

/**
 * A goal's check-ins drawn as the measures are (clinic/record/charts.ts): an SVG made on the
 * server with d3-scale and d3-shape, with an accessible name, and the same numbers in a table.
 */
const W = 560;
const H = 200;
const M = { top: 12, right: 12, bottom: 28, left: 30 };
let seq = 0;

export function progressChart(locale: Locale, points: readonly CheckIn[]): Html {
  const s = goalStrings(locale);
  if (!points.length) return html`<p class="muted">${s.noCheckIns}</p>`;
  const id = `goal-chart-${++seq}`;
  const name = fill(s.chartName, { n: points.length });
  const t0 = points[0]!.at;
  const t1 = points.length > 1 ? points.at(-1)!.at : t0 + 86_400_000;
  const x = scaleTime().domain([t0, t1]).range([M.left, W - M.right]);
  const y = scaleLinear().domain([0, 10]).range([H - M.bottom, M.top]);
  const path = line<CheckIn>().x((p) => x(p.at)).y((p) => y(p.progress))(points as CheckIn[]) ?? "";
  const ticks = [0, 2, 4, 6, 8, 10].map((v) => `<g class="tick"><line x1="${M.left - 4}" x2="${M.left}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${M.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text></g>`);
  const dots = points.map((p) => `<circle cx="${x(p.at).toFixed(1)}" cy="${y(p.progress).toFixed(1)}" r="4"><title>${escapeHtml(formatDateTime(locale, p.at))}: ${p.progress}</title></circle>`);
  // Safe: every number is computed here and every text went through escapeHtml.
  const svg = unsafeRaw(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-title" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${escapeHtml(name)}</title>
<g class="axis">${ticks.join("")}</g>
<path class="line" d="${path}" fill="none"/>
<g class="dots">${dots.join("")}</g>
</svg>`);
  return html`<figure class="chart-figure" aria-labelledby="${id}-caption"><figcaption id="${id}-caption">${name}</figcaption>${svg}
<table class="chart-data"><caption>${s.chartTable}</caption><thead><tr><th scope="col">${s.colDate}</th><th scope="col">${s.colProgress}</th><th scope="col">${s.colNote}</th></tr></thead>
<tbody>${points.map((p) => html`<tr><td>${formatDateTime(locale, p.at)}</td><td>${p.progress}</td><td>${p.note}</td></tr>`)}</tbody></table></figure>`;
}
