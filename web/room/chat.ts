// The room's chat panel (src/rooms/chat.ts is the server's side). Text is put in with
// textContent only: a link in a message stays plain text, never clickable.
import type { ChatView } from "../../src/rooms/chat-protocol.ts";
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import type { toolStrings } from "../../src/rooms/tool-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { byId, el, setPressed } from "./dom.ts";

type T = ReturnType<typeof toolStrings>;
type Send = (msg: { type: "chat-send"; to: "everyone" | "facilitators"; text: string } | { type: "chat-hide"; messageId: number }) => void;

export class ChatPanel {
  readonly #panel = byId("chat-panel");
  readonly #log = byId<HTMLOListElement>("chat-log");
  readonly #empty = byId("chat-empty");
  readonly #notice = byId("chat-notice");
  readonly #text = byId<HTMLTextAreaElement>("chat-text");
  readonly #to = byId<HTMLSelectElement>("chat-to");
  readonly #count = byId("chat-count");
  readonly #button = byId<HTMLButtonElement>("btn-chat");
  readonly #badge = byId("chat-badge");
  readonly #unreadText = byId("chat-unread");
  readonly #max: number;
  readonly #items = new Map<number, HTMLLIElement>();
  #unread = 0;
  #noticeTimer = 0;

  constructor(
    private readonly t: T,
    private readonly clinician: boolean,
    private readonly send: Send,
    private readonly selfId: () => number,
    private readonly announce: (text: string) => void,
  ) {
    this.#max = Number(this.#text.dataset.max);
    this.#button.addEventListener("click", () => this.#toggle());
    this.#text.addEventListener("input", () => this.#counted());
    // Enter sends, Shift+Enter is a new line: the usual chat keys.
    this.#text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      }
    });
    byId<HTMLFormElement>("chat-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
  }

  get open(): boolean {
    return !this.#panel.hidden;
  }

  handle(msg: Extract<ServerMessage, { type: "chat" | "chat-hidden" }>): void {
    if (msg.type === "chat-hidden") return this.#hidden(msg.messageId);
    if (msg.catchUp) {
      this.#log.replaceChildren();
      this.#items.clear();
    }
    for (const m of msg.messages) this.#add(m);
    this.#empty.hidden = this.#items.size > 0;
    const fresh = msg.catchUp ? [] : msg.messages.filter((m) => m.from !== this.selfId());
    if (!fresh.length) return;
    if (this.open) {
      this.#log.lastElementChild?.scrollIntoView({ block: "nearest" });
    } else {
      this.#unread += fresh.length;
      this.#badge.textContent = String(this.#unread);
      this.#unreadText.textContent = fill(this.t.chatUnread, { n: this.#unread });
      this.#badge.hidden = false;
      // The log announces itself when open; closed, the live region says who wrote.
      this.announce(fill(this.t.chatNew, { name: fresh.at(-1)!.name }));
    }
  }

  /** A refusal of one of this page's chat messages: shown in the panel, where the person is writing. */
  error(message: string): void {
    this.#notice.textContent = message;
    this.#notice.hidden = false;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = window.setTimeout(() => (this.#notice.hidden = true), 8000);
  }

  #toggle(): void {
    this.#panel.hidden = !this.#panel.hidden;
    setPressed(this.#button, this.open);
    this.#button.setAttribute("aria-expanded", String(this.open));
    if (this.open) {
      this.#unread = 0;
      this.#badge.hidden = true;
      this.#unreadText.textContent = "";
      this.#text.focus();
      this.#log.lastElementChild?.scrollIntoView({ block: "nearest" });
    }
  }

  #counted(): boolean {
    const left = this.#max - this.#text.value.trim().length;
    this.#count.textContent = left >= 0 ? fill(this.t.chatLeft, { n: left }) : fill(this.t.chatOver, { n: -left });
    this.#count.classList.toggle("over", left < 0);
    this.#text.setAttribute("aria-invalid", String(left < 0));
    return left >= 0;
  }

  #submit(): void {
    const text = this.#text.value.trim();
    if (!text) return this.error(this.t.chatEmpty);
    if (!this.#counted()) return this.error(fill(this.t.chatTooLong, { n: text.length, max: this.#max }));
    this.send({ type: "chat-send", to: this.#to.value === "facilitators" ? "facilitators" : "everyone", text });
    this.#text.value = "";
    this.#counted();
    this.#notice.hidden = true;
  }

  #add(m: ChatView): void {
    const mine = m.from === this.selfId() && m.from !== 0;
    const li = el("li", { class: "chat-message", "data-message-id": String(m.id) });
    li.classList.toggle("mine", mine);
    li.classList.toggle("private", m.to === "facilitators");
    const meta = el("p", { class: "chat-meta" });
    meta.append(el("span", { class: "chat-name" }, mine ? this.t.chatYou : m.name));
    const time = el("time", { datetime: new Date(m.at).toISOString() }, new Date(m.at).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" }));
    meta.append(" ", time);
    if (m.to === "facilitators") meta.append(" ", el("span", { class: "chat-tag" }, this.t.chatPrivate));
    if (m.diverted) meta.append(" ", el("span", { class: "chat-tag warn" }, this.t.chatDiverted));
    const hiddenTag = el("span", { class: "chat-tag hidden-tag" }, this.t.chatHidden);
    hiddenTag.hidden = !m.hidden;
    meta.append(" ", hiddenTag);
    li.append(meta, el("p", { class: "chat-text" }, m.text));
    li.classList.toggle("is-hidden", !!m.hidden);
    if (this.clinician && !m.hidden) {
      const hide = el("button", { type: "button", class: "secondary chat-hide", "aria-label": fill(this.t.chatHideLabel, { name: m.name }) }, this.t.chatHide);
      hide.addEventListener("click", () => this.send({ type: "chat-hide", messageId: m.id }));
      li.append(hide);
    }
    this.#items.set(m.id, li);
    this.#log.append(li);
  }

  #hidden(id: number): void {
    const li = this.#items.get(id);
    if (!li) return;
    if (!this.clinician) {
      li.remove();
      this.#items.delete(id);
      this.#empty.hidden = this.#items.size > 0;
      return this.announce(this.t.chatHiddenNotice);
    }
    li.classList.add("is-hidden");
    li.querySelector<HTMLElement>(".hidden-tag")!.hidden = false;
    li.querySelector(".chat-hide")?.remove();
  }
}
