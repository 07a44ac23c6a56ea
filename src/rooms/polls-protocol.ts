import { t } from "elysia";

/** Polls (polls.ts; docs/room-protocol.md, "Polls"). */

export const POLL_MAX_QUESTION = 300;
export const POLL_MAX_OPTION = 120;
export const POLL_MAX_OPTIONS = 10;

const PollId = t.Integer({ minimum: 1 });

export const pollsClient = {
  "poll-create": t.Object(
    {
      type: t.Literal("poll-create"),
      question: t.String({ minLength: 1, maxLength: POLL_MAX_QUESTION }),
      options: t.Array(t.String({ minLength: 1, maxLength: POLL_MAX_OPTION }), { minItems: 2, maxItems: POLL_MAX_OPTIONS }),
      multiple: t.Boolean(),
      anonymous: t.Boolean(),
      liveResults: t.Boolean(),
    },
    { additionalProperties: false },
  ),
  "poll-answer": t.Object(
    { type: t.Literal("poll-answer"), pollId: PollId, choices: t.Array(t.Integer({ minimum: 0, maximum: POLL_MAX_OPTIONS - 1 }), { minItems: 1, maxItems: POLL_MAX_OPTIONS }) },
    { additionalProperties: false },
  ),
  "poll-close": t.Object({ type: t.Literal("poll-close"), pollId: PollId }, { additionalProperties: false }),
};

export const POLLS_FACILITATOR_ONLY = ["poll-create", "poll-close"] as const;

export type PollsErrorCode = "poll-closed" | "poll-bad-choice" | "poll-blank";

export interface PollView {
  id: number;
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  liveResults: boolean;
  open: boolean;
  /** Votes per option: when closed, when live results are on, and always for facilitators. */
  results?: number[];
  /** How many people have answered (with results). */
  answered?: number;
  /** This member's current answer. */
  mine?: number[];
}

export type PollsServerMessage = { type: "poll"; poll: PollView };
