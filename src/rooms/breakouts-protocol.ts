import { t } from "elysia";

/** Breakout rooms (breakouts.ts; docs/room-protocol.md, "Breakout rooms"). */

export const BREAKOUT_MIN_ROOMS = 2;
export const BREAKOUT_MAX_ROOMS = 8;
export const BREAKOUT_MAX_MINUTES = 120;
export const BREAKOUT_MAX_MESSAGE = 200;
/** The warning before the timer brings everyone back. */
export const BREAKOUT_WARNING_MS = 60_000;

const MemberId = t.Integer({ minimum: 1, maximum: 1_000_000 });
// Wider than what is allowed, so a count out of range gets its own clear answer (breakouts.ts).
const RoomNumber = t.Integer({ minimum: 0, maximum: 64 });

export const breakoutsClient = {
  /** Without `assignments`: at random. With them: by hand; a member left out goes to the smallest room. */
  "breakout-open": t.Object(
    {
      type: t.Literal("breakout-open"),
      rooms: RoomNumber,
      minutes: t.Optional(t.Integer({ minimum: 0, maximum: 10_000 })),
      assignments: t.Optional(t.Array(t.Object({ memberId: MemberId, room: RoomNumber }, { additionalProperties: false }), { maxItems: 200 })),
    },
    { additionalProperties: false },
  ),
  /** One member to another breakout (0: the main room) while they are open. */
  "breakout-assign": t.Object({ type: t.Literal("breakout-assign"), memberId: MemberId, room: RoomNumber }, { additionalProperties: false }),
  /** The facilitator's own media to a breakout, or back to the main room (0). */
  "breakout-visit": t.Object({ type: t.Literal("breakout-visit"), room: RoomNumber }, { additionalProperties: false }),
  "breakout-broadcast": t.Object({ type: t.Literal("breakout-broadcast"), text: t.String({ maxLength: 2000 }) }, { additionalProperties: false }),
  /** Everyone back to the main room. */
  "breakout-close": t.Object({ type: t.Literal("breakout-close") }, { additionalProperties: false }),
};

export const BREAKOUTS_FACILITATOR_ONLY = ["breakout-open", "breakout-assign", "breakout-visit", "breakout-broadcast", "breakout-close"] as const;

export type BreakoutsErrorCode =
  | "breakout-rooms"
  | "breakout-minutes"
  | "breakout-nobody"
  | "breakout-bad-room"
  | "breakout-no-such-member"
  | "breakout-open"
  | "breakout-not-open"
  | "breakout-message";

export type BreakoutsServerMessage =
  /**
   * Where everyone is, sent to each admitted member on every change: `place` is the recipient's
   * own (0: the main room); `secondsLeft` is null without a timer.
   */
  | { type: "breakouts"; open: boolean; rooms: number; place: number; secondsLeft: number | null; assignments: { memberId: number; room: number }[] }
  /** A minute (or less) before the timer brings everyone back. */
  | { type: "breakout-warning"; secondsLeft: number }
  /** A facilitator's message to every breakout, shown as a banner. */
  | { type: "breakout-message"; from: number; text: string };
