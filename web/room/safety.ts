// Safety in the room (src/rooms/safety.ts): the member's "I need help now" and its quiet
// confirmation, and the facilitators' alert banners, which stay until one of them acknowledges.
// Everything a banner shows is set with textContent: names and places never become markup.
import type { ClientMessage, ServerMessage } from "../../src/rooms/protocol.ts";
import type { GuestLabel, SafetyAlertView } from "../../src/rooms/safety-protocol.ts";
import { alertStrings } from "../../src/safety/alert-strings.ts";
import { guestStrings } from "../../src/safety/guest-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { audioContext, wakeAudio } from "./audio.ts";
import { el, maybeId, pageLocale } from "./dom.ts";

type SafetyMessage = Extract<ServerMessage, { type: "safety-alert" | "safety-cleared" | "help-sent" | "guest-labels" }>;

/**
 * An alarm made with WebAudio (no sound file): three falling two-note calls, louder than the
 * knock chime because it must be heard. Returns the context's state, kept on the banner.
 */
function alarm(): string {
  const ctx = audioContext();
  if (!ctx) return "none";
  wakeAudio();
  const start = ctx.currentTime + 0.02;
  for (let i = 0; i < 6; i++) {
    const t0 = start + i * 0.22;
    const osc = ctx.createOscillator();
    osc.type = "triangle";
    osc.frequency.value = i % 2 === 0 ? 880 : 660;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + 0.21);
  }
  return ctx.state;
}

export class RoomSafety {
  readonly #s = alertStrings(pageLocale());
  readonly #g = guestStrings(pageLocale());
  /** Room member id to the words on their tile: "Interpreter for Ana". */
  #labels = new Map<number, string>();

  /** Safety messages are handled as they arrive, not queued behind an offer being applied. */
  static takes(msg: ServerMessage): msg is SafetyMessage {
    return msg.type === "safety-alert" || msg.type === "safety-cleared" || msg.type === "help-sent" || msg.type === "guest-labels";
  }

  constructor(
    private readonly send: (msg: ClientMessage) => void,
    private readonly announce: (text: string) => void,
  ) {
    maybeId("btn-help")?.addEventListener("click", () => this.send({ type: "help" }));
    // Tiles and the people list are redrawn by their own code: labels are put back after each change.
    for (const id of ["tiles", "people-list"]) {
      const list = maybeId(id);
      if (list) new MutationObserver(() => this.#applyLabels()).observe(list, { childList: true, subtree: true });
    }
    maybeId("safety-alerts")?.addEventListener("click", (e) => {
      const button = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-ack]");
      if (button) this.send({ type: "safety-ack", alertId: Number(button.dataset.ack) });
    });
  }

  handle(msg: SafetyMessage): void {
    switch (msg.type) {
      case "help-sent": {
        const box = maybeId("help-sent");
        if (!box) return;
        box.hidden = false;
        box.focus();
        this.announce(this.#s.helpSentTitle);
        return;
      }
      case "safety-alert":
        return this.#banner(msg.alert);
      case "guest-labels":
        this.#labels = new Map(msg.labels.map((l) => [l.memberId, this.#labelText(l)]));
        return this.#applyLabels();
      case "safety-cleared": {
        const banner = maybeId(`safety-alert-${msg.alertId}`);
        if (!banner) return;
        const name = banner.dataset.name ?? "";
        banner.remove();
        this.announce(fill(this.#s.cleared, { name, by: msg.by }));
        return;
      }
    }
  }

  #labelText(l: GuestLabel): string {
    const g = this.#g;
    if (l.part === "interpreter") return l.forName ? fill(g.labelInterpreterFor, { name: l.forName }) : g.labelInterpreter;
    return l.part === "family" ? g.labelFamily : g.labelSupport;
  }

  /** Each guest's tile and people-list entry carries their role in words (a real element, read by screen readers). */
  #applyLabels(): void {
    for (const li of document.querySelectorAll<HTMLElement>("#tiles li[data-member], #people-list li[data-member]")) {
      const text = this.#labels.get(Number(li.dataset.member)) ?? null;
      const current = li.querySelector<HTMLElement>(".guest-label");
      if (current && current.textContent === text) continue;
      current?.remove();
      if (!text) continue;
      const anchor = li.querySelector(".tile-label, .person-name");
      const label = el("span", { class: "guest-label" }, text);
      if (anchor?.classList.contains("person-name")) anchor.after(label);
      else (anchor ?? li).append(label);
    }
  }

  #banner(a: SafetyAlertView): void {
    const list = maybeId("safety-alerts");
    if (!list || maybeId(`safety-alert-${a.id}`)) return;
    const s = this.#s;
    const title = fill(a.kind === "button" ? s.alertButton : a.kind === "code-word" ? s.alertCodeWord : s.alertWords, { name: a.name });
    const box = el("div", { id: `safety-alert-${a.id}`, class: "safety-alert", role: "alert", "aria-labelledby": `safety-alert-${a.id}-title`, "data-name": a.name });
    box.append(el("h2", { id: `safety-alert-${a.id}-title` }, title));
    const facts = el("dl", { class: "facts" });
    const fact = (label: string, value: string, href?: string) => {
      const dd = el("dd");
      if (value && href) dd.append(el("a", { href }, value));
      else dd.textContent = value || s.notGiven;
      facts.append(el("dt", {}, label), dd);
    };
    fact(s.where, a.location);
    const digits = a.phone.replace(/[^0-9+]/g, "");
    fact(s.phone, a.phone, digits ? `tel:${digits}` : undefined);
    fact(s.emergencyContact, a.emergencyContact);
    box.append(facts);
    if (a.fromProfile) box.append(el("p", { class: "hint" }, s.fromProfile));
    const time = new Intl.DateTimeFormat(document.documentElement.lang || "en", { timeStyle: "short" }).format(a.raisedAt);
    box.append(el("p", { class: "hint" }, fill(s.raisedAt, { time })));
    box.append(el("button", { type: "button", class: "danger", "data-ack": String(a.id), "aria-label": fill(s.acknowledgeLabel, { name: a.name }) }, s.acknowledge));
    list.prepend(box);
    box.dataset.sound = alarm();
    this.announce(title);
  }
}
