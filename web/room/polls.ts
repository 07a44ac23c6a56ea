// Polls (src/rooms/polls.ts is the server's side): the facilitator's form, each poll as a card
// with its answers, and the results when the server sends them.
import type { PollView } from "../../src/rooms/polls-protocol.ts";
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import type { toolStrings } from "../../src/rooms/tool-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { byId, el, maybeId } from "./dom.ts";

type T = ReturnType<typeof toolStrings>;
type Send = (
  msg:
    | { type: "poll-create"; question: string; options: string[]; multiple: boolean; anonymous: boolean; liveResults: boolean }
    | { type: "poll-answer"; pollId: number; choices: number[] }
    | { type: "poll-close"; pollId: number },
) => void;

interface Card {
  article: HTMLElement;
  state: HTMLElement;
  form: HTMLFormElement | null;
  submit: HTMLButtonElement | null;
  saved: HTMLElement;
  results: HTMLElement;
  close: HTMLButtonElement | null;
}

export class PollsPanel {
  readonly #panel = byId("polls-panel");
  readonly #list = byId("poll-list");
  readonly #cards = new Map<number, Card>();

  constructor(
    private readonly t: T,
    private readonly clinician: boolean,
    private readonly send: Send,
    private readonly announce: (text: string) => void,
  ) {
    maybeId<HTMLFormElement>("poll-form")?.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#create();
    });
  }

  handle(msg: Extract<ServerMessage, { type: "poll" }>): void {
    const p = msg.poll;
    const fresh = !this.#cards.has(p.id);
    const card = this.#cards.get(p.id) ?? this.#card(p);
    const wasOpen = card.article.dataset.open === "true";
    card.article.dataset.open = String(p.open);
    card.state.textContent = [p.open ? this.t.pollOpen : this.t.pollClosedTag, ...(p.anonymous ? [this.t.pollAnonymousTag] : [])].join(" · ");
    if (card.form) {
      card.form.hidden = !p.open;
      if (p.mine) for (const input of card.form.querySelectorAll<HTMLInputElement>("input")) input.checked = p.mine.includes(Number(input.value));
      card.submit!.textContent = p.mine ? this.t.pollChange : this.t.pollAnswer;
    }
    card.saved.hidden = !(p.open && p.mine);
    if (card.close) card.close.hidden = !p.open;
    this.#results(card, p);
    this.#panel.hidden = false;
    if (fresh && p.open && !this.clinician) this.announce(fill(this.t.pollStarted, { question: p.question }));
    if (wasOpen && !p.open) this.announce(this.t.pollResults);
  }

  /** A refusal of an answer or a new poll: said where the person acted. */
  error(ref: string | undefined, message: string): void {
    if (ref === "poll-create") return this.#formError(message);
    this.announce(message);
  }

  #card(p: PollView): Card {
    const article = el("article", { class: "poll", "data-poll-id": String(p.id), "aria-labelledby": `poll-${p.id}-q` });
    article.append(el("h3", { id: `poll-${p.id}-q`, class: "poll-question" }, p.question));
    const state = el("p", { class: "poll-state muted" });
    article.append(state);
    let form: HTMLFormElement | null = null;
    let submit: HTMLButtonElement | null = null;
    if (!this.clinician) {
      form = el("form", { class: "poll-answer" });
      const fieldset = el("fieldset");
      fieldset.append(el("legend", { class: "visually-hidden" }, p.question));
      p.options.forEach((option, i) => {
        const id = `poll-${p.id}-${i}`;
        const row = el("div", { class: "field checkbox" });
        row.append(el("input", { type: p.multiple ? "checkbox" : "radio", name: `poll-${p.id}`, id, value: String(i) }), el("label", { for: id }, option));
        fieldset.append(row);
      });
      submit = el("button", { type: "submit" }, this.t.pollAnswer);
      form.append(fieldset, submit);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const choices = [...form!.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => Number(i.value));
        if (!choices.length) return this.announce(this.t.pollChooseOne);
        this.send({ type: "poll-answer", pollId: p.id, choices });
      });
      article.append(form);
    }
    const saved = el("p", { class: "hint poll-saved", role: "status" }, this.t.pollYourAnswer);
    const results = el("div", { class: "poll-results" });
    article.append(saved, results);
    let close: HTMLButtonElement | null = null;
    if (this.clinician) {
      close = el("button", { type: "button", class: "secondary" }, this.t.pollClose);
      close.addEventListener("click", () => this.send({ type: "poll-close", pollId: p.id }));
      article.append(close);
    }
    this.#list.prepend(article);
    const card = { article, state, form, submit, saved, results, close };
    this.#cards.set(p.id, card);
    return card;
  }

  #results(card: Card, p: PollView): void {
    if (!p.results) return card.results.replaceChildren();
    const total = Math.max(1, ...p.results);
    const list = el("ul", { class: "poll-result-list" });
    p.options.forEach((option, i) => {
      const n = p.results![i] ?? 0;
      const li = el("li", { "data-option": String(i), "data-votes": String(n) });
      li.append(el("span", { class: "poll-option" }, option), " ", el("span", { class: "poll-count" }, fill(this.t.pollVotes, { n })));
      const meter = el("meter", { min: "0", max: String(total), value: String(n), "aria-hidden": "true" });
      li.append(meter);
      list.append(li);
    });
    card.results.replaceChildren(list, el("p", { class: "hint" }, fill(this.t.pollAnswered, { n: p.answered ?? 0 })));
  }

  #formError(message: string): void {
    const error = byId("poll-form-error");
    error.textContent = message;
    error.hidden = false;
  }

  #create(): void {
    const question = byId<HTMLInputElement>("poll-question");
    const optionsBox = byId<HTMLTextAreaElement>("poll-options");
    const max = Number(optionsBox.dataset.maxOption);
    const most = Number(optionsBox.dataset.maxOptions);
    const options = optionsBox.value.split("\n").map((o) => o.trim()).filter(Boolean);
    const fail = (field: HTMLElement, message: string) => {
      this.#formError(message);
      field.setAttribute("aria-invalid", "true");
      field.focus();
    };
    question.removeAttribute("aria-invalid");
    optionsBox.removeAttribute("aria-invalid");
    if (!question.value.trim()) return fail(question, this.t.pollNeedQuestion);
    if (options.length < 2) return fail(optionsBox, this.t.pollTooFew);
    if (options.length > most) return fail(optionsBox, fill(this.t.pollTooMany, { max: most }));
    this.send({
      type: "poll-create",
      question: question.value.trim(),
      options: options.map((o) => o.slice(0, max)),
      multiple: byId<HTMLInputElement>("poll-multiple").checked,
      anonymous: byId<HTMLInputElement>("poll-anonymous").checked,
      liveResults: byId<HTMLInputElement>("poll-live").checked,
    });
    byId("poll-form-error").hidden = true;
    question.value = "";
    optionsBox.value = "";
    byId<HTMLDetailsElement>("poll-new").open = false;
  }
}
