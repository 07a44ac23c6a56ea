import type { Hearth } from "../context.ts";

/**
 * Where a session's whiteboard lives when no room holds it: its Yjs document, sealed with the
 * appliance key (migration 0036). Nothing here is logged.
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
