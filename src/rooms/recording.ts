import { log } from "../log.ts";
import { fill } from "../ui/i18n.ts";
import type { FeatureMember, LeftBecause, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import { ConsentMachine, type ConsentEvent, type EndReason, type Refusal, type Step } from "./recording-consent.ts";
import type { RecordingErrorCode, RecordingView } from "./recording-protocol.ts";
import type { RecordedFile } from "./recorder.ts";
import { endRequest, interruptOpen, openRequest, recordingsDir, saveAnswer, saveFile, startPart, stopPart } from "./recording-record.ts";
import { recordingStrings } from "./recording-strings.ts";

type RecordingMessage = ClientMessageOf<"recording-ask" | "recording-stop" | "recording-consent">;

const REFUSALS: Partial<Record<Refusal, [RecordingErrorCode, "alreadyAsked" | "notAsked" | "notPresent"]>> = {
  "already-asked": ["recording-already-asked", "alreadyAsked"],
  "not-asked": ["recording-not-asked", "notAsked"],
  "not-present": ["recording-not-present", "notPresent"],
};

/**
 * Recording with everyone's consent. The rule lives in recording-consent.ts; this feature feeds
 * it the room's events, keeps the consent record (recording-record.ts: who agreed, when, to
 * exactly which words), and tells every page where recording stands: each person's own page
 * asks them, every page shows the indicator, and only facilitators learn who holds it back.
 *
 * A request does not outlive its room: a room starting again (the appliance restarted) ends an
 * open one as interrupted, and everyone is asked again.
 */
export class Recording implements RoomFeature<RecordingMessage["type"]> {
  readonly types = ["recording-ask", "recording-stop", "recording-consent"] as const;
  readonly #rule = new ConsentMachine();
  /** The open request's row (the machine counts its own). */
  #requestRow: number | null = null;
  #askedBy: { name: string; personId: number } | null = null;
  /** Everyone the machine counts as present (away included), for names and person ids. */
  readonly #known = new Map<number, FeatureMember>();
  /** Room member id to person, for files sealed after their writer has left. */
  readonly #people = new Map<number, number>();
  #saving: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: RoomFeatureContext) {
    interruptOpen(ctx.hearth, ctx.sessionId, ctx.now());
  }

  receive(member: FeatureMember, msg: RecordingMessage): void {
    this.#known.set(member.id, member);
    this.#people.set(member.id, member.personId);
    switch (msg.type) {
      case "recording-ask":
        return this.#apply({ kind: "ask", memberId: member.id }, member);
      case "recording-stop":
        return this.#apply({ kind: "stop", memberId: member.id }, member);
      case "recording-consent":
        return this.#apply({ kind: "answer", memberId: member.id, agree: msg.agree }, member);
    }
  }

  admitted(member: FeatureMember, resumed: boolean): void {
    this.#known.set(member.id, member);
    this.#people.set(member.id, member.personId);
    const facilitator = this.ctx.isFacilitator(member);
    this.#apply(resumed ? { kind: "back", memberId: member.id, facilitator } : { kind: "admit", memberId: member.id, facilitator }, null);
    // A page back after a drop may still show a request that ended meanwhile: it hears it is off.
    if (resumed && this.#rule.request === null) this.ctx.sendTo(member, this.#viewFor(member, { pending: 0, holding: [] }));
  }

  left(member: FeatureMember, _because: LeftBecause): void {
    this.#apply({ kind: "gone", memberId: member.id }, null);
    this.#known.delete(member.id);
  }

  /** The SFU worker under the room restarted: what it was writing ends, a new part begins. */
  mediaRestarted(): void {
    this.#apply({ kind: "restart" }, null);
  }

  ended(): void {
    this.#apply({ kind: "ended" }, null);
  }

  /** The media sealed a file written under a part this feature allowed: it joins the record. */
  recorded(file: RecordedFile): void {
    saveFile(this.ctx.hearth, this.ctx.sessionId, this.#people.get(file.member) ?? null, file);
  }

  dispose(): void {
    this.ctx.record(null);
    if (this.#requestRow !== null) endRequest(this.ctx.hearth, this.#requestRow, "interrupted", this.ctx.now(), null);
    this.#requestRow = null;
  }

  /** One event through the rule, then the record and the pages follow what it decided. */
  #apply(event: ConsentEvent, by: FeatureMember | null): void {
    const step = this.#rule.apply(event);
    if (!step.ok) {
      const refusal = step.refused && REFUSALS[step.refused];
      if (by && refusal) this.ctx.refuse(by, refusal[0], recordingStrings(by.locale)[refusal[1]], `recording-${event.kind === "answer" ? "consent" : event.kind}`);
      return;
    }
    this.#keep(step, by);
    // Nothing asked and nothing just ended: every page already shows "off"; nobody needs a message.
    if (this.#rule.request === null && !step.ended) return;
    this.#tell(step.ended?.reason);
  }

  #keep(step: Step, by: FeatureMember | null): void {
    const hearth = this.ctx.hearth;
    const now = this.ctx.now();
    if (step.asked && by) {
      this.#requestRow = openRequest(hearth, this.ctx.sessionId, by.personId, now);
      this.#askedBy = { name: by.name, personId: by.personId };
      this.#answer(by, "yes", now);
    }
    if (step.answered && by && this.#requestRow !== null) {
      const { answer, withdrawal } = step.answered;
      this.#answer(by, withdrawal ? "withdrawn" : answer, now);
    }
    // The media follows the rule before anything else: it records only while the rule says so.
    if (step.recording === false || (step.ended && !step.newPart)) this.ctx.record(null);
    else if (step.newPart && this.#requestRow !== null) {
      this.ctx.record({ request: this.#requestRow, part: step.newPart, dir: recordingsDir(hearth), recipient: hearth.vault.recipient });
    }
    if (this.#requestRow === null) return;
    if (step.newPart) startPart(hearth, this.#requestRow, step.newPart, now);
    else if (step.recording === false && !step.ended) stopPart(hearth, this.#requestRow, now);
    if (step.ended) {
      endRequest(hearth, this.#requestRow, step.ended.reason, now, by?.personId ?? null);
      this.#requestRow = null;
      this.#askedBy = null;
    }
  }

  /** Stored with the exact words this person was shown (sealed: it names them). */
  #answer(member: FeatureMember, answer: "yes" | "no" | "withdrawn", at: number): void {
    const row = this.#requestRow!;
    const terms = { name: member.name, locale: member.locale, text: this.#question(member) };
    // The answer governs the room at once; only its record waits for the seal, one after another so
    // the record keeps the order they were given in (a locked vault is logged, never the words).
    this.#saving = this.#saving
      .then(() => saveAnswer(this.ctx.hearth, row, member.personId, answer, at, terms))
      .catch((err: Error) => log.error("recording consent not stored", { session: this.ctx.sessionId, kind: err.name }));
  }

  #question(member: FeatureMember): string {
    return fill(recordingStrings(member.locale).question, { name: this.#askedBy?.name ?? "" });
  }

  #tell(endedBecause: EndReason | undefined): void {
    const rule = this.#rule;
    const ids = rule.holdingBack();
    const holding = ids.map((id) => ({ memberId: id, name: this.#known.get(id)?.name ?? "", answer: rule.answerOf(id) === "no" ? ("no" as const) : null }));
    for (const m of this.ctx.admitted()) this.ctx.sendTo(m, this.#viewFor(m, { pending: ids.length, holding }, endedBecause));
  }

  /** What one person's page is told: their own answer and question; who holds it back only if they facilitate. */
  #viewFor(m: FeatureMember, counts: { pending: number; holding: NonNullable<RecordingView["holding"]> }, endedBecause?: EndReason): RecordingView {
    const rule = this.#rule;
    const open = rule.request !== null;
    return {
      type: "recording",
      phase: rule.phase,
      request: rule.request,
      askedBy: open ? (this.#askedBy?.name ?? null) : null,
      yours: rule.answerOf(m.id),
      pending: counts.pending,
      question: open ? this.#question(m) : null,
      ...(endedBecause ? { endedBecause } : {}),
      ...(this.ctx.isFacilitator(m) ? { holding: counts.holding } : {}),
    };
  }
}
