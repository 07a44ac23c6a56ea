import type { Hearth } from "../context.ts";
import { log } from "../log.ts";
import type { Locale } from "../ui/i18n.ts";
import type { RecordedFile, RecordTarget } from "./recorder.ts";
import type { ClientMessage, ClientMessageOf, ClientMessageType, MemberState, RoomRole, ServerMessage, ToolErrorCode } from "./protocol.ts";

/**
 * Room features: the tools inside a live session (chat, raised hands, polls, whiteboard,
 * breakouts, safety...). Each is one small class in its own file; the Room (room.ts) owns who is
 * in and hands each feature the messages of its own types. The rules every feature gets for free:
 *
 * - Only admitted members reach a feature: a waiting, declined, sent-back or removed member's
 *   messages are refused by the Room before dispatch (`not-admitted`), and every way a feature
 *   has of sending (sendTo, broadcast, toFacilitators) skips anyone not admitted right now.
 * - A feature's messages are declared with `t` schemas in its own `*-protocol.ts` and merged into
 *   protocol.ts, so each is validated before the feature sees it; facilitator-only types are
 *   refused to members by the Room (`not-clinician`).
 * - Facilitators are the clinicians running the session (role "clinician").
 *
 * To add one: write `src/rooms/NAME.ts` implementing RoomFeature, its messages in
 * `src/rooms/NAME-protocol.ts` (spread into `client` and the ServerMessage union in protocol.ts),
 * and one line in features.ts. Keep patient words (chat text, poll text, names) out of logs.
 *
 * Screening chat text. A feature that must see chat text before the group does (a safety code
 * word, a crisis lexicon) implements `screenChat`. Chat asks every feature of the room, in the
 * order of features.ts, before anything is shown or stored; the strictest answer wins:
 *   "show"          the group sees it as usual;
 *   "facilitators"  only the facilitators (and the sender) see it, as if sent privately to them;
 *                   the stored record marks it diverted. A code word is never shown to the group.
 * A screen may also act on its own (alert the facilitators through ctx.toFacilitators).
 */

/** A member as features see them: who, in which part, and since when they are in. */
export interface FeatureMember {
  readonly id: number;
  readonly personId: number;
  readonly name: string;
  readonly role: RoomRole;
  readonly locale: Locale;
  readonly state: MemberState;
  /** When their current admission began (ms since epoch, the room's clock). */
  readonly admittedAt: number;
}

/** Why a member stopped being in: the visit outcomes of attendance.ts. */
export type LeftBecause = "left" | "removed" | "sent-back" | "ended" | "dropped";

export type ChatVerdict = "show" | "facilitators";

export interface ChatScreenInput {
  readonly member: FeatureMember;
  readonly text: string;
  readonly to: "everyone" | "facilitators";
}

/**
 * Where members' media runs: the main room (place 0) or a breakout (placement.ts). Moving someone
 * stops their media in one place and starts it in the other. Only breakouts.ts calls it.
 */
export interface MediaPlaces {
  placeOf(memberId: number): number;
  move(memberId: number, place: number): void;
  /** Closes every breakout's media; everyone must have been moved back to place 0 first. */
  closeBreakouts(): void;
}

/** What a feature is given by its room. */
export interface RoomFeatureContext {
  readonly sessionId: number;
  /** The store, the vault (seal everything a person wrote), the audit trail and the clock. */
  readonly hearth: Hearth;
  now(): number;
  /** Members admitted right now (with a live page), clinicians included. */
  admitted(): FeatureMember[];
  /** An admitted member by room member id, or null (waiting, away, gone). */
  member(memberId: number): FeatureMember | null;
  isFacilitator(member: FeatureMember): boolean;
  /** To one member, only while they are admitted. */
  sendTo(member: FeatureMember | number, message: ServerMessage): void;
  /** To every admitted member. */
  broadcast(message: ServerMessage): void;
  /** To the admitted facilitators only. */
  toFacilitators(message: ServerMessage): void;
  /** An error for one message, in the member's language; `ref` is the message type it answers. */
  refuse(member: FeatureMember, code: ToolErrorCode, message: string, ref: string): void;
  /** Asks every feature's screenChat (see above); the strictest verdict wins. */
  screenChat(input: ChatScreenInput): Promise<ChatVerdict>;
  /** The room's media records to this part, or stops (null). Only recording.ts calls it. */
  record(target: RecordTarget | null): void;
  /** A request to record is open: the media loads its recorder now, before anyone's yes starts it. */
  readyToRecord(): void;
  /** See MediaPlaces. */
  readonly places: MediaPlaces;
}

export interface RoomFeature<T extends ClientMessageType = ClientMessageType> {
  /** The client message types this feature handles (declared in its *-protocol.ts). */
  readonly types: readonly T[];
  /** One validated message from an admitted member. Throwing is logged without the message's content. */
  receive(member: FeatureMember, message: ClientMessageOf<T>): void | Promise<void>;
  /** A member was admitted, or their page came back (resumed): send them what they may catch up on. */
  admitted?(member: FeatureMember, resumed: boolean): void | Promise<void>;
  /** A member stopped being in (their page may already be gone). */
  left?(member: FeatureMember, because: LeftBecause): void;
  /** The SFU worker carrying the room's media restarted (everyone's media starts over on the new one). */
  mediaRestarted?(): void;
  /** The room's recorder sealed a file (recorder.ts). */
  recorded?(file: RecordedFile): void;
  /** The session ended: save what must outlive the room. */
  ended?(): void | Promise<void>;
  /** The room is going away (shutdown or ended): stop timers. */
  dispose?(): void;
  /** See "Screening chat text" above. */
  screenChat?(input: ChatScreenInput): ChatVerdict | Promise<ChatVerdict>;
}

export type FeatureFactory = (ctx: RoomFeatureContext) => RoomFeature;

/** What the Room lends its features: its members and its way of sending. */
export interface FeatureRoomSide<M extends FeatureMember & { readonly socket: unknown }> {
  members(): Iterable<M>;
  send(member: M, message: ServerMessage): void;
  /** The room's media recorder (absent in rooms without media). */
  record?(target: RecordTarget | null): void;
  readyToRecord?(): void;
  /** The room's places for media (absent in rooms without media: everyone stays in place 0). */
  places?: MediaPlaces;
}

const VERDICT_ORDER: Record<ChatVerdict, number> = { show: 0, facilitators: 1 };

/** The Room's one handle on its features: builds them, dispatches to them, tells them who comes and goes. */
export class FeatureHost<M extends FeatureMember & { readonly socket: unknown }> {
  readonly features: RoomFeature[] = [];
  readonly #byType = new Map<string, RoomFeature>();
  readonly #ctx: RoomFeatureContext;

  constructor(sessionId: number, hearth: Hearth, room: FeatureRoomSide<M>, factories: readonly FeatureFactory[]) {
    const inside = (m: M) => m.state === "admitted" && m.socket !== null;
    const admitted = () => [...room.members()].filter(inside);
    this.#ctx = {
      sessionId,
      hearth,
      now: () => hearth.now(),
      admitted,
      member: (id) => admitted().find((m) => m.id === id) ?? null,
      isFacilitator: (m) => m.role === "clinician",
      sendTo: (member, message) => {
        const id = typeof member === "number" ? member : member.id;
        const m = admitted().find((x) => x.id === id);
        if (m) room.send(m, message);
      },
      broadcast: (message) => {
        for (const m of admitted()) room.send(m, message);
      },
      toFacilitators: (message) => {
        for (const m of admitted()) if (m.role === "clinician") room.send(m, message);
      },
      refuse: (member, code, message, ref) => this.#ctx.sendTo(member, { type: "error", code, message, ref }),
      screenChat: async (input) => {
        let verdict: ChatVerdict = "show";
        for (const f of this.features) {
          if (!f.screenChat) continue;
          const v = await f.screenChat(input);
          if (VERDICT_ORDER[v] > VERDICT_ORDER[verdict]) verdict = v;
        }
        return verdict;
      },
      record: (target) => room.record?.(target),
      readyToRecord: () => room.readyToRecord?.(),
      places: room.places ?? { placeOf: () => 0, move: () => {}, closeBreakouts: () => {} },
    };
    for (const make of factories) {
      const feature = make(this.#ctx);
      this.features.push(feature);
      for (const type of feature.types) this.#byType.set(type, feature);
    }
  }

  handles(type: string): boolean {
    return this.#byType.has(type);
  }

  /** The Room has already checked the schema, the role and that the member is admitted. */
  async receive(member: FeatureMember, message: ClientMessage): Promise<void> {
    await (this.#byType.get(message.type) as RoomFeature | undefined)?.receive(member, message);
  }

  admitted(member: FeatureMember, resumed: boolean): void {
    for (const f of this.features) this.#run("admitted", () => f.admitted?.(member, resumed));
  }

  left(member: FeatureMember, because: LeftBecause): void {
    for (const f of this.features) this.#run("left", () => f.left?.(member, because));
  }

  mediaRestarted(): void {
    for (const f of this.features) this.#run("mediaRestarted", () => f.mediaRestarted?.());
  }

  recorded(file: RecordedFile): void {
    for (const f of this.features) this.#run("recorded", () => f.recorded?.(file));
  }

  ended(): void {
    for (const f of this.features) this.#run("ended", () => f.ended?.());
  }

  dispose(): void {
    for (const f of this.features) this.#run("dispose", () => f.dispose?.());
  }

  /** One feature failing never stops the room or the others; the log names the hook, not the content. */
  #run(hook: string, fn: () => void | Promise<void>): void {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch((err: Error) => log.error("room feature failed", { session: this.#ctx.sessionId, hook, kind: err.name }));
    } catch (err) {
      log.error("room feature failed", { session: this.#ctx.sessionId, hook, kind: (err as Error).name });
    }
  }
}
