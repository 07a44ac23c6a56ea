// Breakout rooms (src/rooms/breakouts.ts is the server's side). Everyone: where they are, the
// time left, the one-minute warning and a facilitator's message to all rooms. Facilitators: the
// panel that splits the group (at random or a room per member), visits a room, sends a message
// and brings everyone back. The grid shows only one's own room (app.ts asks `together`).
import type { ClientMessage, MemberView, ServerMessage } from "../../src/rooms/protocol.ts";
import type { breakoutStrings } from "../../src/rooms/breakouts-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { byId, el, maybeId } from "./dom.ts";

type T = ReturnType<typeof breakoutStrings>;
type Msg = Extract<ServerMessage, { type: "breakouts" | "breakout-warning" | "breakout-message" }>;
/** How long "Moving you to Room 2" shows before it says where one is. */
const MOVING_MS = 3000;

export class BreakoutsPanel {
  open = false;
  rooms = 0;
  /** This page's own place: 0 is the main room. */
  place = 0;
  readonly #where = new Map<number, number>();
  #deadline: number | null = null;
  #movingUntil = 0;
  readonly #bar = byId("breakout-bar");
  readonly #whereText = byId("breakout-where");
  readonly #time = byId("breakout-time");
  readonly #warning = byId("breakout-warning");
  readonly #banner = byId("breakout-banner");
  readonly #form = maybeId<HTMLFormElement>("breakout-form");
  readonly #live = maybeId("breakout-live");
  readonly #error = maybeId("breakout-error");
  readonly #choices = maybeId<HTMLUListElement>("breakout-choices");
  /** What the facilitator's lists were last built from: rebuilt only when it changes (an open select stays open). */
  #built = "";

  constructor(
    private readonly t: T,
    private readonly clinician: boolean,
    private readonly send: (msg: ClientMessage) => void,
    private readonly room: () => { selfId: number; members: MemberView[] },
    private readonly announce: (text: string) => void,
  ) {
    window.setInterval(() => this.#tick(), 1000);
    byId("breakout-banner-dismiss").addEventListener("click", () => {
      this.#banner.hidden = true;
      byId("room-title").focus();
    });
    if (!this.clinician || !this.#form) return;
    this.#form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    });
    for (const id of ["breakout-random", "breakout-by-hand", "breakout-rooms"]) byId(id).addEventListener("change", () => this.render());
    byId("breakout-back").addEventListener("click", () => this.send({ type: "breakout-visit", room: 0 }));
    byId("breakout-close").addEventListener("click", () => this.send({ type: "breakout-close" }));
    byId<HTMLFormElement>("breakout-message-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = byId<HTMLInputElement>("breakout-message");
      if (!input.value.trim()) return this.error(this.t["breakout-message"]);
      this.send({ type: "breakout-broadcast", text: input.value });
      input.value = "";
      this.announce(this.t.sent);
    });
  }

  /** Is this member in the same place as this page (so their tile is shown)? */
  together(memberId: number): boolean {
    return (this.#where.get(memberId) ?? 0) === this.place;
  }

  handle(msg: Msg): void {
    if (msg.type === "breakout-warning") {
      this.#warning.textContent = this.t.warning;
      this.#warning.hidden = false;
      this.#deadline = Date.now() + msg.secondsLeft * 1000;
      return;
    }
    if (msg.type === "breakout-message") {
      const from = this.room().members.find((m) => m.id === msg.from)?.name ?? this.t.facilitator;
      byId("breakout-banner-from").textContent = fill(this.t.from, { name: from });
      byId("breakout-banner-text").textContent = msg.text;
      this.#banner.hidden = false;
      return;
    }
    const moved = msg.place !== this.place;
    const wasOpen = this.open;
    this.open = msg.open;
    this.rooms = msg.rooms;
    this.place = msg.place;
    this.#where.clear();
    for (const a of msg.assignments) this.#where.set(a.memberId, a.room);
    this.#deadline = msg.secondsLeft === null ? null : Date.now() + msg.secondsLeft * 1000;
    if (!msg.open) this.#warning.hidden = true;
    if (moved) {
      const text = msg.place ? fill(this.t.movingTo, { n: msg.place }) : this.t.movingBack;
      this.#movingUntil = Date.now() + MOVING_MS;
      this.#whereText.textContent = text;
    } else if (wasOpen && !msg.open) this.announce(this.t.allBack);
    if (this.#error) this.#error.hidden = true;
    this.render();
  }

  error(message: string): void {
    if (!this.#error) return this.announce(message);
    this.#error.textContent = message;
    this.#error.hidden = false;
  }

  /** A page sent back to the waiting room is nowhere until it is admitted again. */
  reset(): void {
    this.open = false;
    this.place = 0;
    this.#where.clear();
    this.#deadline = null;
    this.#warning.hidden = true;
    this.#banner.hidden = true;
    this.render();
  }

  render(): void {
    const showBar = this.place !== 0 || Date.now() < this.#movingUntil || this.open;
    this.#bar.hidden = !showBar;
    if (Date.now() >= this.#movingUntil) this.#whereText.textContent = this.place ? fill(this.t.youAreIn, { n: this.place }) : this.open ? this.t.mainRoom : "";
    this.#tick();
    this.#tagPeople();
    if (!this.clinician || !this.#form || !this.#live) return;
    this.#form.hidden = this.open;
    this.#live.hidden = !this.open;
    const byHand = byId<HTMLInputElement>("breakout-by-hand").checked;
    const key = JSON.stringify([this.open, this.rooms, this.place, byHand, byId<HTMLSelectElement>("breakout-rooms").value, [...this.#where], this.#members().map((m) => [m.id, m.name])]);
    if (key === this.#built) return;
    this.#built = key;
    const list = this.open ? byId("breakout-list") : this.#choices!;
    const focused = document.activeElement instanceof HTMLElement && list.contains(document.activeElement) ? document.activeElement.id : "";
    if (this.open) this.#renderLive();
    else this.#renderChoices(byHand);
    if (focused) maybeId(focused)?.focus();
  }

  #tick(): void {
    if (this.#movingUntil && Date.now() >= this.#movingUntil) {
      this.#movingUntil = 0;
      this.render();
      return;
    }
    if (this.#deadline === null || !this.open) {
      this.#time.textContent = "";
      return;
    }
    const left = Math.max(0, Math.round((this.#deadline - Date.now()) / 1000));
    this.#time.textContent = fill(this.t.timeLeft, { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` });
  }

  #members(): MemberView[] {
    return this.room().members.filter((m) => m.role === "member" && m.state === "admitted");
  }

  /** The people list says who is in which room (its rows are people.ts's; this adds one mark). */
  #tagPeople(): void {
    for (const li of document.querySelectorAll<HTMLElement>("#people-list li[data-member]")) {
      const room = this.#where.get(Number(li.dataset.member)) ?? 0;
      let mark = li.querySelector<HTMLElement>(".person-place");
      if (!this.open) {
        mark?.remove();
        continue;
      }
      if (!mark) {
        mark = el("span", { class: "person-place" });
        li.querySelector(".person-state")?.after(mark);
      }
      mark.textContent = room ? fill(this.t.whereTag, { n: room }) : this.t.whereMain;
    }
  }

  /** By hand: a room for each admitted member; the choices already made are kept. */
  #renderChoices(byHand: boolean): void {
    const list = this.#choices!;
    list.hidden = !byHand;
    if (!byHand) return;
    const rooms = Number(byId<HTMLSelectElement>("breakout-rooms").value);
    const kept = new Map([...list.querySelectorAll<HTMLSelectElement>("select")].map((s) => [Number(s.dataset.member), s.value]));
    list.replaceChildren(
      ...this.#members().map((m, i) => {
        const id = `breakout-for-${m.id}`;
        const select = el("select", { id, "data-member": String(m.id) });
        for (let r = 1; r <= rooms; r++) select.append(el("option", { value: String(r) }, fill(this.t.roomN, { n: r })));
        const chosen = kept.get(m.id);
        select.value = chosen && Number(chosen) <= rooms ? chosen : String((i % rooms) + 1);
        const li = el("li", { class: "field" });
        li.append(el("label", { for: id }, fill(this.t.roomFor, { name: m.name })), select);
        return li;
      }),
    );
  }

  #submit(): void {
    const rooms = Number(byId<HTMLSelectElement>("breakout-rooms").value);
    const minutesText = byId<HTMLInputElement>("breakout-minutes").value.trim();
    const minutes = minutesText ? Number(minutesText) : undefined;
    if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= 120)) {
      byId("breakout-minutes").focus();
      return this.error(this.t["breakout-minutes"]);
    }
    const byHand = byId<HTMLInputElement>("breakout-by-hand").checked;
    const assignments = byHand
      ? [...this.#choices!.querySelectorAll<HTMLSelectElement>("select")].map((s) => ({ memberId: Number(s.dataset.member), room: Number(s.value) }))
      : undefined;
    this.send({ type: "breakout-open", rooms, ...(minutes ? { minutes } : {}), ...(assignments ? { assignments } : {}) });
  }

  /** While open: each room with its people (a room per member, to move them) and a visit button. */
  #renderLive(): void {
    const list = byId<HTMLUListElement>("breakout-list");
    const members = this.#members();
    const items: HTMLLIElement[] = [];
    for (let r = 1; r <= this.rooms; r++) {
      const li = el("li", { class: "breakout-room" });
      const heading = el("h3", {}, fill(this.t.roomN, { n: r }));
      li.append(heading);
      const people = el("ul");
      for (const m of members.filter((x) => (this.#where.get(x.id) ?? 0) === r)) people.append(this.#mover(m));
      li.append(people);
      if (this.place !== r) {
        const visit = el("button", { type: "button", class: "secondary", id: `breakout-visit-${r}`, "aria-label": fill(this.t.visitLabel, { n: r }) }, this.t.visit);
        visit.addEventListener("click", () => this.send({ type: "breakout-visit", room: r }));
        li.append(visit);
      }
      items.push(li);
    }
    const main = members.filter((x) => !this.#where.get(x.id));
    if (main.length) {
      const li = el("li", { class: "breakout-room" });
      const people = el("ul");
      for (const m of main) people.append(this.#mover(m));
      li.append(el("h3", {}, this.t.mainRoom), people);
      items.push(li);
    }
    list.replaceChildren(...items);
    byId("breakout-back").hidden = this.place === 0;
  }

  /** A member's name and the room they are in, changeable. */
  #mover(m: MemberView): HTMLLIElement {
    const id = `breakout-move-${m.id}`;
    const select = el("select", { id });
    select.append(el("option", { value: "0" }, this.t.mainRoom));
    for (let r = 1; r <= this.rooms; r++) select.append(el("option", { value: String(r) }, fill(this.t.roomN, { n: r })));
    select.value = String(this.#where.get(m.id) ?? 0);
    select.addEventListener("change", () => this.send({ type: "breakout-assign", memberId: m.id, room: Number(select.value) }));
    const li = el("li", { class: "field" });
    li.append(el("label", { for: id }, fill(this.t.roomFor, { name: m.name })), select);
    return li;
  }
}
