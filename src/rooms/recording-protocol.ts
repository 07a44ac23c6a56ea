import { t } from "elysia";

/** Recording with everyone's consent (recording.ts; docs/room-protocol.md, "Recording"). */
export const recordingClient = {
  /** A facilitator asks to record: every other person in the room is asked. Asking is their own yes. */
  "recording-ask": t.Object({ type: t.Literal("recording-ask") }, { additionalProperties: false }),
  /** A facilitator stops recording: the request ends, and only a new one records again. */
  "recording-stop": t.Object({ type: t.Literal("recording-stop") }, { additionalProperties: false }),
  /** Anyone's answer to the open request. A no after a yes withdraws: recording stops for good. */
  "recording-consent": t.Object({ type: t.Literal("recording-consent"), agree: t.Boolean() }, { additionalProperties: false }),
};

export const RECORDING_FACILITATOR_ONLY = ["recording-ask", "recording-stop"] as const;

/** recording-sign-first: this person has the group's required consent forms to sign again (a new version, a withdrawal); also sent, unasked, when that begins. */
export type RecordingErrorCode = "recording-already-asked" | "recording-not-asked" | "recording-not-present" | "recording-sign-first";

export interface RecordingView {
  type: "recording";
  /** off: nobody asked; asking: not yet everyone's yes; recording; paused: it ran, and someone has not said yes. */
  phase: "off" | "asking" | "recording" | "paused";
  /** The open request (null when off). */
  request: number | null;
  /** Who asked (the facilitator's name), while a request is open. */
  askedBy: string | null;
  /** This person's answer to the open request. */
  yours: "yes" | "no" | null;
  /** How many people present have not said yes. */
  pending: number;
  /** The question exactly as it is put to this person, in their language (what their answer is stored with); null while they must sign first. */
  question: string | null;
  /** This person has the group's required consent forms to sign again: nobody is recorded until they have, and then answered. */
  signFirst?: true;
  /** Why the last request ended, sent once with the change that ended it. */
  endedBecause?: "stopped" | "withdrawn" | "ended";
  /** Facilitators only: who has not said yes yet, and who said no. Never sent to members. */
  holding?: { memberId: number; name: string; answer: "no" | null; signFirst?: true }[];
}

export type RecordingServerMessage = RecordingView;
