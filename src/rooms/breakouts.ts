import { fill } from "../ui/i18n.ts";
import {
  BREAKOUT_MAX_MESSAGE,
  BREAKOUT_MAX_MINUTES,
  BREAKOUT_MAX_ROOMS,
  BREAKOUT_MIN_ROOMS,
  BREAKOUT_WARNING_MS,
  type BreakoutsErrorCode,
} from "./breakouts-protocol.ts";
import { breakoutStrings } from "./breakouts-strings.ts";
import type { FeatureMember, RoomFeature, RoomFeatureContext } from "./feature.ts";
import { MAIN } from "./placement.ts";
import type { ClientMessageOf } from "./protocol.ts";

type BreakoutsMessage = ClientMessageOf<"breakout-open" | "breakout-assign" | "breakout-visit" | "breakout-broadcast" | "breakout-close">;

/** How often the timer is looked at: against the room's clock (hearth.now), so tests move time instead of sleeping. */
const TICK_MS = 1000;

/**
 * Breakout rooms: a facilitator splits the admitted members into 2 to 8 rooms, each with media
 * of its own on the main room's SFU worker (placement.ts), so a member's page is offered only
 * the streams of their own room. The Room keeps who is in: knocking, admission, the lock and the
 * waiting room work as ever, and a newly admitted member lands in the main room. Chat, hands,
 * polls and the whiteboard stay whole-group. Nothing is stored: a split belongs to the moment.
 */
export class Breakouts implements RoomFeature<BreakoutsMessage["type"]> {
  readonly types = ["breakout-open", "breakout-assign", "breakout-visit", "breakout-broadcast", "breakout-close"] as const;
  /** 0 while closed. */
  #rooms = 0;
  #endsAt: number | null = null;
  #warned = false;
  #tick: ReturnType<typeof setInterval> | null = null;
  /** Who is in which breakout (members, and facilitators while visiting); everyone else is in the main room. */
  readonly #roomOf = new Map<number, number>();

  constructor(private readonly ctx: RoomFeatureContext) {}

  receive(member: FeatureMember, msg: BreakoutsMessage): void {
    switch (msg.type) {
      case "breakout-open":
        return this.#open(member, msg);
      case "breakout-assign": {
        const target = this.ctx.member(msg.memberId);
        if (!this.#rooms) return this.#refuse(member, "breakout-not-open", msg.type);
        if (!target || this.ctx.isFacilitator(target)) return this.#refuse(member, "breakout-no-such-member", msg.type);
        if (msg.room > this.#rooms) return this.#refuse(member, "breakout-bad-room", msg.type);
        this.#place(target.id, msg.room);
        return this.#tell();
      }
      case "breakout-visit":
        if (!this.#rooms && msg.room !== MAIN) return this.#refuse(member, "breakout-not-open", msg.type);
        if (msg.room > this.#rooms) return this.#refuse(member, "breakout-bad-room", msg.type);
        this.#place(member.id, msg.room);
        return this.#tell();
      case "breakout-broadcast": {
        const text = msg.text.trim();
        if (!this.#rooms) return this.#refuse(member, "breakout-not-open", msg.type);
        if (!text || text.length > BREAKOUT_MAX_MESSAGE) return this.#refuse(member, "breakout-message", msg.type);
        return this.ctx.broadcast({ type: "breakout-message", from: member.id, text });
      }
      case "breakout-close":
        if (!this.#rooms) return this.#refuse(member, "breakout-not-open", msg.type);
        this.#audit(member, "room.breakouts_closed");
        return this.#close();
    }
  }

  #open(facilitator: FeatureMember, msg: ClientMessageOf<"breakout-open">): void {
    if (this.#rooms) return this.#refuse(facilitator, "breakout-open", msg.type);
    const rooms = msg.rooms;
    if (rooms < BREAKOUT_MIN_ROOMS || rooms > BREAKOUT_MAX_ROOMS) return this.#refuse(facilitator, "breakout-rooms", msg.type);
    if (msg.minutes !== undefined && (msg.minutes < 1 || msg.minutes > BREAKOUT_MAX_MINUTES)) return this.#refuse(facilitator, "breakout-minutes", msg.type);
    const members = this.ctx.admitted().filter((m) => !this.ctx.isFacilitator(m));
    if (members.length === 0) return this.#refuse(facilitator, "breakout-nobody", msg.type);
    const chosen = new Map<number, number>();
    for (const a of msg.assignments ?? []) {
      if (!members.some((m) => m.id === a.memberId)) return this.#refuse(facilitator, "breakout-no-such-member", msg.type, rooms);
      if (a.room < 1 || a.room > rooms) return this.#refuse(facilitator, "breakout-bad-room", msg.type, rooms);
      chosen.set(a.memberId, a.room);
    }
    // At random (no list), or whoever the list left out: each to the room with fewest so far.
    const sizes = Array.from({ length: rooms + 1 }, () => 0);
    for (const room of chosen.values()) sizes[room]!++;
    for (const m of shuffled(members.filter((m) => !chosen.has(m.id)))) {
      let smallest = 1;
      for (let r = 2; r <= rooms; r++) if (sizes[r]! < sizes[smallest]!) smallest = r;
      chosen.set(m.id, smallest);
      sizes[smallest]!++;
    }
    this.#rooms = rooms;
    this.#warned = false;
    this.#endsAt = msg.minutes ? this.ctx.now() + msg.minutes * 60_000 : null;
    if (this.#endsAt !== null) {
      this.#tick = setInterval(() => this.#timer(), TICK_MS);
      this.#tick.unref?.();
    }
    this.#audit(facilitator, "room.breakouts_opened");
    for (const [id, room] of chosen) this.#place(id, room);
    this.#tell();
  }

  #place(memberId: number, room: number): void {
    if (room === MAIN) this.#roomOf.delete(memberId);
    else this.#roomOf.set(memberId, room);
    this.ctx.places.move(memberId, room);
  }

  /** Everyone back to the main room, the breakouts' media closed. */
  #close(): void {
    for (const id of [...this.#roomOf.keys()]) this.ctx.places.move(id, MAIN);
    this.#roomOf.clear();
    this.ctx.places.closeBreakouts();
    this.#rooms = 0;
    this.#endsAt = null;
    this.#stopTimer();
    this.#tell();
  }

  #timer(): void {
    if (this.#endsAt === null) return this.#stopTimer();
    const left = this.#endsAt - this.ctx.now();
    if (left <= 0) return this.#close();
    if (left <= BREAKOUT_WARNING_MS && !this.#warned) {
      this.#warned = true;
      this.ctx.broadcast({ type: "breakout-warning", secondsLeft: Math.ceil(left / 1000) });
    }
  }

  #stopTimer(): void {
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = null;
  }

  /** Newly in, or a new page: where everyone is (a newcomer is in the main room). */
  admitted(member: FeatureMember): void {
    this.ctx.sendTo(member, this.#view(member.id));
  }

  /** Left, removed or sent back: the Room forgets their place; whoever comes in again starts in the main room. */
  left(member: FeatureMember): void {
    if (this.#roomOf.delete(member.id)) this.#tell();
  }

  dispose(): void {
    this.#stopTimer();
  }

  #view(memberId: number) {
    return {
      type: "breakouts" as const,
      open: this.#rooms > 0,
      rooms: this.#rooms,
      place: this.#roomOf.get(memberId) ?? MAIN,
      secondsLeft: this.#endsAt === null ? null : Math.max(0, Math.ceil((this.#endsAt - this.ctx.now()) / 1000)),
      assignments: [...this.#roomOf].map(([id, room]) => ({ memberId: id, room })),
    };
  }

  #tell(): void {
    for (const m of this.ctx.admitted()) this.ctx.sendTo(m, this.#view(m.id));
  }

  #refuse(member: FeatureMember, code: BreakoutsErrorCode, ref: string, rooms = this.#rooms): void {
    this.ctx.refuse(member, code, fill(breakoutStrings(member.locale)[code], { n: rooms }), ref);
  }

  /** Who split or closed, when: ids only. */
  #audit(facilitator: FeatureMember, action: string): void {
    this.ctx.hearth.audit.append({ actor: `person:${facilitator.personId}`, action, subject: `group_session:${this.ctx.sessionId}`, outcome: "ok" });
  }
}

/** Fisher-Yates with the platform's CSPRNG: who ends up with whom is nobody's pattern. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  const rand = new Uint32Array(out.length);
  crypto.getRandomValues(rand);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand[i]! % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
