import { t } from "elysia";

/** Chat (chat.ts; docs/room-protocol.md, "Chat"). */

/** What a person may write in one message; the page counts down to it. */
export const CHAT_MAX_LENGTH = 1000;
/**
 * The schema's bound is looser than the limit on purpose: a longer message is still read, so the
 * sender gets the clear "too long" answer (chat-too-long) rather than a generic malformed one.
 */
const HARD_MAX = 16_000;

export const chatClient = {
  "chat-send": t.Object(
    { type: t.Literal("chat-send"), to: t.UnionEnum(["everyone", "facilitators"]), text: t.String({ maxLength: HARD_MAX }) },
    { additionalProperties: false },
  ),
  "chat-hide": t.Object({ type: t.Literal("chat-hide"), messageId: t.Integer({ minimum: 1 }) }, { additionalProperties: false }),
};

export const CHAT_FACILITATOR_ONLY = ["chat-hide"] as const;

export type ChatErrorCode = "chat-empty" | "chat-too-long" | "chat-too-fast" | "chat-no-such-message";

export interface ChatView {
  id: number;
  /** The sender's room member id, and their name as it was when they wrote. */
  from: number;
  name: string;
  fromFacilitator: boolean;
  to: "everyone" | "facilitators";
  text: string;
  at: number;
  /** Facilitators only: hidden by a facilitator (members never receive a hidden message). */
  hidden?: boolean;
  /** Facilitators only: meant for everyone, shown only to the facilitators by a screen (feature.ts). */
  diverted?: boolean;
}

export type ChatServerMessage =
  /** New messages; `catchUp` when they are what was said since this member was admitted. */
  | { type: "chat"; messages: ChatView[]; catchUp: boolean }
  /** A facilitator hid a message: members remove it, facilitators mark it. */
  | { type: "chat-hidden"; messageId: number };
