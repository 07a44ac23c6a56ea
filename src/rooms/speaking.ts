/**
 * Who is speaking, from the RTP audio-level header extension (RFC 6464): each packet carries
 * the sender's level in -dBov, 0 (loudest) to 127 (silence). Per packet only two counters move;
 * the room reads them a few times a second.
 */

/** Louder than -40 dBov counts as voice; ordinary room noise sits near -60. */
const LOUD = 40;
/** Share of loud packets in a window that makes a window "speaking". */
const SHARE = 0.3;

export class SpeakingDetector {
  #packets = 0;
  #loud = 0;
  #quietWindows = 0;
  speaking = false;

  note(level: number): void {
    this.#packets++;
    if (level <= LOUD) this.#loud++;
  }

  /** Closes one window; returns true when `speaking` changed. Starts at once, stops after two quiet windows. */
  tick(): boolean {
    const loud = this.#packets > 0 && this.#loud / this.#packets >= SHARE;
    this.#packets = 0;
    this.#loud = 0;
    const was = this.speaking;
    if (loud) {
      this.#quietWindows = 0;
      this.speaking = true;
    } else if (++this.#quietWindows >= 2) {
      this.speaking = false;
    }
    return was !== this.speaking;
  }

  reset(): void {
    this.#packets = 0;
    this.#loud = 0;
    this.speaking = false;
  }
}
