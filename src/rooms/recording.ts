import { findSession, type GroupSession } from "../clinic/sessions.ts";
import { log } from "../log.ts";
import { formsToSign } from "../portal/group-consent.ts";
import { fill } from "../ui/i18n.ts";
import type { FeatureMember, LeftBecause, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import { ConsentMachine, type ConsentEvent, type EndReason, type Refusal, type Step } from "./recording-consent.ts";
import type { RecordingErrorCode, RecordingView } from "./recording-protocol.ts";
import type { RecordedFile } from "./recorder.ts";
import { endRequest, interruptOpen, openRequest, recordingsDir, saveAnswer, saveFile, startPart, stopPart } from "./recording-record.ts";
import { recordingStrings } from "./recording-strings.ts";

type RecordingMessage = ClientMessageOf<"recording-ask" | "recording-stop" | "recording-consent">;

const REFUSALS: Partial<Record<Refusal, [RecordingErrorCode, "alreadyAsked" | "notAsked" | "notPresent" | "signFirst"]>> = {
  "already-asked": ["recording-already-asked", "alreadyAsked"],
  "not-asked": ["recording-not-asked", "notAsked"],
  "not-present": ["recording-not-present", "notPresent"],
  "sign-first": ["recording-sign-first", "signFirst"],
};

/**
 * How often, while a request is open, the group's required consent forms are read again for
 * everyone present: a new version or a withdrawal on the portal pauses recording within this.
 */
export const FORMS_CHECK_MS = 1000;

/**
 * Recording with everyone's consent. The rule lives in recording-consent.ts; this feature feeds
 * it the room's events, keeps the consent record (recording-record.ts: who agreed, when, to
 * exactly which words), and tells every page where recording stands: each person's own page
 * asks them, every page shows the indicator, and only facilitators learn who holds it back.
 *
 * A request does not outlive its room: a room starting again (the appliance restarted) ends an
 * open one as interrupted, and everyone is asked again.
 *
 * The group's required consent forms (src/portal/group-consent.ts) are the door's rule; they can
 * change while people are inside (a new version, a withdrawal on the portal, a form newly
 * required). Whoever would now be refused at the door is not recorded: their answer is forgotten,
 * recording pauses, they are told to sign first, and they are asked again once they have. The
 * forms are read on admission, before a request opens, and every FORMS_CHECK_MS while one is open.
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
  readonly #session: GroupSession | null;
  #formsTimer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly ctx: RoomFeatureContext) {
    interruptOpen(ctx.hearth, ctx.sessionId, ctx.now());
    this.#session = findSession(ctx.hearth.db, ctx.sessionId);
  }

  receive(member: FeatureMember, msg: RecordingMessage): void {
    this.#known.set(member.id, member);
    this.#people.set(member.id, member.personId);
    switch (msg.type) {
      case "recording-ask": {
        // A request is put to people as their forms stand now (nothing is told before it opens).
        for (const m of this.#known.values()) this.#checkForms(m, true);
        if (!this.#apply({ kind: "ask", memberId: member.id }, member).asked) return;
        for (const m of this.#known.values()) if (this.#rule.mustSignFirst(m.id)) this.#tellSignFirst(m);
        return;
      }
      case "recording-stop":
        this.#apply({ kind: "stop", memberId: member.id }, member);
        return;
      case "recording-consent":
        this.#apply({ kind: "answer", memberId: member.id, agree: msg.agree }, member);
        return;
    }
  }

  admitted(member: FeatureMember, resumed: boolean): void {
    this.#known.set(member.id, member);
    this.#people.set(member.id, member.personId);
    const facilitator = this.ctx.isFacilitator(member);
    // Arriving and their forms as they stand, told as one change (never asked, then told to sign first).
    this.#apply(resumed ? { kind: "back", memberId: member.id, facilitator } : { kind: "admit", memberId: member.id, facilitator }, null, true);
    this.#checkForms(member, true);
    if (this.#rule.request !== null) this.#tell(undefined);
    if (this.#rule.request !== null && this.#rule.mustSignFirst(member.id)) this.#tellSignFirst(member);
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

  /** Tells the rule whether this present person now has the group's required forms to sign (the door's own rule). */
  #checkForms(member: FeatureMember, quiet = false): void {
    const unsigned = this.#session !== null && formsToSign(this.ctx.hearth, this.#session, member.personId).length > 0;
    if (unsigned === this.#rule.mustSignFirst(member.id)) return;
    const step = this.#apply({ kind: "forms", memberId: member.id, unsigned }, null, quiet);
    if (step.ok && unsigned && !quiet && this.#rule.request !== null) this.#tellSignFirst(member);
  }

  /** Their own page hears why it holds, in their words (the page announces a refusal it has no place for). */
  #tellSignFirst(member: FeatureMember): void {
    this.ctx.refuse(member, "recording-sign-first", recordingStrings(member.locale).signFirst, "recording");
  }

  /** Reads everyone's forms again while a request is open (nothing records without one). */
  #watchForms(): void {
    const open = this.#rule.request !== null;
    if (open && !this.#formsTimer) {
      this.#formsTimer = setInterval(() => {
        try {
          for (const m of [...this.#known.values()]) this.#checkForms(m);
        } catch (err) {
          log.error("recording forms check failed", { session: this.ctx.sessionId, kind: (err as Error).name });
        }
      }, FORMS_CHECK_MS);
    } else if (!open && this.#formsTimer) {
      clearInterval(this.#formsTimer);
      this.#formsTimer = null;
    }
  }

  /** The media sealed a file written under a part this feature allowed: it joins the record. */
  recorded(file: RecordedFile): void {
    saveFile(this.ctx.hearth, this.ctx.sessionId, this.#people.get(file.member) ?? null, file);
  }

  dispose(): void {
    if (this.#formsTimer) clearInterval(this.#formsTimer);
    this.#formsTimer = null;
    this.ctx.record(null);
    if (this.#requestRow !== null) endRequest(this.ctx.hearth, this.#requestRow, "interrupted", this.ctx.now(), null);
    this.#requestRow = null;
  }

  /** One event through the rule, then the record and the pages follow what it decided (`quiet`: the caller tells the pages). */
  #apply(event: ConsentEvent, by: FeatureMember | null, quiet = false): Step {
    const step = this.#rule.apply(event);
    if (!step.ok) {
      const refusal = step.refused && REFUSALS[step.refused];
      if (by && refusal) this.ctx.refuse(by, refusal[0], recordingStrings(by.locale)[refusal[1]], `recording-${event.kind === "answer" ? "consent" : event.kind}`);
      return step;
    }
    this.#keep(step, by);
    this.#watchForms();
    // Nothing asked and nothing just ended: every page already shows "off"; nobody needs a message.
    if (quiet || (this.#rule.request === null && !step.ended)) return step;
    this.#tell(step.ended?.reason);
    return step;
  }

  #keep(step: Step, by: FeatureMember | null): void {
    const hearth = this.ctx.hearth;
    const now = this.ctx.now();
    if (step.asked && by) {
      this.#requestRow = openRequest(hearth, this.ctx.sessionId, by.personId, now);
      this.ctx.readyToRecord();
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
    const holding = ids.map((id) => ({
      memberId: id,
      name: this.#known.get(id)?.name ?? "",
      answer: rule.answerOf(id) === "no" ? ("no" as const) : null,
      ...(rule.mustSignFirst(id) ? { signFirst: true as const } : {}),
    }));
    for (const m of this.ctx.admitted()) this.ctx.sendTo(m, this.#viewFor(m, { pending: ids.length, holding }, endedBecause));
  }

  /** What one person's page is told: their own answer and question; who holds it back only if they facilitate. */
  #viewFor(m: FeatureMember, counts: { pending: number; holding: NonNullable<RecordingView["holding"]> }, endedBecause?: EndReason): RecordingView {
    const rule = this.#rule;
    const open = rule.request !== null;
    const signFirst = rule.mustSignFirst(m.id);
    return {
      type: "recording",
      phase: rule.phase,
      request: rule.request,
      askedBy: open ? (this.#askedBy?.name ?? null) : null,
      yours: rule.answerOf(m.id),
      pending: counts.pending,
      // No question while they must sign first: the page would ask for an answer that is refused.
      question: open && !signFirst ? this.#question(m) : null,
      ...(signFirst ? { signFirst: true as const } : {}),
      ...(endedBecause ? { endedBecause } : {}),
      ...(this.ctx.isFacilitator(m) ? { holding: counts.holding } : {}),
    };
  }
}
