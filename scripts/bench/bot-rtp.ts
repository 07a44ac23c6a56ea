import type { FastTransport } from "../../src/rooms/fastpath/transport.ts";
import { Memory } from "../../src/rooms/fastpath/libcrypto.ts";
import { copy } from "../../src/rooms/fastpath/rtp.ts";

/**
 * One outgoing stream of a bench bot on the project's fast path: the RTP header (with the
 * extensions werift's sender would add: MID, abs-send-time, audio level) and the payload written
 * into one preallocated buffer, encrypted in place (SrtpContext) and sent with sendto on the
 * nominated socket. werift's RTCRtpSender costs the load generator tens of µs a packet (clone,
 * header objects, SRTP with a cipher per packet, node:dgram with an address lookup); the bots
 * send ~6k packets/s at 6 rooms.
 *
 * The last RING packets stay encrypted in a ring so that a NACK is answered with the same bytes
 * (same SSRC, index and plaintext: the same SRTP packet, no nonce reused over other bytes), as a
 * browser without RTX retransmits.
 */
const RING = 64;
const SLOT = 1536;

export interface StreamPlan {
  ssrc: number;
  payloadType: number;
  /** Negotiated one-byte extension ids (0: not negotiated). */
  midId: number;
  mid: string;
  absSendTimeId?: number;
  audioLevelId?: number;
  /** 0 loud .. 127 silent. */
  audioLevel?: number;
}

const NTP_UNIX_OFFSET_S = 2208988800;

export class BotRtpStream {
  readonly #fast: FastTransport;
  readonly #mem = new Memory(SLOT);
  readonly #ring = new Memory(RING * SLOT);
  readonly #ringSeq = new Int32Array(RING).fill(-1);
  readonly #ringLen = new Uint16Array(RING);
  readonly #plan: Required<StreamPlan>;
  readonly #mid: Uint8Array;
  /** Header length: fixed part plus the extension block. */
  readonly #headerLength: number;
  /** Where the abs-send-time value goes (0: none). */
  readonly #absAt: number;
  sent = 0;
  failed = 0;
  resent = 0;

  constructor(fast: FastTransport, plan: StreamPlan) {
    this.#fast = fast;
    this.#plan = { absSendTimeId: 0, audioLevelId: 0, audioLevel: 127, ...plan };
    const p = this.#plan;
    this.#mid = new TextEncoder().encode(p.midId ? p.mid : "");
    if (this.#mid.length > 16 || p.midId > 14 || p.absSendTimeId > 14 || p.audioLevelId > 14) throw new Error("one-byte header extensions only");
    // The extension block never changes in size: write its fixed parts once.
    const b = this.#mem.bytes;
    let x = 16;
    if (p.midId) {
      b[x++] = (p.midId << 4) | (this.#mid.length - 1);
      b.set(this.#mid, x);
      x += this.#mid.length;
    }
    let absAt = 0;
    if (p.absSendTimeId) {
      b[x++] = (p.absSendTimeId << 4) | 2;
      absAt = x;
      x += 3;
    }
    if (p.audioLevelId) {
      b[x++] = p.audioLevelId << 4;
      b[x++] = 0x80 | p.audioLevel;
    }
    while ((x - 16) % 4) b[x++] = 0;
    const words = (x - 16) / 4;
    this.#absAt = absAt;
    if (words === 0) {
      this.#headerLength = 12;
      b[0] = 0x80;
    } else {
      this.#headerLength = x;
      b[0] = 0x90;
      b[12] = 0xbe;
      b[13] = 0xde;
      b[14] = words >> 8;
      b[15] = words & 0xff;
    }
    const v = this.#mem.view;
    v.setUint32(8, p.ssrc >>> 0);
  }

  /** Encrypts and sends one packet with this payload; false if it could not go. */
  send(payload: Uint8Array, seq: number, timestamp: number, marker: boolean): boolean {
    const mem = this.#mem;
    const b = mem.bytes;
    const h = this.#headerLength;
    const length = h + payload.length;
    if (length + this.#fast.outbound.rtpOverhead > SLOT) return false;
    b[1] = (marker ? 0x80 : 0) | this.#plan.payloadType;
    mem.view.setUint16(2, seq & 0xffff);
    mem.view.setUint32(4, timestamp >>> 0);
    if (this.#absAt) {
      const seconds = (performance.timeOrigin + performance.now()) / 1000 + NTP_UNIX_OFFSET_S;
      const abs = Math.floor(seconds * 262144) & 0xffffff;
      b[this.#absAt] = abs >> 16;
      b[this.#absAt + 1] = (abs >> 8) & 0xff;
      b[this.#absAt + 2] = abs & 0xff;
    }
    b.set(payload, h);
    const n = this.#fast.outbound.protectRtp(mem, 0, length);
    if (n < 0) {
      this.failed++;
      return false;
    }
    const slot = (seq & 0xffff) % RING;
    copy(b, 0, n, this.#ring.bytes, slot * SLOT);
    this.#ringSeq[slot] = seq & 0xffff;
    this.#ringLen[slot] = n;
    if (!this.#fast.sender.send(mem, 0, n)) {
      this.failed++;
      return false;
    }
    this.sent++;
    return true;
  }

  /** Sends again the packet with this sequence number if the ring still has it. */
  resend(seq: number): boolean {
    const slot = (seq & 0xffff) % RING;
    if (this.#ringSeq[slot] !== (seq & 0xffff)) return false;
    if (!this.#fast.sender.send(this.#ring, slot * SLOT, this.#ringLen[slot]!)) return false;
    this.resent++;
    return true;
  }
}
