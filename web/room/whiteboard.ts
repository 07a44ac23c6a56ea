// The shared whiteboard (docs/room-protocol.md, "Whiteboard"): this page's copy of the board's Yjs
// document, kept in step with the server's over the room socket, painted on a canvas. What this
// page draws is sent in small batches; undo covers this page's own changes (Y.UndoManager).
import * as Y from "yjs";
import type { ClientMessage, MemberView, ServerMessage } from "../../src/rooms/protocol.ts";
import { BOARD_HEIGHT, BOARD_ITEMS, BOARD_UPDATE_MAX_CHARS, BOARD_WIDTH, type BoardItem } from "../../src/rooms/whiteboard-protocol.ts";
import { formatBytes, whiteboardStrings } from "../../src/rooms/whiteboard-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { itemAt, paintBoard, paintItem, strokeOutline } from "./board-draw.ts";
import { byId, el, maybeId, setPressed } from "./dom.ts";

type S = ReturnType<typeof whiteboardStrings>;
type Tool = "pen" | "line" | "rect" | "ellipse" | "sticky" | "text" | "eraser";
type BoardMsg = Extract<ServerMessage, { type: "board" | "board-update" | "board-access" }>;

/** Changes made here go out at most this often (the room's socket allows 20 messages a second). */
const SEND_EVERY_MS = 120;
/** After the board refused a change for speed, this long before catching up with it. */
const RESYNC_AFTER_MS = 1500;

// Chromium and Firefox have the native base64 of Uint8Array (a large board decodes in a few ms);
// older browsers go through btoa/atob.
type Base64Native = { toBase64?: () => string };
const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
const b64 = (u: Uint8Array) => {
  const native = (u as Base64Native).toBase64;
  if (native) return native.call(u);
  let s = "";
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
};
const unb64 = (s: string) => (fromBase64 ? fromBase64(s) : Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));

export class WhiteboardPanel {
  /** Marks this page's own changes (what is sent, and what undo may take back). */
  readonly #local = { origin: "this page" };
  #doc!: Y.Doc;
  #items!: Y.Array<BoardItem>;
  #undo!: Y.UndoManager;
  #pending: Uint8Array[] = [];
  #sendTimer = 0;
  #paintQueued = false;
  #drawers: number[] = [];
  #tool: Tool = "pen";
  #drag: { tool: Tool; points: number[]; x1: number; y1: number; x2: number; y2: number } | null = null;
  #bytes = 0;
  #maxBytes = 0;
  #synced = false;
  readonly #canvas = byId<HTMLCanvasElement>("board-canvas");
  readonly #ctx = this.#canvas.getContext("2d")!;

  constructor(
    readonly s: S,
    readonly facilitator: boolean,
    readonly send: (msg: ClientMessage) => void,
    readonly people: () => { selfId: number; members: MemberView[] },
    readonly say: (text: string) => void,
    readonly sessionId: string,
  ) {
    this.#fresh();
    this.#wire();
  }

  /** A new, empty copy of the board (on first load, and when this page's copy must be dropped). */
  #fresh(): void {
    this.#undo?.destroy();
    this.#doc?.destroy();
    this.#doc = new Y.Doc();
    this.#items = this.#doc.getArray<BoardItem>(BOARD_ITEMS);
    this.#undo = new Y.UndoManager(this.#items, { trackedOrigins: new Set([this.#local]), captureTimeout: 0 });
    this.#doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === this.#local || origin === this.#undo) this.#queue(update);
      this.#paintSoon();
    });
    this.#pending = [];
  }

  get mayDraw(): boolean {
    return this.facilitator || this.#drawers.includes(this.people().selfId);
  }

  handle(msg: BoardMsg): void {
    switch (msg.type) {
      case "board": {
        Y.applyUpdate(this.#doc, unb64(msg.update), "server");
        this.#bytes = msg.bytes;
        this.#maxBytes = msg.maxBytes;
        this.#access(msg.drawers);
        // What this page has and the server lacks (drawn while the socket was down, or refused for speed).
        if (this.mayDraw) {
          const missing = Y.encodeStateAsUpdate(this.#doc, unb64(msg.stateVector));
          if (missing.length > 2) this.#queue(missing);
        }
        this.#synced = true;
        break;
      }
      case "board-update":
        Y.applyUpdate(this.#doc, unb64(msg.update), "server");
        this.#bytes = msg.bytes;
        break;
      case "board-access":
        this.#access(msg.drawers);
        break;
    }
    this.#status();
  }

  /** A refusal from the board (ref board-update): the server and this page must agree again. */
  error(code: string, message: string): void {
    this.#notice(message);
    if (code === "board-too-fast") {
      window.setTimeout(() => this.#sync(), RESYNC_AFTER_MS);
      return;
    }
    // Not allowed, full or unreadable: this page's copy holds what the server will never take.
    this.#fresh();
    this.#sync();
  }

  #sync(): void {
    this.send({ type: "board-sync", stateVector: b64(Y.encodeStateVector(this.#doc)) });
  }

  #access(drawers: number[]): void {
    const before = this.mayDraw;
    this.#drawers = drawers;
    if (this.#synced && before !== this.mayDraw && !this.facilitator) this.say(this.mayDraw ? this.s.allowedNow : this.s.notAllowedNow);
    this.renderDrawers();
  }

  // ---- sending -------------------------------------------------------------------------------

  #queue(update: Uint8Array): void {
    this.#pending.push(update);
    if (!this.#sendTimer) this.#sendTimer = window.setTimeout(() => this.#flush(), SEND_EVERY_MS);
  }

  #flush(): void {
    this.#sendTimer = 0;
    if (!this.#pending.length) return;
    const merged = Y.mergeUpdates(this.#pending);
    this.#pending = [];
    const update = b64(merged);
    if (update.length > BOARD_UPDATE_MAX_CHARS) {
      // One change too big to send (a huge undo): the server keeps its board; so does everyone else.
      this.error("board-full", fill(this.s["board-full"], { size: formatBytes(this.#bytes), max: formatBytes(this.#maxBytes) }));
      return;
    }
    this.send({ type: "board-update", update });
  }

  // ---- the panel -----------------------------------------------------------------------------

  #wire(): void {
    const open = byId<HTMLButtonElement>("btn-board");
    open.addEventListener("click", () => {
      const panel = byId("board-panel");
      panel.hidden = !panel.hidden;
      setPressed(open, !panel.hidden);
      open.setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden) this.#paintSoon();
    });
    for (const b of document.querySelectorAll<HTMLButtonElement>("#board-tools [data-tool]")) {
      b.addEventListener("click", () => {
        this.#tool = b.dataset.tool as Tool;
        for (const o of document.querySelectorAll<HTMLButtonElement>("#board-tools [data-tool]")) setPressed(o, o === b);
      });
    }
    byId("board-undo").addEventListener("click", () => this.#undo.undo());
    byId("board-redo").addEventListener("click", () => this.#undo.redo());
    maybeId("board-clear")?.addEventListener("click", (e) => {
      if (!this.#items.length || !window.confirm((e.currentTarget as HTMLElement).dataset.confirm ?? "")) return;
      this.#doc.transact(() => this.#items.delete(0, this.#items.length), this.#local);
      this.say(this.s.cleared);
    });
    maybeId("board-export")?.addEventListener("click", () => void this.#export());
    // Without a pointer: Enter places the sticky note or text, each a little below the last.
    byId<HTMLInputElement>("board-text").addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || !this.mayDraw) return;
      e.preventDefault();
      const input = e.currentTarget as HTMLInputElement;
      const text = input.value.trim();
      if (!text) return;
      const kind = this.#tool === "text" ? "text" : "sticky";
      const n = this.#items.length % 12;
      this.#add({ id: crypto.randomUUID(), kind, color: this.#colour(), x: 40 + (n % 6) * 250, y: 40 + Math.floor(n / 6) * 200, text });
      input.value = "";
    });
    const c = this.#canvas;
    c.addEventListener("pointerdown", (e) => this.#down(e));
    c.addEventListener("pointermove", (e) => this.#move(e));
    c.addEventListener("pointerup", (e) => this.#up(e));
    c.addEventListener("pointercancel", () => {
      this.#drag = null;
      this.#paintSoon();
    });
  }

  #at(e: PointerEvent): [number, number] {
    const r = this.#canvas.getBoundingClientRect();
    return [Math.round(((e.clientX - r.left) / r.width) * BOARD_WIDTH), Math.round(((e.clientY - r.top) / r.height) * BOARD_HEIGHT)];
  }

  #colour(): string {
    return byId<HTMLSelectElement>("board-colour").value;
  }

  #down(e: PointerEvent): void {
    if (!this.mayDraw || e.button > 0) return;
    const [x, y] = this.#at(e);
    if (this.#tool === "sticky" || this.#tool === "text") {
      const text = byId<HTMLInputElement>("board-text").value.trim();
      if (!text) return byId("board-text").focus();
      this.#add({ id: crypto.randomUUID(), kind: this.#tool, color: this.#colour(), x, y, text });
      return;
    }
    if (this.#tool === "eraser") return this.#erase(x, y);
    this.#canvas.setPointerCapture(e.pointerId);
    this.#drag = { tool: this.#tool, points: [x, y, Math.round((e.pressure || 0.5) * 100)], x1: x, y1: y, x2: x, y2: y };
  }

  #move(e: PointerEvent): void {
    if (!this.mayDraw) return;
    const [x, y] = this.#at(e);
    if (this.#tool === "eraser" && e.buttons) return this.#erase(x, y);
    if (!this.#drag) return;
    this.#drag.x2 = x;
    this.#drag.y2 = y;
    if (this.#drag.tool === "pen") this.#drag.points.push(x, y, Math.round((e.pressure || 0.5) * 100));
    this.#paintSoon();
  }

  #up(e: PointerEvent): void {
    const d = this.#drag;
    this.#drag = null;
    if (!d) return;
    if (this.#canvas.hasPointerCapture(e.pointerId)) this.#canvas.releasePointerCapture(e.pointerId);
    const base = { id: crypto.randomUUID(), color: this.#colour() };
    if (d.tool === "pen") this.#add({ ...base, kind: "stroke", size: 8, points: d.points });
    else if (d.tool === "line" || d.tool === "rect" || d.tool === "ellipse") this.#add({ ...base, kind: d.tool, size: 4, x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 });
  }

  #add(item: BoardItem): void {
    this.#doc.transact(() => this.#items.push([item]), this.#local);
  }

  #erase(x: number, y: number): void {
    const i = itemAt(this.#items.toArray(), x, y);
    if (i >= 0) this.#doc.transact(() => this.#items.delete(i, 1), this.#local);
  }

  async #export(): Promise<void> {
    this.#paint();
    const blob = await new Promise<Blob | null>((resolve) => this.#canvas.toBlob(resolve, "image/png"));
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
    let message = this.s.exportFailed;
    if (blob) {
      try {
        const res = await fetch(`/rooms/${this.sessionId}/board.png`, { method: "POST", headers: { "content-type": "image/png", "x-csrf-token": token }, body: blob });
        message = res.ok ? ((await res.json()) as { message: string }).message : this.s.exportFailed;
      } catch {
        // offline for a moment: the words below say to try again
      }
    }
    this.#notice(message);
  }

  /** What just happened to this page's drawing (a refusal, a saved picture): shown and said. */
  #notice(message: string): void {
    const box = byId("board-notice");
    box.textContent = message;
    box.hidden = false;
    this.say(message);
  }

  // ---- showing -------------------------------------------------------------------------------

  #paintSoon(): void {
    if (this.#paintQueued) return;
    this.#paintQueued = true;
    requestAnimationFrame(() => {
      this.#paintQueued = false;
      this.#paint();
    });
  }

  #paint(): void {
    const items = this.#items.toArray();
    this.#canvas.dataset.items = String(items.length);
    this.#words(items);
    if (byId("board-panel").hidden) return;
    paintBoard(this.#ctx, items);
    const d = this.#drag;
    if (!d) return;
    const color = this.#colour();
    if (d.tool === "pen") {
      this.#ctx.fillStyle = color;
      this.#ctx.fill(strokeOutline(d.points, 8));
    } else if (d.tool === "line" || d.tool === "rect" || d.tool === "ellipse") {
      paintItem(this.#ctx, { id: "", kind: d.tool, color, size: 4, x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2 });
    }
  }

  /** The board's words, for screen readers (the canvas itself is a picture). */
  #words(items: BoardItem[]): void {
    const words = items.flatMap((i) => (i.kind === "sticky" || i.kind === "text" ? [i.text] : []));
    const list = byId("board-words");
    if (list.childElementCount === words.length && [...list.children].every((li, k) => li.textContent === words[k])) return;
    list.replaceChildren(...words.map((w) => el("li", {}, w)));
  }

  /** Whether this person may draw, and how full the board is; written only when it changes. */
  #status(): void {
    const status = byId("board-status");
    const text = this.mayDraw ? this.s.youMayDraw : this.s.viewOnly;
    if (status.textContent !== text) status.textContent = text;
    byId("board-tools").hidden = !this.mayDraw;
    const size = this.#maxBytes ? fill(this.s.size, { used: formatBytes(this.#bytes), max: formatBytes(this.#maxBytes) }) : "";
    const sizeBox = byId("board-size");
    if (sizeBox.textContent !== size) sizeBox.textContent = size;
  }

  /** Facilitators: one checkbox per member in the room, ticked for those who may draw. */
  renderDrawers(): void {
    const list = maybeId("board-drawers-list");
    if (!list) return;
    const { members } = this.people();
    list.replaceChildren(
      ...members
        .filter((m) => m.role === "member" && m.state !== "waiting")
        .map((m) => {
          const box = el("input", { type: "checkbox", id: `board-draw-${m.id}` });
          box.checked = this.#drawers.includes(m.id);
          box.addEventListener("change", () => this.send({ type: "board-allow", memberId: m.id, allowed: box.checked }));
          const label = el("label", { for: box.id }, fill(this.s.allowDraw, { name: m.name }));
          const li = el("li", { class: "field checkbox" });
          li.append(box, label);
          return li;
        }),
    );
    this.#status();
  }
}
