// Recording with consent (src/rooms/recording.ts): each person's own question, in a modal dialog
// of their own; the indicator every page shows while a request is open (recording, paused, or
// asking); a facilitator's ask and stop, and who has not said yes yet (facilitators only: the
// server never tells a member who holds it back). Text is set with textContent only.
import type { ClientMessage, ServerMessage } from "../../src/rooms/protocol.ts";
import type { RecordingView } from "../../src/rooms/recording-protocol.ts";
import { recordingStrings } from "../../src/rooms/recording-strings.ts";
import { plural } from "../../src/ui/i18n.ts";
import { el, maybeId, pageLocale } from "./dom.ts";

export class RoomRecording {
  readonly #locale = pageLocale();
  readonly #s = recordingStrings(this.#locale);
  #view: RecordingView | null = null;
  /** The request whose dialog this person closed without answering: not pushed at them again. */
  #dismissed: number | null = null;
  #returnFocus: HTMLElement | null = null;
  readonly #bar: HTMLElement;
  readonly #state: HTMLElement;
  readonly #detail: HTMLElement;
  readonly #answer: HTMLButtonElement;
  readonly #withdraw: HTMLButtonElement;
  readonly #dialog: HTMLDialogElement;
  readonly #question: HTMLElement;
  readonly #panel: { ask: HTMLButtonElement; stop: HTMLButtonElement; holding: HTMLUListElement } | null = null;

  static takes(msg: ServerMessage): msg is RecordingView {
    return msg.type === "recording";
  }

  constructor(
    private readonly send: (msg: ClientMessage) => void,
    private readonly announce: (text: string) => void,
    clinician: boolean,
  ) {
    const s = this.#s;
    // The indicator: at the top of the room, above the tiles, on everyone's page.
    this.#bar = el("div", { id: "recording-indicator", class: "recording-indicator", "data-phase": "off", hidden: "" });
    this.#state = el("strong", { id: "recording-state" });
    this.#detail = el("span", { id: "recording-detail" });
    this.#answer = el("button", { type: "button", id: "recording-answer", class: "secondary" }, s.dialogTitle);
    this.#withdraw = el("button", { type: "button", id: "recording-withdraw", class: "danger" }, s.withdraw);
    this.#bar.append(el("span", { class: "recording-dot", "aria-hidden": "true" }), this.#state, this.#detail, this.#answer, this.#withdraw);
    const head = document.querySelector("#room-view .room-head");
    if (head) head.after(this.#bar);
    else maybeId("room-view")?.prepend(this.#bar);
    this.#answer.addEventListener("click", () => (this.#view?.yours === "no" ? this.#reply(true) : this.#open()));
    this.#withdraw.addEventListener("click", () => this.#reply(false));

    // The question: a modal dialog (focus moves into it, Escape closes it unanswered).
    this.#dialog = el("dialog", { id: "recording-dialog", class: "recording-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": "recording-dialog-title", "aria-describedby": "recording-question" });
    const title = el("h2", { id: "recording-dialog-title", tabindex: "-1" }, s.dialogTitle);
    this.#question = el("p", { id: "recording-question" });
    const agree = el("button", { type: "button", id: "recording-agree" }, s.agree);
    const refuse = el("button", { type: "button", id: "recording-refuse", class: "secondary" }, s.refuse);
    this.#dialog.append(title, this.#question, el("div", { class: "actions" }));
    this.#dialog.lastElementChild!.append(agree, refuse);
    (maybeId("session") ?? document.body).append(this.#dialog);
    agree.addEventListener("click", () => this.#reply(true));
    refuse.addEventListener("click", () => this.#reply(false));
    this.#dialog.addEventListener("close", () => {
      if (this.#view?.request && this.#view.yours === null) this.#dismissed = this.#view.request;
      this.#returnFocus?.focus();
      this.#returnFocus = null;
      this.#render();
    });

    if (clinician) {
      const ask = el("button", { type: "button", id: "recording-ask" }, s.askToRecord);
      const stop = el("button", { type: "button", id: "recording-stop", class: "danger", hidden: "" }, s.stopRecording);
      const holding = el("ul", { id: "recording-holding", class: "plain-list", "aria-labelledby": "recording-holding-title" });
      const panel = el("section", { id: "recording-panel", class: "side-panel", "aria-labelledby": "recording-panel-title" });
      panel.append(el("h2", { id: "recording-panel-title" }, s.indicatorRecording), ask, stop, el("p", { id: "recording-holding-title", class: "hint", hidden: "" }, s.notYet), holding);
      const people = maybeId("people-title")?.closest("section");
      if (people) people.before(panel);
      else document.querySelector(".room-side")?.append(panel);
      ask.addEventListener("click", () => this.send({ type: "recording-ask" }));
      stop.addEventListener("click", () => this.send({ type: "recording-stop" }));
      this.#panel = { ask, stop, holding };
    }
  }

  handle(view: RecordingView): void {
    const before = this.#view;
    this.#view = view;
    this.#tellChange(before, view);
    if (view.request === null || view.yours !== null) {
      if (this.#dialog.open) this.#dialog.close();
    } else if (!this.#dialog.open && this.#dismissed !== view.request) {
      this.#open();
    }
    if (this.#dialog.open && view.question) this.#question.textContent = view.question;
    this.#render();
  }

  #tellChange(before: RecordingView | null, now: RecordingView): void {
    const s = this.#s;
    if (!before || before.phase === now.phase) return;
    if (now.phase === "recording") this.announce(s.started);
    else if (now.phase === "paused") this.announce(s.paused);
    else if (now.phase === "off" && now.endedBecause) this.announce(now.endedBecause === "withdrawn" ? s.withdrawn : s.stopped);
  }

  #open(): void {
    const v = this.#view;
    if (!v?.question || this.#dialog.open) return;
    this.#question.textContent = v.question;
    this.#returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.#dialog.showModal();
    // The question first, not a button: nobody agrees by pressing Enter at the wrong moment.
    this.#dialog.querySelector<HTMLElement>("#recording-dialog-title")?.focus();
  }

  #reply(agree: boolean): void {
    this.send({ type: "recording-consent", agree });
  }

  #render(): void {
    const v = this.#view;
    const s = this.#s;
    const phase = v?.phase ?? "off";
    this.#bar.hidden = phase === "off";
    this.#bar.dataset.phase = phase;
    this.#state.textContent = phase === "recording" ? s.indicatorRecording : phase === "paused" ? s.indicatorPaused : s.indicatorAsking;
    // Someone with forms to sign cannot answer yet: the bar says why instead of offering the question.
    const mine = v?.signFirst ? s.signFirst : v?.yours === "yes" ? s.youAgreed : v?.yours === "no" ? s.youRefused : "";
    const waiting = v && v.pending > 0 ? plural(this.#locale, s, "waiting", v.pending) : "";
    this.#detail.textContent = [mine, waiting].filter(Boolean).join(" ");
    const open = v?.request != null;
    this.#answer.hidden = !open || v?.yours === "yes" || !!v?.signFirst || this.#dialog.open;
    this.#answer.textContent = v?.yours === "no" ? s.changeToYes : s.dialogTitle;
    this.#withdraw.hidden = !open || v?.yours !== "yes" || !!this.#panel;
    if (this.#panel) {
      this.#panel.ask.hidden = open;
      this.#panel.stop.hidden = !open;
      const holding = v?.holding ?? [];
      this.#panel.holding.replaceChildren(...holding.map((h) => el("li", {}, `${h.name}: ${h.signFirst ? s.formsToSign : h.answer === "no" ? s.saidNo : s.noAnswer}`)));
      maybeId("recording-holding-title")!.hidden = holding.length === 0;
    }
  }
}
