import { t } from "elysia";

/** Raised hands (hands.ts; docs/room-protocol.md, "Raised hands"). */
const MemberId = t.Integer({ minimum: 1, maximum: 1_000_000 });

export const handsClient = {
  "hand-raise": t.Object({ type: t.Literal("hand-raise") }, { additionalProperties: false }),
  /** Without memberId: one's own hand. A facilitator may lower anyone's. */
  "hand-lower": t.Object({ type: t.Literal("hand-lower"), memberId: t.Optional(MemberId) }, { additionalProperties: false }),
  "hand-call-next": t.Object({ type: t.Literal("hand-call-next") }, { additionalProperties: false }),
};

export const HANDS_FACILITATOR_ONLY = ["hand-call-next"] as const;

export type HandsErrorCode = "hand-not-yours";

export type HandsServerMessage =
  /** The whole queue, first raised first; sent to every admitted member on each change. */
  | { type: "hands"; queue: { memberId: number; raisedAt: number }[] }
  /** A facilitator called on this member (their hand is lowered by it). */
  | { type: "hand-called"; memberId: number };
