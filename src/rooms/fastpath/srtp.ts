import { defaultEngine, type AesCtr, type AesGcm, type CipherEngine, type HmacSha1 } from "./engine.ts";
import { AEAD_AES_128_GCM, deriveSessionKeys, masterSaltLength, type SrtpProfile } from "./kdf.ts";
import type { Memory } from "./libcrypto.ts";
import { rtpHeaderLength } from "./rtp.ts";

/**
 * SRTP and SRTCP for one direction of one DTLS-SRTP transport (RFC 3711, RFC 7714), in place on
 * Memory (a packet at any offset, with room after it for the tag) and without allocation per packet: the sending side protects with the local master
 * key, the receiving side unprotects with the remote one. Results are lengths; a negative result
 * says why a packet was refused (nothing is thrown on the packet path).
 *
 * Per SSRC it keeps the rollover counter and highest sequence number (index estimation per RFC
 * 3711 appendix A) and, when receiving, a replay window; SRTCP keeps a per-SSRC index (sending)
 * or replay window (receiving). State for an SSRC is created only by a packet that authenticated.
 */

export const SRTP_MALFORMED = -1;
export const SRTP_AUTH_FAILED = -2;
/** Receiving: seen before or too old. Sending: that SSRC and index were already encrypted. */
export const SRTP_REPLAYED = -3;
/** The buffer has no room for the tag (protect) or the crypto library reported an error. */
export const SRTP_NO_ROOM = -4;

/** Replay windows: libwebrtc's SRTP window for RTP, libsrtp's for RTCP. */
const RTP_REPLAY_WINDOW = 1024;
const RTCP_REPLAY_WINDOW = 128;
const MAX_SRTCP_INDEX = 0x7fffffff;

/**
 * Which indices in (highest - size, highest] were seen: one bit per index, bit i % size, cleared
 * as `highest` moves past it, so every check is O(1) and a window costs size / 8 bytes (one per
 * SSRC each way: with a Float64 per slot, 8 KB each, ~7 MB at 36 members).
 */
class ReplayWindow {
  highest = -1;
  readonly #bits: Uint32Array;
  readonly #mask: number;
  constructor(readonly size: number) {
    if (size < 32 || (size & (size - 1)) !== 0) throw new Error("a replay window is a power of two of at least 32");
    this.#bits = new Uint32Array(size >>> 5);
    this.#mask = size - 1;
  }
  fresh(index: number): boolean {
    if (index > this.highest) return true;
    if (index <= this.highest - this.size) return false;
    return !this.#has(index);
  }
  /** True if `index` was accepted and is still inside the window. */
  seen(index: number): boolean {
    return index <= this.highest && index > this.highest - this.size && this.#has(index);
  }
  accept(index: number): void {
    const highest = this.highest;
    if (index > highest) {
      if (index - highest >= this.size || highest < 0) this.#bits.fill(0);
      else for (let i = highest + 1; i < index; i++) this.#clear(i);
      this.highest = index;
    }
    const bit = index & this.#mask;
    this.#bits[bit >>> 5]! |= 1 << (bit & 31);
  }
  #has(index: number): boolean {
    const bit = index & this.#mask;
    return (this.#bits[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }
  #clear(index: number): void {
    const bit = index & this.#mask;
    this.#bits[bit >>> 5]! &= ~(1 << (bit & 31));
  }
}

class RtpStream {
  roc = 0;
  /** s_l: the highest sequence number seen (with `roc`, the highest index). */
  seq: number;
  /** Receiving: indices accepted. Sending: indices already encrypted (never twice: GCM nonce). */
  readonly window = new ReplayWindow(RTP_REPLAY_WINDOW);
  constructor(
    readonly ssrc: number,
    seq: number,
  ) {
    this.seq = seq;
  }
}

class RtcpStream {
  /** Next index to send. */
  index = 0;
  readonly window: ReplayWindow | null;
  constructor(
    readonly ssrc: number,
    receiving: boolean,
  ) {
    this.window = receiving ? new ReplayWindow(RTCP_REPLAY_WINDOW) : null;
  }
}

/** RFC 3711 appendix A: the ROC this sequence number most likely belongs to, given s_l and ROC. */
function guessRoc(s: RtpStream, seq: number): number {
  if (s.seq < 32768) return seq - s.seq > 32768 ? s.roc - 1 : s.roc;
  return s.seq - 32768 > seq ? s.roc + 1 : s.roc;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = v >>> 16;
  b[at + 2] = v >>> 8;
  b[at + 3] = v;
}

/** XORs a 32-bit big-endian value into iv[at..at+4). */
function xorU32(iv: Uint8Array, at: number, v: number): void {
  iv[at]! ^= v >>> 24;
  iv[at + 1]! ^= (v >>> 16) & 0xff;
  iv[at + 2]! ^= (v >>> 8) & 0xff;
  iv[at + 3]! ^= v & 0xff;
}

export class SrtpContext {
  readonly profile: SrtpProfile;
  readonly engine: CipherEngine;
  /** Bytes protectRtp adds (the tag). */
  readonly rtpOverhead: number;
  /** Bytes protectRtcp adds (tag and E flag with SRTCP index). */
  readonly rtcpOverhead: number;
  readonly #gcm: boolean;
  readonly #rtpSalt: Uint8Array;
  readonly #rtcpSalt: Uint8Array;
  readonly #rtpGcm: AesGcm | null;
  readonly #rtcpGcm: AesGcm | null;
  readonly #rtpCtr: AesCtr | null;
  readonly #rtcpCtr: AesCtr | null;
  readonly #rtpMac: HmacSha1 | null;
  readonly #rtcpMac: HmacSha1 | null;
  readonly #rtp = new Map<number, RtpStream>();
  readonly #rtcp = new Map<number, RtcpStream>();
  #last: RtpStream | null = null;
  readonly #tag = new Uint8Array(10);

  constructor(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array, engine: CipherEngine = defaultEngine()) {
    if (masterSalt.length !== masterSaltLength(profile)) throw new Error("SRTP master salt has the wrong length for its profile");
    const keys = deriveSessionKeys(profile, masterKey, masterSalt);
    this.profile = profile;
    this.engine = engine;
    this.#gcm = profile === AEAD_AES_128_GCM;
    this.#rtpSalt = keys.rtpSalt;
    this.#rtcpSalt = keys.rtcpSalt;
    this.rtpOverhead = this.#gcm ? 16 : 10;
    this.rtcpOverhead = this.#gcm ? 20 : 14;
    this.#rtpGcm = this.#gcm ? engine.gcm(keys.rtpKey) : null;
    this.#rtcpGcm = this.#gcm ? engine.gcm(keys.rtcpKey) : null;
    this.#rtpCtr = this.#gcm ? null : engine.ctr(keys.rtpKey);
    this.#rtcpCtr = this.#gcm ? null : engine.ctr(keys.rtcpKey);
    this.#rtpMac = this.#gcm ? null : engine.hmacSha1(keys.rtpAuth);
    this.#rtcpMac = this.#gcm ? null : engine.hmacSha1(keys.rtcpAuth);
    for (const k of [keys.rtpKey, keys.rtpAuth, keys.rtcpKey, keys.rtcpAuth]) k.fill(0);
  }

  #stream(ssrc: number): RtpStream | undefined {
    const last = this.#last;
    if (last !== null && last.ssrc === ssrc) return last;
    const s = this.#rtp.get(ssrc);
    if (s !== undefined) this.#last = s;
    return s;
  }

  /** Encrypts the RTP packet in mem[at, at+length) in place and appends the tag; returns the new length. */
  protectRtp(mem: Memory, at: number, length: number): number {
    return this.#protectRtp(mem, at, length, false);
  }

  /**
   * Encrypts again a packet whose SSRC and index were already encrypted (and are still inside the
   * window), for a retransmission rebuilt from a history that does not keep the SRTP bytes. The
   * caller must give byte for byte the plaintext of the first time and must compare the tag with
   * the first one before sending: the same nonce over other bytes would give away the key stream
   * (and, with GCM, the authentication key). Refuses (SRTP_REPLAYED) an index never encrypted.
   */
  reprotectRtp(mem: Memory, at: number, length: number): number {
    return this.#protectRtp(mem, at, length, true);
  }

  #protectRtp(mem: Memory, at: number, length: number, again: boolean): number {
    const b = mem.bytes;
    const h = rtpHeaderLength(b, at, length);
    if (h < 0) return SRTP_MALFORMED;
    if (at + length + this.rtpOverhead > b.length) return SRTP_NO_ROOM;
    const ssrc = readU32(b, at + 8);
    const seq = (b[at + 2]! << 8) | b[at + 3]!;
    let s = this.#stream(ssrc);
    if (s === undefined) {
      if (again) return SRTP_REPLAYED;
      s = new RtpStream(ssrc, seq);
      this.#rtp.set(ssrc, s);
      this.#last = s;
    }
    // A packet from before the first one sent stays in ROC 0 (as werift's sender does).
    const roc = Math.max(0, guessRoc(s, seq));
    const index = roc * 65536 + seq;
    if (again) {
      if (!s.window.seen(index)) return SRTP_REPLAYED;
    } else {
      // An index is encrypted once: a second packet under the same SSRC and index would reuse
      // the nonce (fatal for GCM). Retransmissions go through reprotectRtp, checked by the caller.
      if (!s.window.fresh(index)) return SRTP_REPLAYED;
      s.window.accept(index);
      if (index > s.roc * 65536 + s.seq) {
        s.roc = roc;
        s.seq = seq;
      }
    }
    if (this.#gcm) {
      this.#rtpGcmIv(ssrc, roc, seq);
      if (!this.#rtpGcm!.seal(mem, at, h, 0, 0, at + h, length - h, at + length)) return SRTP_NO_ROOM;
      return length + 16;
    }
    this.#ctrIv(this.#rtpCtr!.iv, this.#rtpSalt, ssrc, roc, seq);
    if (!this.#rtpCtr!.xor(mem, at + h, length - h)) return SRTP_NO_ROOM;
    // The tag authenticates the packet followed by the ROC: write the ROC where the tag goes.
    const end = at + length;
    writeU32(b, end, roc);
    const mac = this.#rtpMac!;
    if (!mac.mac(mem, at, length + 4)) return SRTP_NO_ROOM;
    for (let i = 0; i < 10; i++) b[end + i] = mac.digest[i]!;
    return length + 10;
  }

  /** Authenticates and decrypts the SRTP packet in mem[at, at+length) in place; returns the RTP length. */
  unprotectRtp(mem: Memory, at: number, length: number): number {
    const b = mem.bytes;
    const tagLength = this.rtpOverhead;
    if (length < 12 + tagLength || at + length > b.length) return SRTP_MALFORMED;
    const h = rtpHeaderLength(b, at, length - tagLength);
    if (h < 0) return SRTP_MALFORMED;
    const ssrc = readU32(b, at + 8);
    const seq = (b[at + 2]! << 8) | b[at + 3]!;
    const s = this.#stream(ssrc);
    let roc = 0;
    if (s !== undefined) {
      roc = guessRoc(s, seq);
      if (roc < 0 || !s.window.fresh(roc * 65536 + seq)) return SRTP_REPLAYED;
    }
    const rtpLength = length - tagLength;
    const end = at + rtpLength;
    if (this.#gcm) {
      this.#rtpGcmIv(ssrc, roc, seq);
      if (!this.#rtpGcm!.open(mem, at, h, 0, 0, at + h, rtpLength - h, end)) return SRTP_AUTH_FAILED;
    } else {
      const tag = this.#tag;
      for (let i = 0; i < 10; i++) tag[i] = b[end + i]!;
      writeU32(b, end, roc);
      const mac = this.#rtpMac!;
      if (!mac.mac(mem, at, rtpLength + 4) || !sameTag(mac.digest, tag)) return SRTP_AUTH_FAILED;
      this.#ctrIv(this.#rtpCtr!.iv, this.#rtpSalt, ssrc, roc, seq);
      if (!this.#rtpCtr!.xor(mem, at + h, rtpLength - h)) return SRTP_AUTH_FAILED;
    }
    this.#received(s, ssrc, roc, seq);
    return rtpLength;
  }

  #received(s: RtpStream | undefined, ssrc: number, roc: number, seq: number): void {
    if (s === undefined) {
      s = new RtpStream(ssrc, seq);
      this.#rtp.set(ssrc, s);
      this.#last = s;
    }
    const index = roc * 65536 + seq;
    s.window.accept(index);
    if (index > s.roc * 65536 + s.seq) {
      s.roc = roc;
      s.seq = seq;
    }
  }

  /** Encrypts the (compound) RTCP packet in mem[at, at+length) in place; returns the SRTCP length. */
  protectRtcp(mem: Memory, at: number, length: number): number {
    const b = mem.bytes;
    if (length < 8 || (b[at]! & 0xc0) !== 0x80) return SRTP_MALFORMED;
    if (at + length + this.rtcpOverhead > b.length) return SRTP_NO_ROOM;
    const ssrc = readU32(b, at + 4);
    const end = at + length;
    let s = this.#rtcp.get(ssrc);
    if (s === undefined) this.#rtcp.set(ssrc, (s = new RtcpStream(ssrc, false)));
    const index = s.index;
    s.index = index === MAX_SRTCP_INDEX ? 0 : index + 1;
    if (this.#gcm) {
      // Tag, then E flag and index; the AAD is the first 8 bytes followed by that last word.
      writeU32(b, end + 16, (0x80000000 | index) >>> 0);
      this.#rtcpGcmIv(ssrc, index);
      if (!this.#rtcpGcm!.seal(mem, at, 8, end + 16, 4, at + 8, length - 8, end)) return SRTP_NO_ROOM;
      return length + 20;
    }
    this.#ctrIv(this.#rtcpCtr!.iv, this.#rtcpSalt, ssrc, 0, 0);
    xorU32(this.#rtcpCtr!.iv, 10, index);
    if (!this.#rtcpCtr!.xor(mem, at + 8, length - 8)) return SRTP_NO_ROOM;
    writeU32(b, end, (0x80000000 | index) >>> 0);
    const mac = this.#rtcpMac!;
    if (!mac.mac(mem, at, length + 4)) return SRTP_NO_ROOM;
    for (let i = 0; i < 10; i++) b[end + 4 + i] = mac.digest[i]!;
    return length + 14;
  }

  /** Authenticates and decrypts the SRTCP packet in mem[at, at+length) in place; returns the RTCP length. */
  unprotectRtcp(mem: Memory, at: number, length: number): number {
    const b = mem.bytes;
    const trailer = this.rtcpOverhead;
    if (length < 8 + trailer || at + length > b.length || (b[at]! & 0xc0) !== 0x80) return SRTP_MALFORMED;
    const ssrc = readU32(b, at + 4);
    const rtcpLength = length - trailer;
    const end = at + rtcpLength;
    const last = at + length;
    const word = this.#gcm ? readU32(b, last - 4) : readU32(b, end);
    const encrypted = word >>> 31 === 1;
    const index = word & MAX_SRTCP_INDEX;
    const s = this.#rtcp.get(ssrc);
    if (s !== undefined && !s.window!.fresh(index)) return SRTP_REPLAYED;
    if (this.#gcm) {
      this.#rtcpGcmIv(ssrc, index);
      const gcm = this.#rtcpGcm!;
      const ok = encrypted
        ? gcm.open(mem, at, 8, last - 4, 4, at + 8, rtcpLength - 8, end)
        : gcm.open(mem, at, rtcpLength, last - 4, 4, 0, 0, end);
      if (!ok) return SRTP_AUTH_FAILED;
    } else {
      const mac = this.#rtcpMac!;
      if (!mac.mac(mem, at, length - 10) || !sameTagAt(mac.digest, b, last - 10)) return SRTP_AUTH_FAILED;
      if (encrypted) {
        this.#ctrIv(this.#rtcpCtr!.iv, this.#rtcpSalt, ssrc, 0, 0);
        xorU32(this.#rtcpCtr!.iv, 10, index);
        if (!this.#rtcpCtr!.xor(mem, at + 8, rtcpLength - 8)) return SRTP_AUTH_FAILED;
      }
    }
    let stream = s;
    if (stream === undefined) this.#rtcp.set(ssrc, (stream = new RtcpStream(ssrc, true)));
    stream.window!.accept(index);
    return rtcpLength;
  }

  /** RFC 7714 section 8.1: 00 00 || SSRC || ROC || SEQ, XOR the 12-byte session salt. */
  #rtpGcmIv(ssrc: number, roc: number, seq: number): void {
    const iv = this.#rtpGcm!.iv;
    iv.set(this.#rtpSalt);
    xorU32(iv, 2, ssrc);
    xorU32(iv, 6, roc);
    iv[10]! ^= seq >>> 8;
    iv[11]! ^= seq & 0xff;
  }

  /** RFC 7714 section 9.1: 00 00 || SSRC || 00 00 || SRTCP index, XOR the 12-byte session salt. */
  #rtcpGcmIv(ssrc: number, index: number): void {
    const iv = this.#rtcpGcm!.iv;
    iv.set(this.#rtcpSalt);
    xorU32(iv, 2, ssrc);
    xorU32(iv, 8, index);
  }

  /** RFC 3711 section 4.1.1: salt * 2^16 XOR SSRC * 2^64 XOR (ROC || SEQ) * 2^16. */
  #ctrIv(iv: Uint8Array, salt: Uint8Array, ssrc: number, roc: number, seq: number): void {
    iv.set(salt);
    iv[14] = 0;
    iv[15] = 0;
    xorU32(iv, 4, ssrc);
    xorU32(iv, 8, roc);
    iv[12]! ^= seq >>> 8;
    iv[13]! ^= seq & 0xff;
  }

  /** Highest index sent or received for an SSRC ((ROC << 16) + SEQ), or -1. For tests and stats. */
  rtpIndex(ssrc: number): number {
    const s = this.#rtp.get(ssrc);
    return s === undefined ? -1 : s.roc * 65536 + s.seq;
  }

  close(): void {
    this.#rtpGcm?.close();
    this.#rtcpGcm?.close();
    this.#rtpCtr?.close();
    this.#rtcpCtr?.close();
    this.#rtpMac?.close();
    this.#rtcpMac?.close();
    this.#rtp.clear();
    this.#rtcp.clear();
    this.#last = null;
  }
}

/** Compares the 10-byte tag in constant time. */
function sameTag(digest: Uint8Array, tag: Uint8Array): boolean {
  let diff = 0;
  for (let i = 0; i < 10; i++) diff |= digest[i]! ^ tag[i]!;
  return diff === 0;
}

function sameTagAt(digest: Uint8Array, b: Uint8Array, at: number): boolean {
  let diff = 0;
  for (let i = 0; i < 10; i++) diff |= digest[i]! ^ b[at + i]!;
  return diff === 0;
}
