import type { ServerMessage } from "../src/rooms/protocol.ts";

type Of<T extends ServerMessage["type"]> = Extract<ServerMessage, { type: T }>;

/**
 * A hand-written room socket: a plain WebSocket carrying a person's cookie, no browser, no media
 * (offers are simply never answered). Everything the server sends is kept, in order.
 */
export class RoomSocket {
  readonly messages: ServerMessage[] = [];
  memberId = 0;
  closedWith: number | null = null;
  #ws: WebSocket;
  #waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as ServerMessage;
      if (msg.type === "welcome") this.memberId = msg.memberId;
      this.messages.push(msg);
      for (const w of this.#waiters) w();
    };
    ws.onclose = (e) => {
      this.closedWith = e.code;
      for (const w of this.#waiters) w();
    };
  }

  static async open(url: string, cookie: string): Promise<RoomSocket> {
    const ws = new WebSocket(url, { headers: { cookie } } as unknown as string[]);
    const socket = new RoomSocket(ws);
    await socket.next("welcome");
    return socket;
  }

  send(message: unknown): void {
    this.#ws.send(JSON.stringify(message));
  }

  /** Messages of one type received so far (from index `since`). */
  all<T extends ServerMessage["type"]>(type: T, since = 0): Of<T>[] {
    return this.messages.slice(since).filter((m): m is Of<T> => m.type === type);
  }

  /** The first message of `type` at or after index `since` that satisfies `where`. */
  next<T extends ServerMessage["type"]>(type: T, where: (m: Of<T>) => boolean = () => true, since = 0, timeoutMs = 5000): Promise<Of<T>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.all(type, since).find(where);
        if (found) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (this.closedWith !== null && type !== "error") {
          this.#waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`socket closed (${this.closedWith}) before a ${type} message`));
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no ${type} message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Where the next message will land: pass it as `since` to wait for what comes after now. */
  get mark(): number {
    return this.messages.length;
  }

  close(): void {
    if (this.#ws.readyState <= 1) this.#ws.close(1000, "test");
  }
}
