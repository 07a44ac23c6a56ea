import * as Y from "yjs";
import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { heldSessionsOf } from "./attendance.ts";
import { BOARD_ITEMS, type BoardItem } from "./whiteboard-protocol.ts";
import { saveBoard } from "./whiteboard-store.ts";

/** A wavy freehand line, as a hand on a tablet draws it. */
function squiggle(x: number, y: number, length: number): number[] {
  const points: number[] = [];
  for (let i = 0; i < length; i++) points.push(x + i * 6, Math.round(y + 8 * Math.sin(i / 3)), 50 + (i % 20));
  return points;
}

/**
 * The board of each demo group's most recent past session, saved sealed through the
 * whiteboard's own store: the skill of the evening on sticky notes, a title, a few lines.
 */
export async function whiteboardDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const boards: BoardItem[][] = [
    [
      { id: "t", kind: "text", color: "#1f2937", x: 60, y: 40, text: "STOP skill" },
      { id: "s1", kind: "sticky", color: "#1f2937", x: 60, y: 120, text: "Stop: freeze, do not react" },
      { id: "s2", kind: "sticky", color: "#1f2937", x: 320, y: 120, text: "Take a step back, breathe" },
      { id: "s3", kind: "sticky", color: "#1f2937", x: 580, y: 120, text: "Observe: what is happening?" },
      { id: "s4", kind: "sticky", color: "#1f2937", x: 840, y: 120, text: "Proceed mindfully" },
      { id: "l", kind: "stroke", color: "#1d4ed8", size: 8, points: squiggle(60, 330, 160) },
    ],
    [
      { id: "t", kind: "text", color: "#1f2937", x: 60, y: 40, text: "This week's goals" },
      { id: "r", kind: "rect", color: "#047857", size: 4, x1: 60, y1: 100, x2: 700, y2: 400 },
      { id: "s1", kind: "sticky", color: "#1f2937", x: 90, y: 140, text: "One walk a day" },
      { id: "s2", kind: "sticky", color: "#1f2937", x: 350, y: 140, text: "Call a friend" },
    ],
    [
      { id: "t", kind: "text", color: "#1f2937", x: 60, y: 40, text: "Worry time: 15 minutes" },
      { id: "e", kind: "ellipse", color: "#a16207", size: 4, x1: 60, y1: 100, x2: 500, y2: 360 },
      { id: "s1", kind: "sticky", color: "#1f2937", x: 120, y: 150, text: "Write it down, then let it wait" },
    ],
  ];
  for (const [i, group] of clinic.groups.entries()) {
    const last = heldSessionsOf(hearth.db, group.id, 1)[0];
    if (!last) continue;
    const doc = new Y.Doc();
    doc.getArray<BoardItem>(BOARD_ITEMS).push(boards[i % boards.length]!);
    await saveBoard(hearth, last.id, Y.encodeStateAsUpdate(doc));
  }
}
