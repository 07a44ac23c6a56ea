import { t } from "elysia";

/** Safety in the room (safety.ts; docs/room-protocol.md, "Safety"). */
export const safetyClient = {
  /** "I need help now": any admitted member. */
  help: t.Object({ type: t.Literal("help") }, { additionalProperties: false }),
  /** A facilitator has seen the alert and is acting on it: it clears at every facilitator. */
  "safety-ack": t.Object({ type: t.Literal("safety-ack"), alertId: t.Integer({ minimum: 1 }) }, { additionalProperties: false }),
};

export const SAFETY_FACILITATOR_ONLY = ["safety-ack"] as const;

export type SafetyErrorCode = "safety-no-such-alert";

/** What a facilitator's banner shows: who, and how to reach them today. */
export interface SafetyAlertView {
  id: number;
  memberId: number;
  name: string;
  kind: "button" | "code-word" | "words";
  location: string;
  phone: string;
  emergencyContact: string;
  /** Nothing was given for this session: location and contact come from the member's profile. */
  fromProfile: boolean;
  raisedAt: number;
}

export type SafetyServerMessage =
  /** Facilitators only: an alert, until one of them acknowledges it (sent again to a page that comes back). */
  | { type: "safety-alert"; alert: SafetyAlertView }
  /** Facilitators only: the alert was acknowledged (by whom), so every banner clears. */
  | { type: "safety-cleared"; alertId: number; by: string }
  /** Only to the member who asked: the facilitators were told. */
  | { type: "help-sent" }
  | GuestsServerMessage;

/** A guest of this session (src/safety/guests.ts), as every tile and list labels them. */
export interface GuestLabel {
  memberId: number;
  part: "interpreter" | "family" | "support";
  /** Interpreters: the name of the member they interpret for. */
  forName: string | null;
}

/** Who in the room is a guest, and as what: to every admitted member, whenever a guest comes or goes. */
export type GuestsServerMessage = { type: "guest-labels"; labels: GuestLabel[] };
