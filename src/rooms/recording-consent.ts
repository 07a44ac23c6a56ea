/**
 * The rule of recording a session, as a pure state machine (no clock, no store, no sockets): the
 * Recording feature (recording.ts) feeds it what happens in the room and does what it says.
 *
 * - A facilitator asks to record; asking is their own yes. Everyone else present is asked.
 * - Recording runs only while a request is open and every person present (admitted, or away
 *   with their place kept) has said yes to this request since they were last admitted.
 * - Someone admitted later has not answered: recording pauses for everyone until they say yes;
 *   a no keeps it paused (until they say yes, or are no longer present).
 * - Anyone who had said yes and says no withdraws: the request ends and recording stops. Only a
 *   new request, answered again by everyone, records again.
 * - Leaving, being sent back to the waiting room, removed, or dropped forgets the answer: on
 *   coming in again they are asked again. Away and back (a dropped connection within the grace
 *   period, a reloaded page) keep it: the same person never left.
 * - The SFU worker carrying the room restarted: consent is not the worker's, so it holds, but
 *   what was being written ends there and a new part begins.
 * - Someone present no longer has the group's required consent forms signed (a new version, a
 *   withdrawal on the portal, a form newly required): the door would not let them in now, so
 *   nobody records them. Their answer is forgotten and recording pauses, as for a newcomer; they
 *   cannot answer until they have signed, then are asked again like anyone admitted.
 */

export type Answer = "yes" | "no";

export type ConsentEvent =
  /** A new admission (not a page coming back): an unanswered person. */
  | { kind: "admit"; memberId: number; facilitator: boolean }
  /** Their connection dropped; their place is kept. */
  | { kind: "away"; memberId: number }
  /** Their page came back (a reconnect or a new tab). */
  | { kind: "back"; memberId: number; facilitator: boolean }
  /** No longer in: left, sent back to the waiting room, removed, or dropped after the grace period. */
  | { kind: "gone"; memberId: number }
  | { kind: "ask"; memberId: number }
  | { kind: "answer"; memberId: number; agree: boolean }
  | { kind: "stop"; memberId: number }
  | { kind: "restart" }
  /** Whether a present person has the group's required consent forms to sign (again) now. */
  | { kind: "forms"; memberId: number; unsigned: boolean }
  | { kind: "ended" };

export type Refusal = "not-present" | "not-facilitator" | "already-asked" | "not-asked" | "sign-first" | "ended";

export type EndReason = "stopped" | "withdrawn" | "ended";

/** What one event did, for the feature to store, audit and tell. */
export interface Step {
  ok: boolean;
  refused?: Refusal;
  /** A new request was opened (by the member who asked). */
  asked?: number;
  /** An answer was taken. */
  answered?: { memberId: number; answer: Answer; withdrawal: boolean };
  /** The open request ended, and why. */
  ended?: { request: number; reason: EndReason };
  /** Recording started (true) or stopped (false) with this event; absent when unchanged. */
  recording?: boolean;
  /** A new part of the recording begins (started, resumed, or the worker restarted under it). */
  newPart?: number;
}

interface Present {
  facilitator: boolean;
  away: boolean;
}

interface Request {
  readonly id: number;
  readonly askedBy: number;
  readonly answers: Map<number, Answer>;
  /** It has recorded at least once: not yet "asking" but "paused" when held. */
  everRecorded: boolean;
}

export type Phase = "off" | "asking" | "recording" | "paused";

export class ConsentMachine {
  readonly #present = new Map<number, Present>();
  /** Present people with the group's required consent forms to sign: never recorded. */
  readonly #unsigned = new Set<number>();
  #request: Request | null = null;
  #nextRequest = 1;
  #part = 0;
  #recording = false;
  #ended = false;

  get recording(): boolean {
    return this.#recording;
  }

  get request(): number | null {
    return this.#request?.id ?? null;
  }

  /** The part of the recording being written now (0 before anything was). */
  get part(): number {
    return this.#part;
  }

  get phase(): Phase {
    if (!this.#request) return "off";
    if (this.#recording) return "recording";
    return this.#request.everRecorded ? "paused" : "asking";
  }

  /** A present person's answer to the open request, or null. */
  answerOf(memberId: number): Answer | null {
    return this.#request?.answers.get(memberId) ?? null;
  }

  /** Present people who have not said yes to the open request (empty when none is open). */
  holdingBack(): number[] {
    const r = this.#request;
    if (!r) return [];
    return [...this.#present.keys()].filter((id) => r.answers.get(id) !== "yes" || this.#unsigned.has(id));
  }

  /** Has this present person the group's required consent forms to sign before they may be recorded? */
  mustSignFirst(memberId: number): boolean {
    return this.#unsigned.has(memberId);
  }

  present(): number[] {
    return [...this.#present.keys()];
  }

  apply(e: ConsentEvent): Step {
    const step = this.#apply(e);
    const now = this.#allowed();
    if (now !== this.#recording) {
      this.#recording = now;
      step.recording = now;
      if (now) {
        this.#request!.everRecorded = true;
        step.newPart = ++this.#part;
      }
    }
    return step;
  }

  #apply(e: ConsentEvent): Step {
    if (this.#ended) return { ok: false, refused: "ended" };
    switch (e.kind) {
      case "admit":
        this.#present.set(e.memberId, { facilitator: e.facilitator, away: false });
        // A new admission is a new person to ask, whatever they said before.
        this.#request?.answers.delete(e.memberId);
        return { ok: true };
      case "away": {
        const p = this.#present.get(e.memberId);
        if (!p) return { ok: false, refused: "not-present" };
        p.away = true;
        return { ok: true };
      }
      case "back": {
        const p = this.#present.get(e.memberId);
        if (p) p.away = false;
        // Unknown to us (the feature began after they came in): a new person to ask.
        else return this.#apply({ kind: "admit", memberId: e.memberId, facilitator: e.facilitator });
        return { ok: true };
      }
      case "gone":
        if (!this.#present.delete(e.memberId)) return { ok: false, refused: "not-present" };
        this.#request?.answers.delete(e.memberId);
        this.#unsigned.delete(e.memberId);
        return { ok: true };
      case "forms": {
        if (!this.#present.has(e.memberId)) return { ok: false, refused: "not-present" };
        if (!e.unsigned) this.#unsigned.delete(e.memberId);
        else if (!this.#unsigned.has(e.memberId)) {
          // What they agreed to was asked under terms that no longer hold: asked again once signed.
          this.#unsigned.add(e.memberId);
          this.#request?.answers.delete(e.memberId);
        }
        return { ok: true };
      }
      case "ask": {
        const p = this.#present.get(e.memberId);
        if (!p || p.away) return { ok: false, refused: "not-present" };
        if (!p.facilitator) return { ok: false, refused: "not-facilitator" };
        if (this.#request) return { ok: false, refused: "already-asked" };
        this.#request = { id: this.#nextRequest++, askedBy: e.memberId, answers: new Map([[e.memberId, "yes"]]), everRecorded: false };
        return { ok: true, asked: this.#request.id };
      }
      case "answer": {
        const p = this.#present.get(e.memberId);
        if (!p || p.away) return { ok: false, refused: "not-present" };
        const r = this.#request;
        if (!r) return { ok: false, refused: "not-asked" };
        if (this.#unsigned.has(e.memberId)) return { ok: false, refused: "sign-first" };
        const before = r.answers.get(e.memberId);
        const answer: Answer = e.agree ? "yes" : "no";
        const withdrawal = before === "yes" && answer === "no";
        if (withdrawal) return { ok: true, answered: { memberId: e.memberId, answer, withdrawal }, ended: this.#end("withdrawn") };
        r.answers.set(e.memberId, answer);
        return { ok: true, answered: { memberId: e.memberId, answer, withdrawal } };
      }
      case "stop": {
        const p = this.#present.get(e.memberId);
        if (!p || p.away) return { ok: false, refused: "not-present" };
        if (!p.facilitator) return { ok: false, refused: "not-facilitator" };
        if (!this.#request) return { ok: false, refused: "not-asked" };
        return { ok: true, ended: this.#end("stopped") };
      }
      case "restart": {
        // What the old worker was writing ends with it; the new worker writes a new part.
        if (this.#recording) return { ok: true, newPart: ++this.#part };
        return { ok: true };
      }
      case "ended": {
        this.#ended = true;
        this.#present.clear();
        this.#unsigned.clear();
        return { ok: true, ended: this.#request ? this.#end("ended") : undefined };
      }
    }
  }

  #end(reason: EndReason): { request: number; reason: EndReason } {
    const id = this.#request!.id;
    this.#request = null;
    return { request: id, reason };
  }

  #allowed(): boolean {
    const r = this.#request;
    if (!r || this.#ended || this.#present.size === 0) return false;
    for (const id of this.#present.keys()) if (r.answers.get(id) !== "yes" || this.#unsigned.has(id)) return false;
    return true;
  }
}
