import { getStroke } from "perfect-freehand";
import { html, type Html } from "../ui/html.ts";
import { BOARD_HEIGHT, BOARD_WIDTH, type BoardItem } from "./whiteboard-protocol.ts";

/**
 * A saved board drawn as SVG on the server, for the session record: no script, the words as
 * real text. Items come from a document members wrote to, so every value is checked here
 * (numbers finite, colours #rrggbb) and every attribute and text goes through html``.
 */

const STICKY_W = 220;
const STICKY_H = 160;
const HEX = /^#[0-9a-f]{6}$/i;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
const colour = (v: unknown) => (typeof v === "string" && HEX.test(v) ? v : "#1f2937");
const text = (v: unknown) => (typeof v === "string" ? v.slice(0, 200) : "");

/** perfect-freehand's outline as an SVG path (quadratic segments through the midpoints). */
function outlinePath(points: unknown, size: number): string | null {
  if (!Array.isArray(points)) return null;
  const input: [number, number, number][] = [];
  for (let i = 0; i + 2 < points.length && input.length < 5000; i += 3) {
    const [x, y, p] = [num(points[i]), num(points[i + 1]), num(points[i + 2])];
    if (x === null || y === null || p === null) return null;
    input.push([x, y, p / 100]);
  }
  const outline = getStroke(input, { size, thinning: 0.5, smoothing: 0.5, streamline: 0.5, simulatePressure: input.every((q) => q[2] === 0.5) });
  if (!outline.length) return null;
  const r = (n: number) => Math.round(n * 10) / 10;
  const parts = [`M${r(outline[0]![0]!)} ${r(outline[0]![1]!)}`];
  for (let i = 0; i < outline.length; i++) {
    const [x0, y0] = outline[i]!;
    const [x1, y1] = outline[(i + 1) % outline.length]!;
    parts.push(`Q${r(x0!)} ${r(y0!)} ${r((x0! + x1!) / 2)} ${r((y0! + y1!) / 2)}`);
  }
  return `${parts.join("")}Z`;
}

/** Lines of at most ~`width` characters, at most `max` of them. */
function lines(words: string, width: number, max: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of words.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
      if (out.length === max) return out;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.slice(0, max);
}

function itemSvg(raw: BoardItem): Html | "" {
  const item = raw as unknown as Record<string, unknown>;
  const stroke = colour(item.color);
  const size = Math.min(64, Math.max(1, num(item.size) ?? 4));
  switch (item.kind) {
    case "stroke": {
      const d = outlinePath(item.points, size);
      return d ? html`<path d="${d}" fill="${stroke}"/>` : "";
    }
    case "line":
    case "rect":
    case "ellipse": {
      const [x1, y1, x2, y2] = [num(item.x1), num(item.y1), num(item.x2), num(item.y2)];
      if (x1 === null || y1 === null || x2 === null || y2 === null) return "";
      if (item.kind === "line") return html`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${stroke}" stroke-width="${size}" stroke-linecap="round"/>`;
      if (item.kind === "rect") return html`<rect x="${Math.min(x1, x2)}" y="${Math.min(y1, y2)}" width="${Math.abs(x2 - x1)}" height="${Math.abs(y2 - y1)}" fill="none" stroke="${stroke}" stroke-width="${size}"/>`;
      return html`<ellipse cx="${(x1 + x2) / 2}" cy="${(y1 + y2) / 2}" rx="${Math.abs(x2 - x1) / 2}" ry="${Math.abs(y2 - y1) / 2}" fill="none" stroke="${stroke}" stroke-width="${size}"/>`;
    }
    case "sticky": {
      const [x, y] = [num(item.x), num(item.y)];
      if (x === null || y === null) return "";
      return html`<g><rect x="${x}" y="${y}" width="${STICKY_W}" height="${STICKY_H}" fill="#fef3c7" stroke="${stroke}" stroke-width="2"/>
<text x="${x + 12}" y="${y + 34}" fill="${stroke}" font-size="22" font-family="system-ui, sans-serif">${lines(text(item.text), 17, 5).map((l, i) => html`<tspan x="${x + 12}" dy="${i ? 28 : 0}">${l}</tspan>`)}</text></g>`;
    }
    case "text": {
      const [x, y] = [num(item.x), num(item.y)];
      if (x === null || y === null) return "";
      return html`<text x="${x}" y="${y + 28}" fill="${stroke}" font-size="28" font-family="system-ui, sans-serif">${text(item.text)}</text>`;
    }
    default:
      return "";
  }
}

/** The board as an image with a text alternative: `label` names it, the words are listed after it. */
export function boardSvg(items: readonly BoardItem[], label: string, wordsLabel: string): Html {
  const words = items.flatMap((i) => (i.kind === "sticky" || i.kind === "text" ? [text((i as { text?: unknown }).text)] : [])).filter(Boolean);
  return html`<figure class="board-record"><svg id="board-record" viewBox="0 0 ${BOARD_WIDTH} ${BOARD_HEIGHT}" width="100%" role="img" aria-label="${label}">
<rect width="${BOARD_WIDTH}" height="${BOARD_HEIGHT}" fill="#ffffff" stroke="#d1d5db" stroke-width="4"/>${items.map((i) => itemSvg(i))}</svg>
${words.length ? html`<figcaption><p>${wordsLabel}</p><ul>${words.map((w) => html`<li>${w}</li>`)}</ul></figcaption>` : ""}</figure>`;
}
