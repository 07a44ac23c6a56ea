// The clinician's view of the box's room for video (src/rooms/admission.ts): the level in words
// first, then the share free and how many more could join with video. The meter repeats the
// share for those who glance; the words carry the meaning, never its colour alone.
import type { HeadroomView } from "../../src/rooms/protocol.ts";
import type { sessionPageStrings } from "../../src/rooms/page-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { byId } from "./dom.ts";

type S = ReturnType<typeof sessionPageStrings>;

/** The server counts joins up to this many; at it, "many". */
const MANY_JOINS = 64;

export class HeadroomPanel {
  readonly #panel = byId("headroom-panel");
  readonly #meter = byId<HTMLMeterElement>("headroom-meter");
  readonly #text = byId("headroom-text");
  #level: HeadroomView["level"] | null = null;

  constructor(private readonly s: S) {}

  /** Shows the latest headroom; returns what to announce when the level crossed into or out of full. */
  render(view: HeadroomView): string | null {
    this.#panel.hidden = false;
    this.#meter.value = view.percentFree;
    this.#text.dataset.level = view.level;
    this.#text.textContent = describeHeadroom(this.s, view);
    const before = this.#level;
    this.#level = view.level;
    if (before === null || before === view.level) return null;
    if (view.level === "full") return this.s.headroomNowFull;
    return before === "full" ? this.s.headroomNowFree : null;
  }
}

export function describeHeadroom(s: S, view: HeadroomView): string {
  if (view.level === "full") return s.headroomFull;
  const level = fill(view.level === "ample" ? s.headroomAmple : s.headroomLimited, { percent: view.percentFree });
  const n = view.videoJoinsLeft;
  if (n === undefined || n <= 0) return level;
  const joins = n >= MANY_JOINS ? s.headroomJoinsMany : n === 1 ? s.headroomJoinsOne : fill(s.headroomJoins, { n });
  return `${level} ${joins}`;
}
