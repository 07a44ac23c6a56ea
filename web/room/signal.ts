// The room's WebSocket: JSON messages both ways, and reconnection with back-off while the
// server still keeps this member's place (45 s, docs/room-protocol.md).
import type { ClientMessage, ServerMessage } from "../../src/rooms/protocol.ts";

/** Close codes after which coming back is pointless (or not allowed). */
const FINAL_CODES = new Set([1000, 4403, 4409, 4410, 4423, 4429]);
/** The server keeps an admitted member's place this long after their socket drops. */
const PLACE_KEPT_MS = 45_000;
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 6000];

export interface SignalHooks {
  message(msg: ServerMessage): void;
  /** The socket closed for good: a final code, or no way back within the grace period. */
  ended(code: number): void;
  /** The socket dropped; a reconnection is under way. */
  dropped(): void;
  /** A socket opened again after a drop. */
  reopened(): void;
}

export class Signal {
  #ws: WebSocket | null = null;
  #droppedAt = 0;
  #attempt = 0;
  #timer = 0;
  #done = false;

  constructor(
    private readonly url: string,
    private readonly hooks: SignalHooks,
  ) {
    // Back online: try at once instead of waiting out the back-off.
    window.addEventListener("online", () => {
      if (this.#droppedAt && !this.#done) this.#retryNow();
    });
  }

  get open(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  connect(): void {
    this.#done = false;
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    // Handlers are set before anything is awaited: the server speaks first (welcome).
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#attempt = 0;
      if (this.#droppedAt) {
        this.#droppedAt = 0;
        this.hooks.reopened();
      }
    };
    ws.onmessage = (event) => {
      if (this.#ws !== ws || typeof event.data !== "string") return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(event.data) as ServerMessage;
      } catch {
        return;
      }
      this.hooks.message(msg);
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#closed(event.code);
    };
  }

  send(msg: ClientMessage): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(msg));
    return true;
  }

  /** Gives up on this socket (it may be dead without knowing it) and connects again now. */
  reconnect(): void {
    if (this.#done) return;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(4000, "reconnecting");
    if (!this.#droppedAt) {
      this.#droppedAt = Date.now();
      this.hooks.dropped();
    }
    this.connect();
  }

  /** Leaves on purpose: no reconnection. */
  close(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    const ws = this.#ws;
    this.#ws = null;
    ws?.close(1000);
  }

  #closed(code: number): void {
    if (this.#done) return;
    if (FINAL_CODES.has(code)) {
      this.#done = true;
      this.hooks.ended(code);
      return;
    }
    if (!this.#droppedAt) {
      this.#droppedAt = Date.now();
      this.hooks.dropped();
    }
    if (Date.now() - this.#droppedAt > PLACE_KEPT_MS) {
      this.#done = true;
      this.hooks.ended(code);
      return;
    }
    const wait = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)]!;
    this.#attempt++;
    this.#timer = window.setTimeout(() => this.connect(), wait);
  }

  #retryNow(): void {
    if (this.#ws) return;
    clearTimeout(this.#timer);
    this.connect();
  }
}
