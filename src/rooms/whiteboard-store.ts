import type { Hearth } from "../context.ts";

/**
 * Where a session's whiteboard lives when no room holds it: its Yjs document and the pictures
 * exported from it, each sealed with the appliance key (migration 0036). Nothing here is logged.
 */

export async function saveBoard(hearth: Hearth, sessionId: number, state: Uint8Array): Promise<void> {
  const sealed = await hearth.vault.seal(state);
  hearth.db
    .query(
      `INSERT INTO whiteboards (session_id, board, bytes, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (session_id) DO UPDATE SET board = excluded.board, bytes = excluded.bytes, updated_at = excluded.updated_at`,
    )
    .run(sessionId, sealed, state.byteLength, hearth.now());
}

/** The saved document, or null if nothing was ever drawn in this session. */
export async function loadBoard(hearth: Hearth, sessionId: number): Promise<Uint8Array | null> {
  const row = hearth.db.query<{ board: Uint8Array }, [number]>("SELECT board FROM whiteboards WHERE session_id = ?").get(sessionId);
  return row ? hearth.vault.open(row.board) : null;
}

/** Size of the saved board (no opening needed: the record page only says how big it is). */
export function savedBoardBytes(hearth: Hearth, sessionId: number): number | null {
  return hearth.db.query<{ bytes: number }, [number]>("SELECT bytes FROM whiteboards WHERE session_id = ?").get(sessionId)?.bytes ?? null;
}

export async function saveExport(hearth: Hearth, sessionId: number, madeBy: number, png: Uint8Array): Promise<number> {
  const sealed = await hearth.vault.seal(png);
  return hearth.db
    .query<{ id: number }, [number, Uint8Array, number, number, number]>(
      "INSERT INTO whiteboard_exports (session_id, png, bytes, made_by, made_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .get(sessionId, sealed, png.byteLength, madeBy, hearth.now())!.id;
}

export interface BoardExport {
  id: number;
  bytes: number;
  madeAt: number;
}

export function exportsOf(hearth: Hearth, sessionId: number): BoardExport[] {
  return hearth.db
    .query<BoardExport, [number]>("SELECT id, bytes, made_at AS madeAt FROM whiteboard_exports WHERE session_id = ? ORDER BY id")
    .all(sessionId);
}

export async function openExport(hearth: Hearth, sessionId: number, id: number): Promise<Uint8Array | null> {
  const row = hearth.db.query<{ png: Uint8Array }, [number, number]>("SELECT png FROM whiteboard_exports WHERE id = ? AND session_id = ?").get(id, sessionId);
  return row ? hearth.vault.open(row.png) : null;
}
