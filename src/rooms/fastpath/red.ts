/**
 * RFC 2198 redundant audio ("audio/red"), as Chromium sends it for Opus when the SFU offers it
 * first: each packet carries the previous frame(s) again, so a subscriber whose browser
 * negotiated RED recovers a lost packet from the next one. A subscriber without RED (and the
 * recorder) gets only the primary block, which is a plain Opus payload.
 *
 *   redundant block header: |1| block PT (7) | timestamp offset (14) | block length (10) |
 *   primary block header:   |0| block PT (7) |
 *   then the redundant blocks' data in order, then the primary block's data.
 */

/** Redundant blocks accepted before the primary header (Chromium 156 sends one); a longer chain is refused. */
const MAX_REDUNDANT = 8;

/**
 * Where the primary block of the RED payload b[from, to) starts (its data runs to `to`), or -1
 * if the payload is malformed (truncated headers, block lengths past the end, an empty primary
 * block) or its primary block is not of payload type `primaryType` (-1: any).
 */
export function redPrimaryStart(b: Uint8Array, from: number, to: number, primaryType: number): number {
  let p = from;
  let redundant = 0;
  for (let blocks = 0; ; blocks++) {
    if (p >= to || blocks > MAX_REDUNDANT) return -1;
    if ((b[p]! & 0x80) === 0) break;
    if (p + 4 > to) return -1;
    redundant += ((b[p + 2]! & 0x03) << 8) | b[p + 3]!;
    p += 4;
  }
  if (primaryType >= 0 && b[p]! !== primaryType) return -1;
  const start = p + 1 + redundant;
  return start < to ? start : -1;
}
