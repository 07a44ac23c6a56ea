/**
 * Just enough of the VP8 RTP payload format (RFC 7741) for a forwarding unit: is this packet the
 * start of a keyframe, and if so, what size is the picture. Reads bytes in place; no allocation.
 */

/** Offset of the VP8 payload header after the payload descriptor, or -1 if this packet does not start a partition 0. */
function payloadStart(p: Uint8Array): number {
  if (p.length < 1) return -1;
  const b0 = p[0]!;
  const start = (b0 & 0x10) !== 0; // S: start of a VP8 partition
  const partition = b0 & 0x07; // PID
  if (!start || partition !== 0) return -1;
  let i = 1;
  if (b0 & 0x80) {
    // X: extension byte with I, L, T, K flags
    if (p.length < 2) return -1;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) i += p.length > i && p[i]! & 0x80 ? 2 : 1; // I: picture id, 7 or 15 bits
    if (x & 0x40) i += 1; // L: TL0PICIDX
    if (x & 0x30) i += 1; // T or K: TID/Y/KEYIDX
  }
  return i < p.length ? i : -1;
}

/** True when this RTP payload begins a VP8 keyframe. */
export function isVp8Keyframe(payload: Uint8Array): boolean {
  const i = payloadStart(payload);
  // P bit (inverse keyframe flag) is the lowest bit of the first payload header byte.
  return i >= 0 && (payload[i]! & 0x01) === 0;
}

/**
 * Width of the picture a VP8 keyframe carries (its 14-bit size field), or 0 if this packet does
 * not start a keyframe. Height is the same read two bytes on; the SFU only needs one dimension.
 */
export function vp8KeyframeWidth(payload: Uint8Array): number {
  const i = payloadStart(payload);
  if (i < 0 || (payload[i]! & 0x01) !== 0 || payload.length < i + 10) return 0;
  // 3-byte frame tag, then the keyframe start code 9d 01 2a, then width and height.
  if (payload[i + 3] !== 0x9d || payload[i + 4] !== 0x01 || payload[i + 5] !== 0x2a) return 0;
  return (payload[i + 6]! | (payload[i + 7]! << 8)) & 0x3fff;
}

export function vp8KeyframeHeight(payload: Uint8Array): number {
  const i = payloadStart(payload);
  if (i < 0 || (payload[i]! & 0x01) !== 0 || payload.length < i + 10) return 0;
  if (payload[i + 3] !== 0x9d || payload[i + 4] !== 0x01 || payload[i + 5] !== 0x2a) return 0;
  return (payload[i + 8]! | (payload[i + 9]! << 8)) & 0x3fff;
}
