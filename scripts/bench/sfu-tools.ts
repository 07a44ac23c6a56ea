/**
 * The room's tools used by the SFU bench's bots while media flows (`sfu.ts --tools`), over each
 * bot's real signaling socket, at about the rate of a clinic group in session: the room sends
 * ~2 chat messages a second in all (some privately to the facilitators), a hand goes up every few
 * seconds and the clinician calls on the next, the clinician opens a poll that everyone answers
 * (some change their answer) and closes it for the next one, and the clinician and two members
 * they allow draw freehand strokes on the whiteboard (real Yjs updates, as web/room/whiteboard.ts
 * makes them; a drawer applies everyone else's updates to its own document, as a page does).
 */
import * as Y from "yjs";
import { BOARD_HEIGHT, BOARD_ITEMS, BOARD_WIDTH, type BoardItem } from "../../src/rooms/whiteboard-protocol.ts";
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import type { Bot } from "./sfu-bot.ts";

/** Room-wide rates (per second) and sizes. */
const CHAT_PER_S = 2;
const HAND_EVERY_MS = 4000;
const CALL_NEXT_EVERY_MS = 6000;
const POLL_EVERY_MS = 15_000;
const STROKES_PER_S = 1;
const STROKE_POINTS = 40;
const DRAWING_MEMBERS = 2;

const PHRASES = [
  "I noticed that when I tried the breathing exercise this week it helped a little.",
  "Thank you for sharing that, it sounds like a hard week.",
  "Can we come back to the worksheet from last time?",
  "I'm not sure I agree, but I see what you mean.",
  "That's a good point about naming the feeling first.",
  "Sorry, my connection dropped for a second. What was the question?",
  "I tried the opposite action skill on Tuesday and it was easier than I expected.",
  "Same here.",
  "Could you say more about how you noticed it?",
  "I'd like to talk about sleep if there is time at the end.",
];

/** What one room's tools did and what came back (every bot's messages, counted). */
export interface ToolCounts {
  chatSent: number;
  pollAnswers: number;
  handsRaised: number;
  strokes: number;
  boardBytesSent: number;
  /** Tool messages the bots received (chat, hands, poll, board...). */
  received: number;
  /** Errors the server answered tool messages with, by code (a rate limit would show here). */
  refused: Record<string, number>;
}

const TOOL_TYPES = new Set(["chat", "chat-hidden", "hands", "hand-called", "poll", "board", "board-update", "board-access"]);

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

export class RoomTools {
  readonly counts: ToolCounts = { chatSent: 0, pollAnswers: 0, handsRaised: 0, strokes: 0, boardBytesSent: 0, received: 0, refused: {} };
  #timers: ReturnType<typeof setInterval>[] = [];
  #pending: ReturnType<typeof setTimeout>[] = [];
  #poll: { id: number; options: number } | null = null;
  /** The newest poll seen: a late count update of a closed one is not taken for the next. */
  #lastPollId = 0;
  #pollsAsked = 0;
  /** One Yjs document per drawing bot (its own client id), as each page holds. */
  readonly #docs = new Map<Bot, Y.Doc>();
  readonly #raised = new Set<Bot>();
  #n = 0;

  constructor(
    readonly clinician: Bot,
    readonly members: Bot[],
  ) {
    const everyone = [clinician, ...members];
    for (const bot of everyone) bot.onMessage = (m) => this.#heard(bot, m);
    for (const bot of [clinician, ...members.slice(0, DRAWING_MEMBERS)]) this.#docs.set(bot, new Y.Doc());
  }

  /** Starts using the tools; the clinician must be a facilitator of the room. */
  start(): void {
    if (this.#timers.length) return;
    if (this.clinician.role !== "clinician") throw new Error(`the clinician bot joined as ${this.clinician.role}: the tools need a facilitator`);
    const everyone = [this.clinician, ...this.members];
    for (const m of this.members.slice(0, DRAWING_MEMBERS)) this.clinician.send({ type: "board-allow", memberId: m.memberId, allowed: true });
    this.#every(1000 / CHAT_PER_S, () => this.#chat(this.#pick(everyone)));
    this.#every(HAND_EVERY_MS, () => this.#hand());
    this.#every(CALL_NEXT_EVERY_MS, () => this.clinician.send({ type: "hand-call-next" }));
    this.#newPoll();
    this.#every(POLL_EVERY_MS, () => this.#newPoll());
    const drawers = [...this.#docs.keys()];
    this.#every(1000 / STROKES_PER_S, () => this.#stroke(this.#pick(drawers)));
  }

  stop(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    for (const t of this.#pending.splice(0)) clearTimeout(t);
    if (this.#poll) this.clinician.send({ type: "poll-close", pollId: this.#poll.id });
    this.#poll = null;
    for (const bot of this.#raised) bot.send({ type: "hand-lower" });
    this.#raised.clear();
  }

  #every(ms: number, f: () => void): void {
    this.#timers.push(setInterval(f, ms));
  }

  #later(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.#pending.splice(this.#pending.indexOf(t), 1);
      f();
    }, ms);
    this.#pending.push(t);
  }

  /** Deterministic round robin with a stride, so every bot takes part and the run repeats. */
  #pick<T>(list: T[]): T {
    this.#n += 7;
    return list[this.#n % list.length]!;
  }

  #chat(from: Bot): void {
    const text = PHRASES[this.counts.chatSent % PHRASES.length]!;
    // One in eight of the members' messages goes to the facilitators only.
    const to = from !== this.clinician && this.counts.chatSent % 8 === 3 ? "facilitators" : "everyone";
    from.send({ type: "chat-send", to, text });
    this.counts.chatSent++;
  }

  #hand(): void {
    const down = this.members.filter((m) => !this.#raised.has(m));
    if (!down.length) return;
    const bot = this.#pick(down);
    bot.send({ type: "hand-raise" });
    this.#raised.add(bot);
    this.counts.handsRaised++;
    // Some lower their own hand before being called on.
    if (this.counts.handsRaised % 3 === 0)
      this.#later(2500, () => {
        if (this.#raised.delete(bot)) bot.send({ type: "hand-lower" });
      });
  }

  #newPoll(): void {
    if (this.#poll) this.clinician.send({ type: "poll-close", pollId: this.#poll.id });
    this.#poll = null;
    const n = this.#pollsAsked++;
    this.clinician.send({
      type: "poll-create",
      question: "How are you arriving today?",
      options: ["Calm", "A bit tense", "Tired", "Not sure yet"],
      multiple: n % 2 === 1,
      anonymous: n % 3 === 0,
      liveResults: true,
    });
  }

  /** Everyone answers over the next few seconds; one in four changes their answer later. */
  #answer(pollId: number, options: number, multiple: boolean): void {
    this.members.forEach((bot, i) => {
      const choices = multiple ? [i % options, (i + 1) % options] : [i % options];
      this.#later(500 + ((i * 700) % 8000), () => {
        if (this.#poll?.id !== pollId) return;
        bot.send({ type: "poll-answer", pollId, choices });
        this.counts.pollAnswers++;
      });
      if (i % 4 === 0)
        this.#later(9000 + i * 100, () => {
          if (this.#poll?.id !== pollId) return;
          bot.send({ type: "poll-answer", pollId, choices: [(i + 2) % options] });
          this.counts.pollAnswers++;
        });
    });
  }

  /** A freehand stroke: the points a pointer leaves over ~0.7 s, pushed as one Yjs transaction. */
  #stroke(bot: Bot): void {
    const doc = this.#docs.get(bot)!;
    const k = this.counts.strokes;
    const x0 = 100 + ((k * 137) % (BOARD_WIDTH - 300));
    const y0 = 100 + ((k * 89) % (BOARD_HEIGHT - 300));
    const points: number[] = [];
    for (let i = 0; i < STROKE_POINTS; i++) points.push(Math.round(x0 + i * 4), Math.round(y0 + 40 * Math.sin(i / 5)), 50);
    const item: BoardItem = { id: crypto.randomUUID(), kind: "stroke", color: "#2b6cb0", size: 8, points };
    const before = Y.encodeStateVector(doc);
    doc.transact(() => doc.getArray<BoardItem>(BOARD_ITEMS).push([item]));
    const update = b64(Y.encodeStateAsUpdate(doc, before));
    bot.send({ type: "board-update", update });
    this.counts.strokes++;
    this.counts.boardBytesSent += update.length;
  }

  /** Every message a bot of this room receives: tool messages are counted (and applied) and not kept. */
  #heard(bot: Bot, m: ServerMessage): boolean {
    if (m.type === "error") {
      this.counts.refused[m.code] = (this.counts.refused[m.code] ?? 0) + 1;
      return true;
    }
    if (!TOOL_TYPES.has(m.type)) return false;
    this.counts.received++;
    if (m.type === "poll" && bot === this.clinician && m.poll.open && m.poll.id > this.#lastPollId) {
      this.#lastPollId = m.poll.id;
      this.#poll = { id: m.poll.id, options: m.poll.options.length };
      this.#answer(m.poll.id, m.poll.options.length, m.poll.multiple);
    } else if (m.type === "hand-called") {
      for (const b of this.#raised) if (b.memberId === m.memberId) this.#raised.delete(b);
    } else if (m.type === "board-update" || m.type === "board") {
      const doc = this.#docs.get(bot);
      if (doc) Y.applyUpdate(doc, Buffer.from(m.update, "base64"), "remote");
    }
    return true;
  }
}
