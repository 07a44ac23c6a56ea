import * as Y from "yjs";
import { log } from "../log.ts";
import { fill } from "../ui/i18n.ts";
import type { FeatureMember, LeftBecause, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import { BOARD_MAX_BYTES, type WhiteboardErrorCode } from "./whiteboard-protocol.ts";
import { loadBoard, saveBoard } from "./whiteboard-store.ts";
import { formatBytes, whiteboardStrings } from "./whiteboard-strings.ts";

type BoardMessage = ClientMessageOf<"board-update" | "board-sync" | "board-allow">;

/** Each member's drawing budget: a burst of 256 KB of updates, then 64 KB a second. */
const BURST_BYTES = 256 * 1024;
const BYTES_PER_SECOND = 64 * 1024;
/** A changed board is saved (sealed) this long after its first unsaved change. */
const SAVE_AFTER_MS = 5_000;

/** Saves under way in this process: a shutdown waits for them before the database closes. */
const pendingSaves = new Set<Promise<void>>();

/** Resolves once every board save started so far has finished (RoomService.close awaits it). */
export async function savesFinished(): Promise<void> {
  while (pendingSaves.size) await Promise.all([...pendingSaves]);
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

/**
 * The session's shared whiteboard: one Yjs document per room, which the server holds, checks and
 * relays. Facilitators draw, and the members they allow; every admitted member sees the board, a
 * late joiner (or a page that comes back) gets all of it on admission. Waiting and removed members
 * get nothing (the feature context sends to admitted members only). The document is saved sealed
 * while the session runs and when it ends, and loaded again if the room is made anew (a restart).
 */
export class Whiteboard implements RoomFeature<BoardMessage["type"]> {
  readonly types = ["board-update", "board-sync", "board-allow"] as const;
  readonly #doc = new Y.Doc();
  /** Members (room member ids) a facilitator has allowed to draw. */
  readonly #drawers = new Set<number>();
  readonly #budget = new Map<number, { bytes: number; at: number }>();
  /** The board's encoded size, as last measured, plus what was applied since (an upper bound). */
  #bytes = 0;
  #measured = true;
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  #saving: Promise<void> = Promise.resolve();
  #changed = false;
  readonly #ready: Promise<void>;

  readonly #maxBytes: number;

  /** `maxBytes`: the board's bound (BOARD_MAX_BYTES unless a test wants a small board). */
  constructor(
    private readonly ctx: RoomFeatureContext,
    { maxBytes = BOARD_MAX_BYTES }: { maxBytes?: number } = {},
  ) {
    this.#maxBytes = maxBytes;
    this.#ready = this.#load();
    // Every change, whoever made it, goes to every admitted page but its author's.
    this.#doc.on("update", (update: Uint8Array, origin: unknown) => {
      const from = typeof origin === "number" ? origin : null;
      const message = { type: "board-update" as const, update: toBase64(update), bytes: this.#bytes };
      for (const m of this.ctx.admitted()) if (m.id !== from) this.ctx.sendTo(m, message);
      this.#scheduleSave();
    });
  }

  async #load(): Promise<void> {
    try {
      const saved = await loadBoard(this.ctx.hearth, this.ctx.sessionId);
      if (saved) {
        Y.applyUpdate(this.#doc, saved, "saved");
        this.#bytes = saved.byteLength;
      }
    } catch (err) {
      log.error("whiteboard could not be loaded", { session: this.ctx.sessionId, kind: (err as Error).name });
    }
    this.#changed = false;
  }

  async receive(member: FeatureMember, msg: BoardMessage): Promise<void> {
    await this.#ready;
    switch (msg.type) {
      case "board-update":
        return this.#update(member, msg.update);
      case "board-sync":
        return this.#sendBoard(member, msg.stateVector);
      case "board-allow": {
        const target = this.ctx.member(msg.memberId);
        if (!target || target.role !== "member") return this.#refuse(member, "board-no-such-member", msg.type);
        if (msg.allowed) this.#drawers.add(target.id);
        else this.#drawers.delete(target.id);
        return this.#tellAccess();
      }
    }
  }

  mayDraw(member: FeatureMember): boolean {
    return this.ctx.isFacilitator(member) || this.#drawers.has(member.id);
  }

  #update(member: FeatureMember, encoded: string): void {
    if (!this.mayDraw(member)) return this.#refuse(member, "board-not-allowed", "board-update");
    const update = fromBase64(encoded);
    if (!this.#withinBudget(member, update.byteLength)) return this.#refuse(member, "board-too-fast", "board-update");
    if (this.#bytes + update.byteLength > this.#maxBytes) {
      this.#measure();
      if (this.#bytes + update.byteLength > this.#maxBytes) return this.#refuse(member, "board-full", "board-update");
    }
    this.#bytes += update.byteLength;
    this.#measured = false;
    try {
      // Reading it first: a malformed update throws here, before it touches the document.
      Y.decodeUpdate(update);
      Y.applyUpdate(this.#doc, update, member.id);
    } catch {
      this.#measure();
      return this.#refuse(member, "board-bad-update", "board-update");
    }
  }

  #withinBudget(member: FeatureMember, bytes: number): boolean {
    const now = performance.now();
    const b = this.#budget.get(member.id) ?? { bytes: BURST_BYTES, at: now };
    b.bytes = Math.min(BURST_BYTES, b.bytes + ((now - b.at) / 1000) * BYTES_PER_SECOND);
    b.at = now;
    this.#budget.set(member.id, b);
    if (b.bytes < bytes) return false;
    b.bytes -= bytes;
    return true;
  }

  /** The board's true encoded size (deleted items shrink it to almost nothing). */
  #measure(): void {
    if (this.#measured) return;
    this.#bytes = Y.encodeStateAsUpdate(this.#doc).byteLength;
    this.#measured = true;
  }

  #sendBoard(member: FeatureMember, stateVector?: string): void {
    let update: Uint8Array;
    try {
      update = Y.encodeStateAsUpdate(this.#doc, stateVector ? fromBase64(stateVector) : undefined);
    } catch {
      update = Y.encodeStateAsUpdate(this.#doc);
    }
    this.#measure();
    this.ctx.sendTo(member, {
      type: "board",
      update: toBase64(update),
      stateVector: toBase64(Y.encodeStateVector(this.#doc)),
      bytes: this.#bytes,
      maxBytes: this.#maxBytes,
      drawers: [...this.#drawers],
    });
  }

  #tellAccess(): void {
    this.ctx.broadcast({ type: "board-access", drawers: [...this.#drawers] });
  }

  #refuse(member: FeatureMember, code: WhiteboardErrorCode, ref: string): void {
    const s = whiteboardStrings(member.locale);
    const message = code === "board-full" ? fill(s[code], { size: formatBytes(this.#bytes), max: formatBytes(this.#maxBytes) }) : s[code];
    this.ctx.refuse(member, code, message, ref);
  }

  /** Newly in, or a new page: the whole board as it stands. */
  async admitted(member: FeatureMember): Promise<void> {
    await this.#ready;
    this.#sendBoard(member);
  }

  left(member: FeatureMember, _because: LeftBecause): void {
    this.#budget.delete(member.id);
    if (this.#drawers.delete(member.id)) this.#tellAccess();
  }

  #scheduleSave(): void {
    this.#changed = true;
    if (this.#saveTimer) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = null;
      void this.save();
    }, SAVE_AFTER_MS);
  }

  /** Seals and stores the board if it changed since the last save; one save at a time. */
  save(): Promise<void> {
    const saving = (this.#saving = this.#saving.then(async () => {
      if (!this.#changed) return;
      this.#changed = false;
      try {
        await saveBoard(this.ctx.hearth, this.ctx.sessionId, Y.encodeStateAsUpdate(this.#doc));
      } catch (err) {
        this.#changed = true;
        log.error("whiteboard could not be saved", { session: this.ctx.sessionId, kind: (err as Error).name });
      }
    }));
    pendingSaves.add(saving);
    void saving.finally(() => pendingSaves.delete(saving));
    return saving;
  }

  async ended(): Promise<void> {
    await this.#ready;
    await this.save();
  }

  dispose(): void {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    void this.save().then(() => this.#doc.destroy());
  }
}
