import { t, type Static } from "elysia";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { TSchema } from "@sinclair/typebox";
import type { VitalsServerMessage } from "../vitals/room-protocol.ts";
import type { Source } from "./router.ts";
import type { IceServer } from "./relay.ts";
import { BREAKOUTS_FACILITATOR_ONLY, breakoutsClient, type BreakoutsErrorCode, type BreakoutsServerMessage } from "./breakouts-protocol.ts";
import { CHAT_FACILITATOR_ONLY, chatClient, type ChatErrorCode, type ChatServerMessage } from "./chat-protocol.ts";
import { HANDS_FACILITATOR_ONLY, handsClient, type HandsErrorCode, type HandsServerMessage } from "./hands-protocol.ts";
import { POLLS_FACILITATOR_ONLY, pollsClient, type PollsErrorCode, type PollsServerMessage } from "./polls-protocol.ts";
import { RECORDING_FACILITATOR_ONLY, recordingClient, type RecordingErrorCode, type RecordingServerMessage } from "./recording-protocol.ts";
import { SAFETY_FACILITATOR_ONLY, safetyClient, type SafetyErrorCode, type SafetyServerMessage } from "./safety-protocol.ts";
import { WHITEBOARD_FACILITATOR_ONLY, whiteboardClient, type WhiteboardErrorCode, type WhiteboardServerMessage } from "./whiteboard-protocol.ts";

/**
 * The signaling protocol: JSON messages with a `type`, one WebSocket per member.
 * docs/room-protocol.md describes each message; this file is what the server enforces.
 * A message that does not match exactly (unknown type, missing or extra field, wrong
 * type, too long) is answered with an `error` and otherwise ignored.
 */

/** An answer grows by a few hundred bytes per stream; this leaves room for large groups with screens. */
export const MAX_SDP = 200_000;
const MemberId = t.Integer({ minimum: 1, maximum: 1_000_000 });
const SourceSchema = t.UnionEnum(["audio", "camera", "screen"]);

const client = {
  answer: t.Object({ type: t.Literal("answer"), seq: t.Integer({ minimum: 1 }), sdp: t.String({ minLength: 1, maxLength: MAX_SDP }) }, { additionalProperties: false }),
  candidate: t.Object(
    {
      type: t.Literal("candidate"),
      candidate: t.String({ maxLength: 512 }),
      sdpMid: t.Optional(t.String({ maxLength: 32 })),
      sdpMLineIndex: t.Optional(t.Integer({ minimum: 0, maximum: 255 })),
    },
    { additionalProperties: false },
  ),
  "restart-media": t.Object({ type: t.Literal("restart-media") }, { additionalProperties: false }),
  mic: t.Object({ type: t.Literal("mic"), on: t.Boolean() }, { additionalProperties: false }),
  camera: t.Object({ type: t.Literal("camera"), on: t.Boolean() }, { additionalProperties: false }),
  share: t.Object({ type: t.Literal("share"), on: t.Boolean() }, { additionalProperties: false }),
  mode: t.Object(
    { type: t.Literal("mode"), audioOnly: t.Optional(t.Boolean()), lowBandwidth: t.Optional(t.Boolean()) },
    { additionalProperties: false },
  ),
  view: t.Object(
    {
      type: t.Literal("view"),
      tiles: t.Array(
        t.Object(
          {
            memberId: MemberId,
            source: t.UnionEnum(["camera", "screen"]),
            width: t.Integer({ minimum: 0, maximum: 8192 }),
            height: t.Integer({ minimum: 0, maximum: 8192 }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 64 },
      ),
    },
    { additionalProperties: false },
  ),
  leave: t.Object({ type: t.Literal("leave") }, { additionalProperties: false }),
  // The clinician's controls.
  admit: t.Object({ type: t.Literal("admit"), memberId: MemberId }, { additionalProperties: false }),
  "admit-all": t.Object({ type: t.Literal("admit-all") }, { additionalProperties: false }),
  decline: t.Object({ type: t.Literal("decline"), memberId: MemberId }, { additionalProperties: false }),
  lock: t.Object({ type: t.Literal("lock"), locked: t.Boolean() }, { additionalProperties: false }),
  mute: t.Object({ type: t.Literal("mute"), memberId: MemberId }, { additionalProperties: false }),
  "to-waiting": t.Object({ type: t.Literal("to-waiting"), memberId: MemberId }, { additionalProperties: false }),
  remove: t.Object({ type: t.Literal("remove"), memberId: MemberId }, { additionalProperties: false }),
  "allow-screens": t.Object({ type: t.Literal("allow-screens"), allowed: t.Boolean() }, { additionalProperties: false }),
  end: t.Object({ type: t.Literal("end") }, { additionalProperties: false }),
  // Room features (feature.ts): each declares its messages in its own *-protocol.ts.
  ...chatClient,
  ...handsClient,
  ...pollsClient,
  ...safetyClient,
  ...recordingClient,
  ...whiteboardClient,
  ...breakoutsClient,
};

export type ClientMessageType = keyof typeof client;
export type ClientMessage = { [K in ClientMessageType]: Static<(typeof client)[K]> }[ClientMessageType];
export type ClientMessageOf<K extends ClientMessageType> = Static<(typeof client)[K]>;

/** Messages only the clinician running the session may send. */
export const CLINICIAN_ONLY: ReadonlySet<ClientMessageType> = new Set([
  "admit",
  "admit-all",
  "decline",
  "lock",
  "mute",
  "to-waiting",
  "remove",
  "allow-screens",
  "end",
  ...CHAT_FACILITATOR_ONLY,
  ...HANDS_FACILITATOR_ONLY,
  ...POLLS_FACILITATOR_ONLY,
  ...SAFETY_FACILITATOR_ONLY,
  ...RECORDING_FACILITATOR_ONLY,
  ...WHITEBOARD_FACILITATOR_ONLY,
  ...BREAKOUTS_FACILITATOR_ONLY,
]);

/** Messages a member still in the waiting room may send: nothing that touches media. */
export const WAITING_ALLOWED: ReadonlySet<ClientMessageType> = new Set(["leave", "mode"]);

const checkers = new Map<string, { Check(value: unknown): boolean }>(
  Object.entries(client).map(([k, schema]) => [k, TypeCompiler.Compile(schema as TSchema)]),
);

export type Parsed = { ok: true; message: ClientMessage } | { ok: false; code: "unknown-type" | "malformed"; type?: string };

/** Checks one incoming frame (already JSON-parsed by Elysia, or a raw string). */
export function parseClientMessage(raw: unknown): Parsed {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, code: "malformed" };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return { ok: false, code: "malformed" };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !Object.hasOwn(client, type)) {
    return { ok: false, code: "unknown-type", type: typeof type === "string" ? type.slice(0, 32) : undefined };
  }
  return checkers.get(type)!.Check(value) ? { ok: true, message: value as ClientMessage } : { ok: false, code: "malformed", type };
}

export type MemberState = "waiting" | "admitted" | "away";
export type RoomRole = "clinician" | "member";

/** One member as others see them (the waiting list is shown to the clinician only). */
export interface MemberView {
  id: number;
  name: string;
  role: RoomRole;
  state: MemberState;
  mic: boolean;
  camera: boolean;
  audioOnly: boolean;
  sharing: boolean;
  speaking: boolean;
}

export type ErrorCode =
  | "unknown-type"
  | "malformed"
  | "not-admitted"
  | "not-clinician"
  | "no-such-member"
  | "stale-answer"
  | "bad-answer"
  | "bad-candidate"
  | "screens-not-allowed"
  | "audio-only"
  | "at-capacity"
  | "too-many-messages"
  | "locked"
  | "removed"
  | "ended"
  | "replaced";

/** Errors the room features answer with (each feature's *-protocol.ts), in the same `error` message. */
export type ToolErrorCode = ChatErrorCode | HandsErrorCode | PollsErrorCode | WhiteboardErrorCode | SafetyErrorCode | RecordingErrorCode | BreakoutsErrorCode;

/**
 * How much more the appliance can carry, as the clinician sees it (src/rooms/admission.ts):
 * `full` means new members join with sound only.
 */
export interface HeadroomView {
  level: "ample" | "limited" | "full";
  /** Share of the safe load still free, 0-100. */
  percentFree: number;
  /** About how many more people could join this session with video (counted up to 64). */
  videoJoinsLeft?: number;
}

/** Everything the server sends. */
export type ServerMessage =
  | { type: "welcome"; memberId: number; role: RoomRole; state: MemberState; resumed: boolean }
  | {
      type: "room";
      locked: boolean;
      screensAllowed: boolean;
      members: MemberView[];
      /** Present for the clinician only. */
      waiting?: { id: number; name: string }[];
      /** The appliance's headroom; for the clinician only. */
      headroom?: HeadroomView;
    }
  | { type: "admitted" }
  | { type: "waiting"; reason: "knocked" | "sent-back" }
  | { type: "declined" }
  | { type: "removed" }
  | { type: "ended" }
  | { type: "muted" }
  /**
   * The appliance is at capacity: this member is in audio-only mode (no video either way) although
   * they did not choose it. `message` says so kindly, in their language; they may try video later.
   */
  | { type: "audio-only"; reason: "capacity"; message: string }
  /** `iceServers`: on a fresh offer, the TURN relay and a short-lived credential (src/rooms/relay.ts), if the clinic runs one. */
  | { type: "offer"; seq: number; fresh: boolean; sdp: string; send: { mid: string; source: Source }[]; receive: { mid: string; memberId: number; source: Source }[]; iceServers?: IceServer[] }
  | { type: "speaking"; memberId: number; speaking: boolean }
  | { type: "error"; code: ErrorCode | ToolErrorCode; message: string; ref?: string }
  // Room features (feature.ts)
  | ChatServerMessage
  | HandsServerMessage
  | PollsServerMessage
  | SafetyServerMessage
  | RecordingServerMessage
  | WhiteboardServerMessage
  | BreakoutsServerMessage
  | VitalsServerMessage;
