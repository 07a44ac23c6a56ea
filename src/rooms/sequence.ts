/**
 * Closes the sequence-number gaps left by packets the SFU drops. Without RTX negotiated, Chromium
 * probes its uplink with padding-only packets on the media stream itself, as many as media
 * packets while it ramps up. They carry nothing to forward, but dropping them as they are would
 * leave holes in every subscriber's sequence: counted as loss, NACKed in vain, and the loss
 * would pull the subscriber's layer choice down. So each dropped number is remembered and later
 * packets are renumbered down past it; a packet that arrives late (a retransmission) is
 * renumbered by the drops that came before it. Fixed memory, no allocation per packet.
 */

/** Recent drops remembered; a late packet older than all of them is not forwarded. */
const WINDOW = 512;

export class SequenceGaps {
  /** Highest extended (32-bit, wrap-counted) sequence number seen; -1 before the first. */
  #max = -1;
  #dropped = 0;
  /** The last WINDOW dropped extended numbers, ascending, as a ring. */
  readonly #ring = new Float64Array(WINDOW);
  #ringNext = 0;

  #extend(seq: number): number {
    if (this.#max < 0) return seq + 0x10000; // room below for packets reordered before the first
    const delta = ((seq - (this.#max & 0xffff) + 0x8000) & 0xffff) - 0x8000;
    return this.#max + delta;
  }

  /**
   * The number to forward this packet with, or -1 to drop it: padding-only packets (`empty`),
   * and late packets too old to place.
   */
  map(seq: number, empty: boolean): number {
    const ext = this.#extend(seq);
    if (ext > this.#max) {
      this.#max = ext;
      if (empty) {
        this.#ring[this.#ringNext] = ext;
        this.#ringNext = (this.#ringNext + 1) % WINDOW;
        this.#dropped++;
        return -1;
      }
      return (ext - this.#dropped) & 0xffff;
    }
    // Late: a late padding packet is simply ignored (at worst one hole); a late media packet
    // shifts by the drops before it.
    if (empty) return -1;
    let after = 0;
    const remembered = Math.min(this.#dropped, WINDOW);
    for (let k = 1; k <= remembered; k++) {
      const dropped = this.#ring[(this.#ringNext - k + WINDOW) % WINDOW]!;
      if (dropped < ext) return (ext - (this.#dropped - after)) & 0xffff;
      if (dropped === ext) return -1;
      after++;
    }
    return remembered === this.#dropped ? (ext - (this.#dropped - after)) & 0xffff : -1;
  }
}
