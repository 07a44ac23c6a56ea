// The lists beside the video: who is here (with the clinician's actions on each member) and,
// for the clinician, who is waiting to come in. Rows are kept and updated in place, so a
// keyboard user's focus stays where it was while the room changes around it.
import type { ClientMessage, MemberView } from "../../src/rooms/protocol.ts";
import { fill, plural } from "../../src/ui/i18n.ts";
import type { sessionPageStrings } from "../../src/rooms/page-strings.ts";
import { byId, el, maybeId, pageLocale } from "./dom.ts";

type S = ReturnType<typeof sessionPageStrings>;
type Send = (msg: ClientMessage) => void;

interface Row {
  li: HTMLLIElement;
  name: HTMLSpanElement;
  state: HTMLSpanElement;
  actions: HTMLDivElement | null;
}

/** Removes rows no longer wanted; if one held the focus, it goes to `fallback`. */
function prune<T extends { li: HTMLLIElement }>(rows: Map<number, T>, keep: Set<number>, fallback: () => HTMLElement | null): void {
  let lostFocus = false;
  for (const [id, row] of rows) {
    if (keep.has(id)) continue;
    if (row.li.contains(document.activeElement)) lostFocus = true;
    row.li.remove();
    rows.delete(id);
  }
  if (lostFocus) fallback()?.focus();
}

export class PeopleList {
  readonly #list = byId<HTMLUListElement>("people-list");
  readonly #rows = new Map<number, Row>();

  constructor(
    private readonly s: S,
    private readonly clinician: boolean,
    private readonly send: Send,
  ) {}

  render(selfId: number, all: MemberView[], speaking: ReadonlySet<number>): void {
    // Oneself first, as in the grid.
    const members = [...all.filter((m) => m.id === selfId), ...all.filter((m) => m.id !== selfId)];
    prune(this.#rows, new Set(members.map((m) => m.id)), () => byId("people-title"));
    members.forEach((m, i) => {
      const row = this.#rows.get(m.id) ?? this.#newRow(m, m.id !== selfId && m.role === "member");
      if (this.#list.children[i] !== row.li) this.#list.insertBefore(row.li, this.#list.children[i] ?? null);
      row.name.textContent = m.id === selfId ? fill(this.s.youNamed, { name: m.name }) : m.name;
      const tags = [
        m.role === "clinician" ? this.s.clinician : "",
        m.state === "away" ? this.s.away : "",
        !m.mic ? this.s.muted : "",
        m.audioOnly ? this.s.audioOnlyTag : !m.camera ? this.s.cameraIsOff : "",
        m.sharing ? this.s.sharingTag : "",
        speaking.has(m.id) ? this.s.speaking : "",
      ].filter(Boolean);
      row.state.textContent = tags.join(", ");
      row.li.classList.toggle("speaking", speaking.has(m.id));
      const mute = row.actions?.querySelector<HTMLButtonElement>("[data-action=mute]");
      if (mute) mute.disabled = !m.mic || m.state !== "admitted";
      if (row.actions) this.#label(row.actions, m.name);
    });
  }

  #newRow(m: MemberView, actionable: boolean): Row {
    const li = el("li", { "data-member": String(m.id) });
    const name = el("span", { class: "person-name" });
    const state = el("span", { class: "person-state" });
    li.append(name, state);
    let actions: HTMLDivElement | null = null;
    if (this.clinician && actionable) {
      actions = el("div", { class: "person-actions" });
      actions.append(
        this.#button("mute", this.s.muteShort, () => this.send({ type: "mute", memberId: m.id })),
        this.#button("to-waiting", this.s.toWaitingShort, () => this.send({ type: "to-waiting", memberId: m.id })),
        this.#button("remove", this.s.removeShort, () => this.#confirmRemove(li, m), "danger"),
      );
      li.append(actions);
    }
    const row = { li, name, state, actions };
    this.#rows.set(m.id, row);
    return row;
  }

  #button(action: string, text: string, onClick: () => void, kind = "secondary"): HTMLButtonElement {
    const b = el("button", { type: "button", class: kind, "data-action": action }, text);
    b.addEventListener("click", onClick);
    return b;
  }

  /** Accessible names carry the member's name; each starts with the visible text. */
  #label(actions: HTMLElement, name: string): void {
    const names: Record<string, string> = {
      mute: fill(this.s.muteName, { name }),
      "to-waiting": fill(this.s.toWaitingName, { name }),
      remove: fill(this.s.removeName, { name }),
    };
    for (const b of actions.querySelectorAll<HTMLButtonElement>("button[data-action]")) {
      const label = names[b.dataset.action ?? ""];
      if (label && b.getAttribute("aria-label") !== label) b.setAttribute("aria-label", label);
    }
  }

  /** Removing is for good: it asks once more, in place, before sending. */
  #confirmRemove(li: HTMLLIElement, m: MemberView): void {
    if (li.querySelector(".confirm")) return;
    const box = el("div", { class: "confirm" });
    const text = el("p", { id: `remove-confirm-${m.id}` }, fill(this.s.removeConfirm, { name: m.name }));
    const yes = el("button", { type: "button", class: "danger", "aria-describedby": text.id }, this.s.removeNow);
    const no = el("button", { type: "button", class: "secondary" }, this.s.cancel);
    const actions = el("div", { class: "actions" });
    actions.append(yes, no);
    box.append(text, actions);
    li.append(box);
    yes.addEventListener("click", () => {
      this.send({ type: "remove", memberId: m.id });
      box.remove();
    });
    no.addEventListener("click", () => {
      box.remove();
      li.querySelector<HTMLButtonElement>("[data-action=remove]")?.focus();
    });
    yes.focus();
  }
}

export class WaitingList {
  readonly #list = byId<HTMLUListElement>("waiting-list");
  readonly #nobody = byId("nobody-waiting");
  readonly #admitAll = byId<HTMLButtonElement>("admit-all");
  readonly #badge = byId("knock-badge");
  readonly #alert = maybeId<HTMLAnchorElement>("knock-alert");
  readonly #rows = new Map<number, { li: HTMLLIElement }>();

  constructor(
    private readonly s: S,
    private readonly send: Send,
  ) {
    this.#admitAll.addEventListener("click", () => this.send({ type: "admit-all" }));
    const title = byId("waiting-list-title");
    title.tabIndex = -1;
  }

  /** Shows the queue; returns the people who were not in it before (new knocks). */
  render(waiting: { id: number; name: string }[]): { id: number; name: string }[] {
    const fresh = waiting.filter((w) => !this.#rows.has(w.id));
    prune(this.#rows, new Set(waiting.map((w) => w.id)), () => this.#list.querySelector("button") ?? byId("waiting-list-title"));
    for (const w of waiting) {
      if (this.#rows.has(w.id)) continue;
      const li = el("li", { "data-member": String(w.id) });
      const actions = el("div", { class: "person-actions" });
      const admit = el("button", { type: "button", "aria-label": fill(this.s.admitName, { name: w.name }) }, this.s.admit);
      const decline = el("button", { type: "button", class: "secondary", "aria-label": fill(this.s.declineName, { name: w.name }) }, this.s.decline);
      admit.addEventListener("click", () => this.send({ type: "admit", memberId: w.id }));
      decline.addEventListener("click", () => this.send({ type: "decline", memberId: w.id }));
      actions.append(admit, decline);
      li.append(el("span", { class: "person-name" }, w.name), actions);
      this.#list.append(li);
      this.#rows.set(w.id, { li });
    }
    const n = waiting.length;
    this.#nobody.hidden = n > 0;
    this.#admitAll.hidden = n < 2;
    this.#badge.hidden = n === 0;
    this.#badge.textContent = String(n);
    if (this.#alert) {
      this.#alert.hidden = n === 0;
      this.#alert.textContent = plural(pageLocale(), this.s, "waitingCount", n);
      if (fresh.length) {
        // Restart the soft pulse for each new knock.
        this.#alert.classList.remove("fresh");
        void this.#alert.offsetWidth;
        this.#alert.classList.add("fresh");
      }
    }
    return fresh;
  }
}
