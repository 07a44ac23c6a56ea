import type { Hearth } from "../context.ts";
import { log } from "../log.ts";
import { fill } from "../ui/i18n.ts";
import { CHAT_MAX_LENGTH, type ChatView } from "./chat-protocol.ts";
import type { FeatureMember, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import { toolStrings } from "./tool-strings.ts";

type ChatMessage = ClientMessageOf<"chat-send" | "chat-hide">;

/** A person may send a burst of this many messages, then one per this many ms: enough to talk, not to flood. */
const CHAT_BURST = 5;
const CHAT_REFILL_MS = 1000;

/** One message as the room holds it while live (and as the transcript reads it back). */
export interface ChatEntry {
  id: number;
  personId: number;
  /** Room member id when sent; 0 for a message read back from an earlier room of the session. */
  memberId: number;
  name: string;
  fromFacilitator: boolean;
  to: "everyone" | "facilitators";
  diverted: boolean;
  text: string;
  at: number;
  hidden: boolean;
}

interface Row {
  id: number;
  person_id: number;
  audience: "everyone" | "facilitators";
  diverted: number;
  from_facilitator: number;
  sent_at: number;
  hidden_at: number | null;
  body: Uint8Array;
}

export interface NewChatMessage {
  sessionId: number;
  personId: number;
  name: string;
  fromFacilitator: boolean;
  to: "everyone" | "facilitators";
  diverted: boolean;
  text: string;
  at: number;
}

/** The last message id given out, per database: every chat row of this process is written here. */
const lastIds = new WeakMap<Hearth["db"], number>();

/**
 * The id the next message will be stored under, given out before it is sealed, so a live room
 * can show a message (hide needs its id) without waiting for the seal. One process owns the
 * database, and `hearth demo` refuses a database with anything in it.
 */
export function nextChatId(hearth: Hearth): number {
  const last = lastIds.get(hearth.db) ?? hearth.db.query<{ id: number | null }, []>("SELECT max(id) AS id FROM chat_messages").get()!.id ?? 0;
  lastIds.set(hearth.db, last + 1);
  return last + 1;
}

/** Seals and stores one message (the name as it is now, with the text); returns its id. */
export async function saveChatMessage(hearth: Hearth, m: NewChatMessage, id = nextChatId(hearth)): Promise<number> {
  const body = await hearth.vault.sealJson({ name: m.name, text: m.text });
  hearth.db
    .query(
      `INSERT INTO chat_messages (id, session_id, person_id, audience, diverted, from_facilitator, sent_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id, m.sessionId, m.personId, m.to, m.diverted ? 1 : 0, m.fromFacilitator ? 1 : 0, m.at, body);
  return id;
}

/** Hides a message from the members; it stays, marked, for the facilitators. Audited. */
export function hideChatMessage(hearth: Hearth, sessionId: number, messageId: number, byPersonId: number, authorId: number, at: number): void {
  hearth.db.query("UPDATE chat_messages SET hidden_at = ?, hidden_by = ? WHERE id = ? AND session_id = ?").run(at, byPersonId, messageId, sessionId);
  hearth.audit.append({ actor: `person:${byPersonId}`, action: "chat.hidden", subject: `group_session:${sessionId}`, ownerId: authorId, outcome: "ok" });
}

/** Every message of a session, opened: for the room coming back and for the facilitators' transcript. */
export async function chatOf(hearth: Hearth, sessionId: number): Promise<ChatEntry[]> {
  const rows = hearth.db
    .query<Row, [number]>("SELECT id, person_id, audience, diverted, from_facilitator, sent_at, hidden_at, body FROM chat_messages WHERE session_id = ? ORDER BY id")
    .all(sessionId);
  const out: ChatEntry[] = [];
  for (const r of rows) {
    const body = await hearth.vault.openJson<{ name: string; text: string }>(new Uint8Array(r.body));
    out.push({
      id: r.id,
      personId: r.person_id,
      memberId: 0,
      name: body.name,
      fromFacilitator: r.from_facilitator === 1,
      to: r.audience,
      diverted: r.diverted === 1,
      text: body.text,
      at: r.sent_at,
      hidden: r.hidden_at !== null,
    });
  }
  return out;
}

/**
 * The room's chat: to everyone, or privately to the facilitators (a member can never write to
 * another member alone). Each message is sealed and stored before anyone sees it, in order.
 * A member is caught up on what was said since their admission, never on what was said while
 * they waited; a hidden message is gone for members and kept, marked, for the facilitators.
 * Text is text: the page never turns it into links.
 */
export class Chat implements RoomFeature<ChatMessage["type"]> {
  readonly types = ["chat-send", "chat-hide"] as const;
  #log: ChatEntry[] = [];
  /** Messages go out one at a time, in the order they came in (screening is asynchronous). */
  #queue: Promise<unknown>;
  /**
   * Sealing and storing, in the same order, behind the showing: a seal can take tens of ms on a
   * busy box, and the room should not wait for it. A hide is written behind its message's insert.
   */
  #store: Promise<unknown> = Promise.resolve();
  /** Per member: the last message id when they were admitted; they see only what came after. */
  readonly #since = new Map<number, number>();
  readonly #budget = new Map<number, { tokens: number; at: number }>();

  constructor(private readonly ctx: RoomFeatureContext) {
    // The session may have had a room before this one (it emptied, or the server restarted).
    this.#queue = chatOf(ctx.hearth, ctx.sessionId).then((log) => {
      this.#log = log;
    });
  }

  receive(member: FeatureMember, msg: ChatMessage): Promise<void> {
    if (msg.type === "chat-hide") return this.#run(() => this.#hide(member, msg.messageId));
    const s = toolStrings(member.locale);
    const text = msg.text.trim();
    if (!text) return Promise.resolve(this.ctx.refuse(member, "chat-empty", s.chatEmpty, msg.type));
    if (text.length > CHAT_MAX_LENGTH) {
      return Promise.resolve(this.ctx.refuse(member, "chat-too-long", fill(s.chatTooLong, { max: CHAT_MAX_LENGTH, n: text.length }), msg.type));
    }
    if (!this.#withinBudget(member)) return Promise.resolve(this.ctx.refuse(member, "chat-too-fast", s.chatTooFast, msg.type));
    return this.#run(() => this.#post(member, msg.to, text));
  }

  #stored(fn: () => Promise<unknown>): void {
    this.#store = this.#store.then(fn).catch((err: Error) => log.error("chat message not stored", { session: this.ctx.sessionId, kind: err.name }));
  }

  /** Waits until everything shown so far is stored (tests, the end of the session). */
  flushed(): Promise<unknown> {
    return this.#store;
  }

  #run(fn: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(fn);
    this.#queue = next.catch(() => {});
    return next;
  }

  #withinBudget(member: FeatureMember): boolean {
    const now = performance.now();
    const b = this.#budget.get(member.id) ?? { tokens: CHAT_BURST, at: now };
    b.tokens = Math.min(CHAT_BURST, b.tokens + (now - b.at) / CHAT_REFILL_MS);
    b.at = now;
    this.#budget.set(member.id, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  async #post(member: FeatureMember, to: "everyone" | "facilitators", text: string): Promise<void> {
    // Private messages are screened too: a code word or crisis words said only to the facilitators
    // must still raise the alert; only a message to everyone can be diverted.
    const verdict = await this.ctx.screenChat({ member, text, to });
    const diverted = to === "everyone" && verdict === "facilitators";
    const fromFacilitator = this.ctx.isFacilitator(member);
    const at = this.ctx.now();
    const message = { sessionId: this.ctx.sessionId, personId: member.personId, name: member.name, fromFacilitator, to, diverted, text, at };
    const id = nextChatId(this.ctx.hearth);
    this.#stored(() => saveChatMessage(this.ctx.hearth, message, id));
    const entry: ChatEntry = { id, personId: member.personId, memberId: member.id, name: member.name, fromFacilitator, to, diverted, text, at, hidden: false };
    this.#log.push(entry);
    for (const m of this.ctx.admitted()) {
      const view = this.#viewFor(m, entry);
      if (view) this.ctx.sendTo(m, { type: "chat", messages: [view], catchUp: false });
    }
  }

  async #hide(facilitator: FeatureMember, messageId: number): Promise<void> {
    const entry = this.#log.find((e) => e.id === messageId);
    if (!entry) return this.ctx.refuse(facilitator, "chat-no-such-message", toolStrings(facilitator.locale).chatNoSuchMessage, "chat-hide");
    if (entry.hidden) return;
    entry.hidden = true;
    const at = this.ctx.now();
    this.#stored(async () => hideChatMessage(this.ctx.hearth, this.ctx.sessionId, entry.id, facilitator.personId, entry.personId, at));
    this.ctx.broadcast({ type: "chat-hidden", messageId: entry.id });
  }

  /** What this member may see of one message, or null: the one rule for live messages and catch-up. */
  #viewFor(m: FeatureMember, e: ChatEntry): ChatView | null {
    const base: ChatView = { id: e.id, from: e.memberId, name: e.name, fromFacilitator: e.fromFacilitator, to: e.to, text: e.text, at: e.at };
    if (this.ctx.isFacilitator(m)) return { ...base, ...(e.hidden ? { hidden: true } : {}), ...(e.diverted ? { diverted: true } : {}) };
    if (e.hidden || e.id <= (this.#since.get(m.id) ?? Number.MAX_SAFE_INTEGER)) return null;
    if (e.personId === m.personId) return e.diverted ? { ...base, to: "facilitators" } : base;
    return e.to === "everyone" && !e.diverted ? base : null;
  }

  /** Newly in (or back on a new page): what they may catch up on, replacing whatever the page had. */
  admitted(member: FeatureMember, resumed: boolean): Promise<void> {
    return this.#run(async () => {
      if (!resumed || !this.#since.has(member.id)) this.#since.set(member.id, this.#log.at(-1)?.id ?? 0);
      const messages = this.#log.map((e) => this.#viewFor(member, e)).filter((v): v is ChatView => v !== null);
      this.ctx.sendTo(member, { type: "chat", messages, catchUp: true });
    });
  }

  left(member: FeatureMember): void {
    this.#since.delete(member.id);
    this.#budget.delete(member.id);
  }
}
