// Raised hands (src/rooms/hands.ts is the server's side): the queue in the side panel, a mark on
// each tile, and every change said in the page's live region.
import type { MemberView, ServerMessage } from "../../src/rooms/protocol.ts";
import type { toolStrings } from "../../src/rooms/tool-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { byId, el, maybeId, setPressed } from "./dom.ts";

type T = ReturnType<typeof toolStrings>;
type Send = (msg: { type: "hand-raise" } | { type: "hand-lower"; memberId?: number } | { type: "hand-call-next" }) => void;

export class HandsPanel {
  queue: number[] = [];
  readonly #list = byId<HTMLOListElement>("hands-list");
  readonly #none = byId("hands-none");
  readonly #button = byId<HTMLButtonElement>("btn-hand");
  readonly #callNext = maybeId<HTMLButtonElement>("hand-call-next");
  #seen = false;
  /** Names of people who were in the queue, for saying they lowered it after they left the list. */
  readonly #names = new Map<number, string>();

  constructor(
    private readonly t: T,
    private readonly clinician: boolean,
    private readonly send: Send,
    private readonly room: () => { selfId: number; members: MemberView[] },
    private readonly announce: (text: string) => void,
  ) {
    this.#button.addEventListener("click", () => {
      const raised = this.queue.includes(this.room().selfId);
      this.send(raised ? { type: "hand-lower" } : { type: "hand-raise" });
    });
    this.#callNext?.addEventListener("click", () => this.send({ type: "hand-call-next" }));
  }

  handle(msg: Extract<ServerMessage, { type: "hands" | "hand-called" }>): void {
    const { selfId } = this.room();
    if (msg.type === "hand-called") {
      return this.announce(msg.memberId === selfId ? this.t.handCalledYou : fill(this.t.handCalled, { name: this.#name(msg.memberId) }));
    }
    const next = msg.queue.map((h) => h.memberId);
    if (this.#seen) {
      for (const id of next) if (!this.queue.includes(id)) this.announce(id === selfId ? this.t.handRaisedYou : fill(this.t.handRaisedBy, { name: this.#name(id) }));
      for (const id of this.queue) if (!next.includes(id)) this.announce(id === selfId ? this.t.handLoweredYou : fill(this.t.handLoweredBy, { name: this.#name(id) }));
    }
    this.#seen = true;
    this.queue = next;
    this.render();
  }

  #name(id: number): string {
    const name = this.room().members.find((m) => m.id === id)?.name ?? this.#names.get(id) ?? "";
    if (name) this.#names.set(id, name);
    return name;
  }

  /** The panel, the button and the tiles' marks; called again whenever the room re-renders. */
  render(): void {
    const { selfId } = this.room();
    const raised = this.queue.includes(selfId);
    setPressed(this.#button, raised);
    this.#button.textContent = raised ? this.t.lowerHand : this.t.raiseHand;
    this.#none.hidden = this.queue.length > 0;
    if (this.#callNext) this.#callNext.hidden = this.queue.length === 0;
    this.#list.replaceChildren(
      ...this.queue.map((id) => {
        const name = this.#name(id);
        const li = el("li", { "data-member": String(id) });
        li.append(el("span", { class: "person-name" }, id === selfId ? this.t.chatYou : name));
        if (this.clinician) {
          const lower = el("button", { type: "button", class: "secondary", "aria-label": fill(this.t.handLowerLabel, { name }) }, this.t.handLower);
          lower.addEventListener("click", () => this.send({ type: "hand-lower", memberId: id }));
          li.append(" ", lower);
        }
        return li;
      }),
    );
    // The tiles: a raised hand and the place in line, in words for screen readers too.
    for (const tile of document.querySelectorAll<HTMLElement>("#tiles .tile[data-member]")) {
      const place = this.queue.indexOf(Number(tile.dataset.member)) + 1;
      let mark = tile.querySelector<HTMLElement>(".tile-hand");
      if (!place) {
        mark?.remove();
        continue;
      }
      if (!mark) {
        mark = el("span", { class: "tile-hand" });
        tile.append(mark);
      }
      mark.replaceChildren(el("span", { "aria-hidden": "true" }, `✋ ${place}`), el("span", { class: "visually-hidden" }, fill(this.t.handTag, { n: place })));
    }
  }
}
