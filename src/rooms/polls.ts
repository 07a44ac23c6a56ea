import type { Hearth } from "../context.ts";
import type { PollView } from "./polls-protocol.ts";
import type { FeatureMember, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import { toolStrings } from "./tool-strings.ts";

type PollMessage = ClientMessageOf<"poll-create" | "poll-answer" | "poll-close">;

interface Poll {
  id: number;
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  liveResults: boolean;
  open: boolean;
  /**
   * Current answers by person, while open. For an anonymous poll this map is the only place a
   * person and an answer meet: it lives in memory, and only its counts are ever written.
   */
  answers: Map<number, number[]>;
  /** Counts, and how many answered, when closed. */
  results: number[] | null;
  answered: number;
}

export interface NewPoll {
  sessionId: number;
  createdBy: number;
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  liveResults: boolean;
  at: number;
}

/** Stores a new poll, its question and answers sealed; returns its id. */
export async function savePoll(hearth: Hearth, p: NewPoll): Promise<number> {
  const body = await hearth.vault.sealJson({ question: p.question, options: p.options, multiple: p.multiple, liveResults: p.liveResults });
  return hearth.db
    .query<{ id: number }, [number, number, number, number, Uint8Array]>(
      "INSERT INTO polls (session_id, created_by, created_at, anonymous, body) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .get(p.sessionId, p.createdBy, p.at, p.anonymous ? 1 : 0, body)!.id;
}

/** A named poll's answer, sealed with its person (never called for an anonymous poll). */
export async function saveNamedAnswer(hearth: Hearth, pollId: number, personId: number, choices: number[], at: number): Promise<void> {
  const sealed = await hearth.vault.sealJson(choices);
  hearth.db
    .query(
      `INSERT INTO poll_answers (poll_id, person_id, answered_at, choices) VALUES (?, ?, ?, ?)
       ON CONFLICT (poll_id, person_id) DO UPDATE SET answered_at = excluded.answered_at, choices = excluded.choices`,
    )
    .run(pollId, personId, at, sealed);
}

/** Closes a poll: its counts, and how many answered, sealed. */
export async function savePollResults(hearth: Hearth, pollId: number, results: number[], answered: number, at: number): Promise<void> {
  const sealed = await hearth.vault.sealJson({ results, answered });
  hearth.db.query("UPDATE polls SET closed_at = ?, results = ? WHERE id = ?").run(at, sealed, pollId);
}

/**
 * Polls: a facilitator asks, members answer once and may change their answer while it is open,
 * and closing shows everyone the results. Results are sealed with the session. An anonymous poll
 * writes no row that links a person to an answer (migration 0032); a named one keeps each
 * person's answer sealed in poll_answers.
 */
export class Polls implements RoomFeature<PollMessage["type"]> {
  readonly types = ["poll-create", "poll-answer", "poll-close"] as const;
  readonly #polls = new Map<number, Poll>();

  constructor(private readonly ctx: RoomFeatureContext) {}

  async receive(member: FeatureMember, msg: PollMessage): Promise<void> {
    switch (msg.type) {
      case "poll-create":
        return this.#create(member, msg);
      case "poll-answer":
        return this.#answer(member, msg);
      case "poll-close": {
        const poll = this.#polls.get(msg.pollId);
        if (!poll) return this.ctx.refuse(member, "poll-closed", toolStrings(member.locale).pollClosed, msg.type);
        return this.#close(poll);
      }
    }
  }

  async #create(member: FeatureMember, msg: ClientMessageOf<"poll-create">): Promise<void> {
    const question = msg.question.trim();
    const options = msg.options.map((o) => o.trim());
    if (!question || options.some((o) => !o)) return this.ctx.refuse(member, "poll-blank", toolStrings(member.locale).pollBlank, msg.type);
    const id = await savePoll(this.ctx.hearth, {
      sessionId: this.ctx.sessionId,
      createdBy: member.personId,
      question,
      options,
      multiple: msg.multiple,
      anonymous: msg.anonymous,
      liveResults: msg.liveResults,
      at: this.ctx.now(),
    });
    const poll: Poll = { id, question, options, multiple: msg.multiple, anonymous: msg.anonymous, liveResults: msg.liveResults, open: true, answers: new Map(), results: null, answered: 0 };
    this.#polls.set(id, poll);
    this.#tellAll(poll);
  }

  async #answer(member: FeatureMember, msg: ClientMessageOf<"poll-answer">): Promise<void> {
    const s = toolStrings(member.locale);
    const poll = this.#polls.get(msg.pollId);
    if (!poll || !poll.open) return this.ctx.refuse(member, "poll-closed", s.pollClosed, msg.type);
    const choices = [...new Set(msg.choices)].sort((a, b) => a - b);
    if (choices.some((c) => c >= poll.options.length) || (!poll.multiple && choices.length !== 1)) {
      return this.ctx.refuse(member, "poll-bad-choice", s.pollBadChoice, msg.type);
    }
    poll.answers.set(member.personId, choices);
    if (!poll.anonymous) await saveNamedAnswer(this.ctx.hearth, poll.id, member.personId, choices, this.ctx.now());
    // Counts move for whoever may see them; the member sees their own answer kept.
    if (poll.liveResults) this.#tellAll(poll);
    else {
      this.ctx.toFacilitators({ type: "poll", poll: this.#view(poll, null, true) });
      if (!this.ctx.isFacilitator(member)) this.ctx.sendTo(member, { type: "poll", poll: this.#view(poll, member.personId, false) });
    }
  }

  async #close(poll: Poll): Promise<void> {
    if (!poll.open) return;
    poll.open = false;
    poll.results = this.#counts(poll);
    poll.answered = poll.answers.size;
    // Nobody's anonymous answer is needed any more: the counts are what is kept.
    if (poll.anonymous) poll.answers.clear();
    await savePollResults(this.ctx.hearth, poll.id, poll.results, poll.answered, this.ctx.now());
    this.#tellAll(poll);
  }

  #counts(poll: Poll): number[] {
    const counts = poll.options.map(() => 0);
    for (const choices of poll.answers.values()) for (const c of choices) counts[c]!++;
    return counts;
  }

  #view(poll: Poll, personId: number | null, facilitator: boolean): PollView {
    const showResults = !poll.open || poll.liveResults || facilitator;
    const mine = personId === null ? undefined : poll.answers.get(personId);
    return {
      id: poll.id,
      question: poll.question,
      options: poll.options,
      multiple: poll.multiple,
      anonymous: poll.anonymous,
      liveResults: poll.liveResults,
      open: poll.open,
      ...(showResults ? poll.results ? { results: poll.results, answered: poll.answered } : { results: this.#counts(poll), answered: poll.answers.size } : {}),
      ...(mine ? { mine } : {}),
    };
  }

  #tellAll(poll: Poll): void {
    for (const m of this.ctx.admitted()) this.#tell(m, poll);
  }

  #tell(m: FeatureMember, poll: Poll): void {
    this.ctx.sendTo(m, { type: "poll", poll: this.#view(poll, m.personId, this.ctx.isFacilitator(m)) });
  }

  /** Newly in: the polls of this room, open or closed, as they stand. */
  admitted(member: FeatureMember): void {
    for (const poll of this.#polls.values()) this.#tell(member, poll);
  }

  /** The session ended: open polls close, and their counts are sealed with it. */
  async ended(): Promise<void> {
    for (const poll of this.#polls.values()) await this.#close(poll);
  }
}
