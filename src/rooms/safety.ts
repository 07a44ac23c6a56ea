import { findSession } from "../clinic/sessions.ts";
import { acknowledgeAlert, openAlerts, raiseAlert, reachOf, type AlertDetail, type AlertKind } from "../safety/alerts.ts";
import { codeWordOf, saysCodeWord } from "../safety/group-safety.ts";
import { lexiconFor } from "../safety/lexicon.ts";
import { HELP_NOTICE, facilitatorsFor, screenText } from "../safety/screen.ts";
import { notify } from "../notify/notify.ts";
import { alertStrings } from "../safety/alert-strings.ts";
import type { ChatScreenInput, ChatVerdict, FeatureMember, RoomFeature, RoomFeatureContext } from "./feature.ts";
import type { ClientMessageOf } from "./protocol.ts";
import type { SafetyAlertView } from "./safety-protocol.ts";

type SafetyMessage = ClientMessageOf<"help" | "safety-ack">;

/**
 * Safety in the room: "I need help now", the group's code word typed in chat, and crisis words in
 * chat (src/safety/lexicon.ts) each raise a private alert at every facilitator: who, where they
 * said they are today, their phone and emergency contact. It stays on every facilitator's page
 * (and comes back with a reloaded one) until one of them acknowledges it, which clears it
 * everywhere. The member who asked gets a quiet confirmation; nobody else in the group learns
 * anything. Alerts and acknowledgements are stored sealed with the session and audited
 * (src/safety/alerts.ts), and each facilitator an alert is shown to is audited too.
 */
export class Safety implements RoomFeature<SafetyMessage["type"]> {
  readonly types = ["help", "safety-ack"] as const;
  readonly #open = new Map<number, SafetyAlertView>();
  /** Alert id to the member's person id, for the audit rows (the view carries the room's member id). */
  readonly #owners = new Map<number, number>();
  /** Alerts left open by an earlier room of this session (a restart, or everyone gone a moment). */
  readonly #loaded: Promise<void>;
  readonly #groupId: number | null;
  #codeWord: Promise<string | null> | null = null;
  /** How to reach each member, read when they come in: an alert then needs no sealed read first. */
  readonly #reach = new Map<number, ReturnType<typeof reachOf>>();

  constructor(private readonly ctx: RoomFeatureContext) {
    this.#groupId = findSession(ctx.hearth.db, ctx.sessionId)?.groupId ?? null;
    this.#loaded = openAlerts(ctx.hearth, ctx.sessionId).then((alerts) => {
      for (const a of alerts) {
        this.#open.set(a.id, { id: a.id, memberId: 0, raisedAt: a.raisedAt, kind: a.kind, name: a.name, location: a.location, phone: a.phone, emergencyContact: a.emergencyContact, fromProfile: a.fromProfile });
        this.#owners.set(a.id, a.personId);
      }
    }).catch(() => {}); // a locked vault: no earlier alerts to show, new ones still go out
  }

  async receive(member: FeatureMember, msg: SafetyMessage): Promise<void> {
    if (msg.type === "help") {
      if (this.ctx.isFacilitator(member)) return;
      await this.#raise(member, "button");
      return;
    }
    await this.#loaded;
    if (!this.#open.has(msg.alertId)) {
      return this.ctx.refuse(member, "safety-no-such-alert", alertStrings(member.locale).noSuchAlert, msg.type);
    }
    this.#open.delete(msg.alertId);
    acknowledgeAlert(this.ctx.hearth, msg.alertId, this.ctx.sessionId, member.personId);
    this.ctx.toFacilitators({ type: "safety-cleared", alertId: msg.alertId, by: member.name });
  }

  /** A facilitator's page (new, or back after a drop) gets every alert still open. */
  async admitted(member: FeatureMember): Promise<void> {
    if (!this.ctx.isFacilitator(member)) {
      const reach = reachOf(this.ctx.hearth, this.ctx.sessionId, member.personId);
      reach.catch(() => this.#reach.delete(member.personId));
      this.#reach.set(member.personId, reach);
      return;
    }
    await this.#loaded;
    for (const alert of this.#open.values()) this.#show(member, alert);
  }

  /**
   * The code word is diverted to the facilitators (the group never sees it) and raises an alert;
   * crisis words raise one too and are shown as usual: the lexicon never blocks a message.
   */
  async screenChat(input: ChatScreenInput): Promise<ChatVerdict> {
    const { member, text } = input;
    if (this.ctx.isFacilitator(member)) return "show";
    const word = await this.#word();
    if (word && saysCodeWord(text, word)) {
      await this.#raise(member, "code-word");
      return "facilitators";
    }
    if (lexiconFor(this.ctx.hearth.config.dataDir).matches(text)) {
      // The bell as well as the banner: a facilitator who stepped away still finds it.
      if (this.#groupId !== null) screenText(this.ctx.hearth, { authorId: member.personId, text, source: "chat", groupId: this.#groupId, link: `/sessions/${this.ctx.sessionId}` });
      await this.#raise(member, "words");
    }
    return "show";
  }

  #word(): Promise<string | null> {
    if (!this.#codeWord) this.#codeWord = this.#groupId === null ? Promise.resolve(null) : codeWordOf(this.ctx.hearth, this.#groupId).catch(() => null);
    return this.#codeWord;
  }

  async #raise(member: FeatureMember, kind: AlertKind): Promise<void> {
    await this.#loaded;
    // One open alert per member: pressing again while it is open reminds, it does not pile up.
    const already = [...this.#open.values()].find((a) => this.#owners.get(a.id) === member.personId);
    if (already) {
      for (const f of this.ctx.admitted()) if (this.ctx.isFacilitator(f)) this.#show(f, already);
    } else {
      const hearth = this.ctx.hearth;
      const reach = await (this.#reach.get(member.personId) ?? reachOf(hearth, this.ctx.sessionId, member.personId));
      const detail: AlertDetail = { kind, name: member.name, ...reach };
      const { id, raisedAt } = await raiseAlert(hearth, this.ctx.sessionId, member.personId, detail);
      const alert: SafetyAlertView = { id, memberId: member.id, raisedAt, ...detail };
      this.#open.set(id, alert);
      this.#owners.set(id, member.personId);
      const facilitators = this.ctx.admitted().filter((f) => this.ctx.isFacilitator(f));
      for (const f of facilitators) this.#show(f, alert);
      // Nobody is there to see the banner (a dropped connection): the group's clinicians hear of it by the bell too.
      if (facilitators.length === 0 && this.#groupId !== null) {
        for (const id of facilitatorsFor(hearth, member.personId, this.#groupId)) notify(hearth, id, { kind: HELP_NOTICE, link: `/sessions/${this.ctx.sessionId}` });
      }
    }
    if (kind !== "words") this.ctx.sendTo(member, { type: "help-sent" });
  }

  #show(facilitator: FeatureMember, alert: SafetyAlertView): void {
    this.ctx.hearth.audit.append({ actor: `person:${facilitator.personId}`, action: "safety.alert_shown", subject: `safety_alert:${alert.id}`, ownerId: this.#owners.get(alert.id) ?? null, outcome: "ok" });
    this.ctx.sendTo(facilitator, { type: "safety-alert", alert });
  }
}
