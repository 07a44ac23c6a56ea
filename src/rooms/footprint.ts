/**
 * Gives memory back once a burst of negotiation is over. Joins, leaves and new streams make every
 * peer of a room renegotiate at once: werift's SDP, ICE and DTLS code gets compiled and its garbage
 * spreads over the JS heap, and JavaScriptCore keeps both long after (the per-packet path uses
 * neither). Measured at 3 rooms x 12 members: 4,000 compiled functions, 12 MB of bytecode and JIT
 * data and 7 MB of JIT code stayed after the media started, and heap fragmentation left the
 * process anywhere from 186 to 215 MB; Bun.shrink() (JavaScriptCore's shrinkFootprintWhenIdle:
 * drop compiled code, full collection, return free malloc pages) brought it to 175-177 MB within
 * a second, with no change in CPU per packet or latency (the hot path is compiled again at once).
 *
 * Bun.shrink() is marked deprecated in Bun's types, without a replacement; it is still there in
 * Bun 1.4. Where it is missing, this does nothing.
 */

export interface TrimOptions {
  /** How long negotiation must have been quiet before trimming. */
  quietMs: number;
  /** Least time between two trims, however busy negotiation is. */
  minIntervalMs: number;
  trim: () => void;
}

export class FootprintTrimmer {
  /** Trims done so far (for tests and stats). */
  trims = 0;
  readonly #options: TrimOptions;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastTrim = -Infinity;

  constructor(options: TrimOptions) {
    this.#options = options;
  }

  /** A negotiation finished: trim once things have been quiet for a while. */
  note(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    const { quietMs, minIntervalMs } = this.#options;
    const wait = Math.max(quietMs, this.#lastTrim + minIntervalMs - performance.now());
    this.#timer = setTimeout(() => this.#trim(), wait);
    this.#timer.unref?.();
  }

  #trim(): void {
    this.#timer = null;
    this.#lastTrim = performance.now();
    this.trims++;
    this.#options.trim();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

const shrink = (Bun as unknown as { shrink?: () => void }).shrink;

/** The process's trimmer: 5 s after the last negotiation, at most every 30 s. */
export const footprint = new FootprintTrimmer({ quietMs: 5_000, minIntervalMs: 30_000, trim: () => shrink?.call(Bun) });
