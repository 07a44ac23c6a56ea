// The facilitator's vitals tile (src/vitals/room-tile.ts is the server's side): the latest readings
// of a patient, on that patient's video tile. Only facilitators are ever sent these messages.
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import { el } from "./dom.ts";

type VitalsMessage = Extract<ServerMessage, { type: "vitals" }>;

export class VitalsTiles {
  readonly #latest = new Map<number, VitalsMessage>();

  handle(msg: VitalsMessage): void {
    this.#latest.set(msg.memberId, msg);
    this.render();
  }

  /** Called whenever the room re-renders its tiles. */
  render(): void {
    for (const tile of document.querySelectorAll<HTMLElement>("#tiles .tile[data-member]")) {
      const msg = this.#latest.get(Number(tile.dataset.member));
      let box = tile.querySelector<HTMLElement>(".tile-vitals");
      if (!msg || msg.latest.length === 0) {
        box?.remove();
        continue;
      }
      if (!box) {
        box = el("div", { class: "tile-vitals" });
        tile.append(box);
      }
      const list = el("ul", { "aria-label": msg.heading });
      for (const l of msg.latest) list.append(el("li", { "data-loinc": l.loinc }, `${l.label} ${l.value}`));
      box.replaceChildren(list);
    }
  }
}
