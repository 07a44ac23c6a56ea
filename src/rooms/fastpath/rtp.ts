import type { RtpPacket } from "werift";

/**
 * RTP header work on raw bytes, for the forwarding fast path: header length, header extension
 * lookup, and the per-consumer rewrite (SSRC, payload type, sequence number, timestamp, the
 * header extensions the subscriber should see) into a preallocated buffer. Nothing here
 * allocates per packet.
 */

/** Buffer.prototype.copy works on any Uint8Array and, unlike set(subarray()), makes no view. */
const copyBytes = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, targetStart: number, sourceStart: number, sourceEnd: number) => number;

export function copy(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): void {
  copyBytes.call(src, dst, at, from, to);
}

const ONE_BYTE_PROFILE = 0xbede;
/** RFC 8285 two-byte form: 0x100 followed by 4 application bits. */
const TWO_BYTE_PROFILE = 0x1000;

/** Length of the RTP header (fixed part, CSRCs, extension block) of b[at, at+length), or -1. */
export function rtpHeaderLength(b: Uint8Array, at: number, length: number): number {
  if (length < 12) return -1;
  const b0 = b[at]!;
  if ((b0 & 0xc0) !== 0x80) return -1;
  let h = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (h + 4 > length) return -1;
    h += 4 + ((b[at + h + 2]! << 8) | b[at + h + 3]!) * 4;
  }
  return h <= length ? h : -1;
}

/**
 * Where extension `id`'s value is in the packet at b[at..] with header length `h`:
 * (absolute offset) * 256 + length, or -1. Reads both RFC 8285 forms.
 */
export function findExtension(b: Uint8Array, at: number, h: number, id: number): number {
  const b0 = b[at]!;
  if (!(b0 & 0x10) || id <= 0) return -1;
  const x = at + 12 + (b0 & 0x0f) * 4;
  const profile = (b[x]! << 8) | b[x + 1]!;
  const end = at + h;
  let p = x + 4;
  if (profile === ONE_BYTE_PROFILE) {
    while (p < end) {
      const byte = b[p]!;
      if (byte === 0) {
        p++;
        continue;
      }
      const eid = byte >> 4;
      if (eid === 15) return -1;
      const len = (byte & 0x0f) + 1;
      if (eid === id) return p + 1 + len <= end ? (p + 1) * 256 + len : -1;
      p += 1 + len;
    }
  } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
    while (p + 1 < end) {
      const eid = b[p]!;
      if (eid === 0) {
        p++;
        continue;
      }
      const len = b[p + 1]!;
      if (eid === id) return p + 2 + len <= end ? (p + 2) * 256 + len : -1;
      p += 2 + len;
    }
  }
  return -1;
}

/** What header extensions a consumer's packets carry. */
export interface ExtensionPlan {
  /** Extension ids copied unchanged from the incoming packet (e.g. audio level); all others are dropped. */
  keep?: readonly number[];
  /** The subscriber's MID for this m-line (the sender's own MID would misroute it). */
  mid?: { id: number; value: string };
  /** abs-send-time, stamped when the packet leaves. */
  absSendTimeId?: number;
}

/** 2^18 units a second, 24 bits: RFC 5450-style abs-send-time, from the NTP epoch. */
const NTP_UNIX_OFFSET_S = 2208988800;
function absSendTime(): number {
  const seconds = (performance.timeOrigin + performance.now()) / 1000 + NTP_UNIX_OFFSET_S;
  return Math.floor(seconds * 262144) & 0xffffff;
}

/** Longest header the rewriter can add to: fixed part, 15 CSRCs, extension header, mid, abs-send-time, padding. */
const MAX_ADDED = 4 + 2 + 16 + 2 + 3 + 3;

/**
 * Rewrites packets for one consumer. The output is the input with this consumer's SSRC and
 * payload type, the given sequence number and timestamp, the marker and CSRCs unchanged, the
 * kept extensions byte for byte, and the payload (with any padding) unchanged, or the part of it
 * the caller names (RED's primary block).
 */
export class RtpRewriter {
  readonly #keep = new Uint8Array(256);
  readonly #midId: number;
  readonly #mid: Uint8Array;
  readonly #absId: number;
  #twoByte = false;

  constructor(
    readonly ssrc: number,
    readonly payloadType: number,
    plan: ExtensionPlan = {},
  ) {
    for (const id of plan.keep ?? []) if (id > 0 && id < 256) this.#keep[id] = 1;
    this.#midId = plan.mid?.id ?? 0;
    this.#mid = new TextEncoder().encode(plan.mid?.value ?? "");
    this.#absId = plan.absSendTimeId ?? 0;
    if (this.#mid.length > 16 || this.#midId > 14 || this.#absId > 14) this.#twoByte = true;
    if (this.#midId && (this.#mid.length === 0 || this.#mid.length > 255)) throw new Error("a MID is 1 to 255 bytes");
  }

  /**
   * Writes the rewritten form of the raw packet src[sat, sat+slen) (header length sh) to
   * out[at..], using at most `room` bytes; returns the new length, or -1 if it does not fit.
   * The payload is src[from, to): all of it (with any padding) unless the caller takes part of it
   * (a RED packet's primary block); the P bit stays only when the copy reaches the packet's end.
   * `payloadType` replaces the consumer's own for this packet (a RED packet sent as RED).
   */
  fromRaw(
    out: Uint8Array,
    at: number,
    room: number,
    src: Uint8Array,
    sat: number,
    slen: number,
    sh: number,
    seq: number,
    ts: number,
    marker: boolean,
    payloadType: number = this.payloadType,
    from: number = sat + sh,
    to: number = sat + slen,
  ): number {
    const b0 = src[sat]!;
    const cc = b0 & 0x0f;
    const payload = to - from;
    if (from < sat + sh || to > sat + slen || payload < 0 || sh + MAX_ADDED + payload > room) return -1;
    let o = at + 12;
    if (cc > 0) {
      copy(src, sat + 12, sat + 12 + cc * 4, out, o);
      o += cc * 4;
    }
    const extStart = o;
    o += 4;
    let twoByte = this.#twoByte;
    if (b0 & 0x10) {
      const x = sat + 12 + cc * 4;
      const profile = (src[x]! << 8) | src[x + 1]!;
      const end = sat + sh;
      let p = x + 4;
      if (profile === ONE_BYTE_PROFILE) {
        while (p < end) {
          const byte = src[p]!;
          if (byte === 0) {
            p++;
            continue;
          }
          const id = byte >> 4;
          if (id === 15) break;
          const len = (byte & 0x0f) + 1;
          if (p + 1 + len > end) break;
          if (this.#keep[id] === 1) o = this.#element(out, o, twoByte, id, src, p + 1, len);
          p += 1 + len;
        }
      } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
        twoByte = true;
        while (p + 1 < end) {
          const id = src[p]!;
          if (id === 0) {
            p++;
            continue;
          }
          const len = src[p + 1]!;
          if (p + 2 + len > end) break;
          if (this.#keep[id] === 1) o = this.#element(out, o, true, id, src, p + 2, len);
          p += 2 + len;
        }
      }
    }
    o = this.#finishExtensions(out, extStart, o, twoByte);
    copy(src, from, to, out, o);
    o += payload;
    // Padding (if any) is part of a payload copied to the end, so the P bit stays as it came.
    const padding = to === sat + slen ? b0 & 0x20 : 0;
    this.#fixedHeader(out, at, padding | cc | (this.#hasExtensions ? 0x10 : 0), marker, seq, ts, payloadType);
    return o - at;
  }

  /**
   * The same from a werift RtpPacket (what werift's receiver hands over today): its payload
   * excludes padding, so the output has none. The payload written is rtp.payload[from, to).
   */
  fromPacket(
    out: Uint8Array,
    at: number,
    room: number,
    rtp: RtpPacket,
    seq: number,
    ts: number,
    payloadType: number = this.payloadType,
    from = 0,
    to: number = rtp.payload.length,
  ): number {
    const header = rtp.header;
    const payload = rtp.payload;
    if (from < 0 || to > payload.length || to < from) return -1;
    const csrc = header.csrc;
    const exts = header.extensions;
    let extBytes = 0;
    for (let i = 0; i < exts.length; i++) extBytes += 2 + exts[i]!.payload.length;
    if (12 + csrc.length * 4 + extBytes + MAX_ADDED + (to - from) > room) return -1;
    let o = at + 12;
    for (let i = 0; i < csrc.length; i++) {
      writeU32(out, o, csrc[i]!);
      o += 4;
    }
    const extStart = o;
    o += 4;
    const twoByte = this.#twoByte || header.extensionProfile === TWO_BYTE_PROFILE;
    for (let i = 0; i < exts.length; i++) {
      const e = exts[i]!;
      if (this.#keep[e.id] === 1 && e.payload.length > 0 && (twoByte || e.payload.length <= 16)) {
        o = this.#element(out, o, twoByte, e.id, e.payload, 0, e.payload.length);
      }
    }
    o = this.#finishExtensions(out, extStart, o, twoByte);
    copy(payload, from, to, out, o);
    o += to - from;
    this.#fixedHeader(out, at, Math.min(csrc.length, 15) | (this.#hasExtensions ? 0x10 : 0), header.marker, seq, ts, payloadType);
    return o - at;
  }

  /** Set by #finishExtensions: whether the packet being written has an extension block. */
  #hasExtensions = false;

  #element(out: Uint8Array, o: number, twoByte: boolean, id: number, src: Uint8Array, from: number, len: number): number {
    if (twoByte) {
      out[o++] = id;
      out[o++] = len;
    } else {
      out[o++] = (id << 4) | (len - 1);
    }
    copy(src, from, from + len, out, o);
    return o + len;
  }

  /** Adds MID and abs-send-time, pads to 32 bits and writes the block's header; returns the end. */
  #finishExtensions(out: Uint8Array, extStart: number, o: number, twoByte: boolean): number {
    if (this.#midId > 0) o = this.#element(out, o, twoByte, this.#midId, this.#mid, 0, this.#mid.length);
    if (this.#absId > 0) {
      const t = absSendTime();
      if (twoByte) {
        out[o++] = this.#absId;
        out[o++] = 3;
      } else {
        out[o++] = (this.#absId << 4) | 2;
      }
      out[o++] = t >>> 16;
      out[o++] = (t >>> 8) & 0xff;
      out[o++] = t & 0xff;
    }
    const body = o - extStart - 4;
    if (body === 0) {
      this.#hasExtensions = false;
      return extStart;
    }
    while ((o - extStart) & 3) out[o++] = 0;
    const profile = twoByte ? TWO_BYTE_PROFILE : ONE_BYTE_PROFILE;
    const words = (o - extStart - 4) >> 2;
    out[extStart] = profile >> 8;
    out[extStart + 1] = profile & 0xff;
    out[extStart + 2] = words >> 8;
    out[extStart + 3] = words & 0xff;
    this.#hasExtensions = true;
    return o;
  }

  /** First byte: version 2, then P, X and CC as given in `flags`. */
  #fixedHeader(out: Uint8Array, at: number, flags: number, marker: boolean, seq: number, ts: number, payloadType: number): void {
    out[at] = 0x80 | (flags & 0x3f);
    out[at + 1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
    out[at + 2] = (seq >>> 8) & 0xff;
    out[at + 3] = seq & 0xff;
    writeU32(out, at + 4, ts);
    writeU32(out, at + 8, this.ssrc);
  }
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
