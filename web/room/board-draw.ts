// Painting the whiteboard's items on its canvas, and finding which item a point touches (the
// eraser). Everything, text included, is painted: nothing anyone wrote becomes markup.
import { getStroke } from "perfect-freehand";
import { BOARD_HEIGHT, BOARD_WIDTH, type BoardItem } from "../../src/rooms/whiteboard-protocol.ts";

const STICKY_W = 220;
const STICKY_H = 160;
const STICKY_FILL = "#fef3c7";
const FONT = "28px system-ui, sans-serif";
const STICKY_FONT = "22px system-ui, sans-serif";

/** perfect-freehand's outline of a stroke, closed into a path; strokes do not change, so it is kept. */
const outlines = new Map<string, Path2D>();

export function strokeOutline(points: number[], size: number): Path2D {
  const input: [number, number, number][] = [];
  for (let i = 0; i + 2 < points.length; i += 3) input.push([points[i]!, points[i + 1]!, points[i + 2]! / 100]);
  const outline = getStroke(input, { size, thinning: 0.5, smoothing: 0.5, streamline: 0.5, simulatePressure: input.every((p) => p[2] === 0.5) });
  const path = new Path2D();
  if (!outline.length) return path;
  path.moveTo(outline[0]![0]!, outline[0]![1]!);
  for (let i = 1; i < outline.length; i++) {
    const [x0, y0] = outline[i]!;
    const [x1, y1] = outline[(i + 1) % outline.length]!;
    path.quadraticCurveTo(x0!, y0!, (x0! + x1!) / 2, (y0! + y1!) / 2);
  }
  path.closePath();
  return path;
}

function outlineOf(item: Extract<BoardItem, { kind: "stroke" }>): Path2D {
  let path = outlines.get(item.id);
  if (!path) {
    path = strokeOutline(item.points, item.size);
    outlines.set(item.id, path);
  }
  return path;
}

/** Lines of text that fit `width`, at most `max` of them. */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width > width && line) {
      lines.push(line);
      line = word;
    } else line = next;
    if (lines.length === max) break;
  }
  if (line && lines.length < max) lines.push(line);
  return lines;
}

export function paintItem(ctx: CanvasRenderingContext2D, item: BoardItem): void {
  ctx.save();
  ctx.strokeStyle = item.color;
  ctx.fillStyle = item.color;
  switch (item.kind) {
    case "stroke":
      ctx.fill(outlineOf(item));
      break;
    case "line":
    case "rect":
    case "ellipse": {
      ctx.lineWidth = item.size;
      ctx.lineCap = "round";
      ctx.beginPath();
      if (item.kind === "line") {
        ctx.moveTo(item.x1, item.y1);
        ctx.lineTo(item.x2, item.y2);
      } else if (item.kind === "rect") {
        ctx.rect(Math.min(item.x1, item.x2), Math.min(item.y1, item.y2), Math.abs(item.x2 - item.x1), Math.abs(item.y2 - item.y1));
      } else {
        ctx.ellipse((item.x1 + item.x2) / 2, (item.y1 + item.y2) / 2, Math.abs(item.x2 - item.x1) / 2, Math.abs(item.y2 - item.y1) / 2, 0, 0, Math.PI * 2);
      }
      ctx.stroke();
      break;
    }
    case "sticky":
      ctx.fillStyle = STICKY_FILL;
      ctx.fillRect(item.x, item.y, STICKY_W, STICKY_H);
      ctx.lineWidth = 2;
      ctx.strokeRect(item.x, item.y, STICKY_W, STICKY_H);
      ctx.fillStyle = item.color;
      ctx.font = STICKY_FONT;
      ctx.textBaseline = "top";
      wrap(ctx, item.text, STICKY_W - 24, 5).forEach((line, i) => ctx.fillText(line, item.x + 12, item.y + 12 + i * 28));
      break;
    case "text":
      ctx.font = FONT;
      ctx.textBaseline = "top";
      ctx.fillText(item.text, item.x, item.y, BOARD_WIDTH - item.x);
      break;
  }
  ctx.restore();
}

export function paintBoard(ctx: CanvasRenderingContext2D, items: readonly BoardItem[]): void {
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, BOARD_WIDTH, BOARD_HEIGHT);
  for (const item of items) paintItem(ctx, item);
}

/** The item under a point (the topmost), within `slack` board units; -1 if none. */
export function itemAt(items: readonly BoardItem[], x: number, y: number, slack = 12): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    switch (it.kind) {
      case "stroke":
        for (let p = 0; p + 1 < it.points.length; p += 3) {
          if (Math.hypot(it.points[p]! - x, it.points[p + 1]! - y) <= slack + it.size / 2) return i;
        }
        break;
      case "line": {
        const dx = it.x2 - it.x1;
        const dy = it.y2 - it.y1;
        const t = Math.max(0, Math.min(1, ((x - it.x1) * dx + (y - it.y1) * dy) / (dx * dx + dy * dy || 1)));
        if (Math.hypot(it.x1 + t * dx - x, it.y1 + t * dy - y) <= slack + it.size / 2) return i;
        break;
      }
      case "rect":
      case "ellipse":
        if (x >= Math.min(it.x1, it.x2) - slack && x <= Math.max(it.x1, it.x2) + slack && y >= Math.min(it.y1, it.y2) - slack && y <= Math.max(it.y1, it.y2) + slack) return i;
        break;
      case "sticky":
        if (x >= it.x && x <= it.x + STICKY_W && y >= it.y && y <= it.y + STICKY_H) return i;
        break;
      case "text":
        if (x >= it.x - slack && x <= it.x + it.text.length * 15 + slack && y >= it.y - slack && y <= it.y + 34 + slack) return i;
        break;
    }
  }
  return -1;
}
