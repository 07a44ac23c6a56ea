import { t } from "elysia";

/** The shared whiteboard (whiteboard.ts; docs/room-protocol.md, "Whiteboard"). */

/** Yjs updates and state vectors travel base64-encoded in JSON. */
const Base64 = (maxLength: number) => t.String({ maxLength, pattern: "^[A-Za-z0-9+/]*={0,2}$" });

/** One update from a page (a batch of strokes): 48 KB of Yjs update once decoded. */
export const BOARD_UPDATE_MAX_CHARS = 65_536;
/** The whole board, encoded, may not grow past this (a clear message says so). */
export const BOARD_MAX_BYTES = 2 * 1024 * 1024;

export const whiteboardClient = {
  /** A Yjs update made on this page; only facilitators and the members they allow may send one. */
  "board-update": t.Object({ type: t.Literal("board-update"), update: Base64(BOARD_UPDATE_MAX_CHARS) }, { additionalProperties: false }),
  /** The page's state vector: the server answers with a `board` holding what the page lacks. */
  "board-sync": t.Object({ type: t.Literal("board-sync"), stateVector: Base64(16_384) }, { additionalProperties: false }),
  /** A facilitator lets a member draw, or stops them. */
  "board-allow": t.Object({ type: t.Literal("board-allow"), memberId: t.Integer({ minimum: 1, maximum: 1_000_000 }), allowed: t.Boolean() }, { additionalProperties: false }),
};

export const WHITEBOARD_FACILITATOR_ONLY = ["board-allow"] as const;

export type WhiteboardErrorCode = "board-not-allowed" | "board-full" | "board-too-fast" | "board-bad-update" | "board-no-such-member";

export type WhiteboardServerMessage =
  /**
   * The board as the server has it (what the page lacks, or all of it), the server's state vector
   * (so the page can send back what the server lacks), its size, and who may draw.
   */
  | { type: "board"; update: string; stateVector: string; bytes: number; maxBytes: number; drawers: number[] }
  /** Someone else's change, to apply as it is. */
  | { type: "board-update"; update: string; bytes: number }
  /** Who may draw changed (facilitators always may; this lists the members allowed). */
  | { type: "board-access"; drawers: number[] };

/**
 * What the board's Yjs document holds: one array, `items`, of plain objects (an item is drawn
 * once and then only erased, so it needs no shared sub-structure). Coordinates are in board
 * units: the board is BOARD_WIDTH x BOARD_HEIGHT whatever the size of the canvas showing it.
 * Every page draws these on a canvas (text with fillText), never as HTML.
 */
export const BOARD_WIDTH = 1600;
export const BOARD_HEIGHT = 900;
export const BOARD_ITEMS = "items";

export type BoardItem =
  /** Freehand: the pen's points (x, y, pressure x 100), drawn with perfect-freehand. */
  | { id: string; kind: "stroke"; color: string; size: number; points: number[] }
  | { id: string; kind: "line" | "rect" | "ellipse"; color: string; size: number; x1: number; y1: number; x2: number; y2: number }
  | { id: string; kind: "sticky" | "text"; color: string; x: number; y: number; text: string };
