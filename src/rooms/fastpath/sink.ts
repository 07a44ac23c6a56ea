import type { RtpPacket } from "werift";
import type { RtpSink } from "../router.ts";
import { IngressPacket } from "./ingress.ts";
import { Memory } from "./libcrypto.ts";
import { RtpRewriter, writeU32, type ExtensionPlan } from "./rtp.ts";
import type { SrtpContext } from "./srtp.ts";
import type { PacketSender } from "./udp.ts";

/**
 * A consumer's way out without werift's RTCRtpSender: the packet is rewritten for this consumer
 * (SSRC, payload type, continuous sequence numbers and timestamps, its own MID) straight into a
 * slot of a preallocated ring, encrypted there and sent synchronously. The ring doubles as the
 * NACK history: a retransmission resends the stored SRTP bytes unchanged, so a sequence number
 * is never encrypted twice (with AES-GCM, a second encryption under the same nonce with any
 * other header, e.g. a fresh abs-send-time, would give away the authentication key).
 *
 * The SSRC must be one werift never sends RTP or RTCP with (the m-line's sender SSRC, with
 * nothing fed to that RTCRtpSender): SRTP nonces are made of SSRC and index, and werift keeps
 * its own counters.
 */

export interface DirectSinkOptions {
  /** The SSRC and payload type negotiated for this consumer's m-line. */
  ssrc: number;
  payloadType: number;
  kind: "audio" | "video";
  /** RTP clock rate of the codec (90000 for VP8, 48000 for Opus), for sender reports. */
  clockRate: number;
  /** The subscriber transport's sending context. */
  srtp: SrtpContext;
  sender: PacketSender;
  extensions?: ExtensionPlan;
  /**
   * Packets kept for NACK answers, a power of two; 0 keeps none. Default: 64 for video (1 to 2 s of
   * 640x480, many round trips on a LAN; 98 KB a consumer), 0 for audio (no NACK negotiated).
   */
  history?: number;
  /** CNAME for the SDES item sent with each sender report. */
  cname?: string;
}

/** Room for the largest datagram we forward and its SRTP tag. */
const SLOT = 1536;
/** RTP timestamp step at a stream switch: one 30 fps frame (video), one 20 ms Opus frame (audio). */
const RESTART_STEP = { video: 3000, audio: 960 } as const;
const NTP_UNIX_OFFSET_S = 2208988800;

export class DirectSink implements RtpSink {
  /** Sent since creation: packets and payload octets (sender report counters), retransmissions, drops. */
  packets = 0;
  octets = 0;
  retransmitted = 0;
  dropped = 0;

  readonly ssrc: number;
  readonly #kind: "audio" | "video";
  readonly #clockRate: number;
  readonly #srtp: SrtpContext;
  readonly #sender: PacketSender;
  readonly #rewriter: RtpRewriter;
  readonly #ring: Memory;
  readonly #slots: number;
  /** Sequence number in each slot (-1: none) and its SRTP length. */
  readonly #seqs: Int32Array;
  readonly #lengths: Uint16Array;
  readonly #rtcp = new Memory(256);
  readonly #cname: Uint8Array;
  #seqOffset = 0;
  #tsOffset = 0;
  #lastSeq = -1;
  #lastTs = 0;
  #lastSentAt = 0;
  #restart = false;
  #closed = false;

  constructor(options: DirectSinkOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.#kind = options.kind;
    this.#clockRate = options.clockRate;
    this.#srtp = options.srtp;
    this.#sender = options.sender;
    this.#rewriter = new RtpRewriter(this.ssrc, options.payloadType, options.extensions);
    const history = options.history ?? (options.kind === "video" ? 64 : 0);
    if (history < 0 || (history & (history - 1)) !== 0) throw new Error("history must be 0 or a power of two");
    this.#slots = Math.max(1, history);
    this.#ring = new Memory(this.#slots * SLOT);
    this.#seqs = new Int32Array(this.#slots).fill(-1);
    this.#lengths = new Uint16Array(this.#slots);
    this.#cname = new TextEncoder().encode(options.cname ?? "");
    if (this.#cname.length > 255) throw new Error("a CNAME is at most 255 bytes");
  }

  /** Forwards one packet: a werift RtpPacket (werift's receiver) or an IngressPacket (the fast ingress). */
  send(rtp: RtpPacket | IngressPacket): void {
    if (this.#closed) return;
    const header = rtp.header;
    if (this.#restart) {
      this.#restart = false;
      if (this.#lastSeq >= 0) {
        // The new stream continues the old one: next sequence number, timestamp one frame on.
        this.#seqOffset = (this.#lastSeq + 1 - header.sequenceNumber) & 0xffff;
        this.#tsOffset = (this.#lastTs + RESTART_STEP[this.#kind] - header.timestamp) >>> 0;
      }
    }
    const seq = (header.sequenceNumber + this.#seqOffset) & 0xffff;
    const ts = (header.timestamp + this.#tsOffset) >>> 0;
    const slot = seq & (this.#slots - 1);
    const at = slot * SLOT;
    const room = SLOT - this.#srtp.rtpOverhead;
    const out = this.#ring.bytes;
    const length =
      rtp instanceof IngressPacket
        ? this.#rewriter.fromRaw(out, at, room, rtp.mem.bytes, rtp.at, rtp.length, rtp.headerLength, seq, ts, header.marker)
        : this.#rewriter.fromPacket(out, at, room, rtp, seq, ts);
    if (length < 0) {
      this.dropped++;
      return;
    }
    const srtpLength = this.#srtp.protectRtp(this.#ring, at, length);
    this.#lastSeq = seq;
    this.#lastTs = ts;
    this.#lastSentAt = performance.now();
    if (srtpLength < 0) {
      this.#seqs[slot] = -1;
      this.dropped++;
      return;
    }
    this.#seqs[slot] = seq;
    this.#lengths[slot] = srtpLength;
    this.packets++;
    this.octets += rtp.payload.length;
    if (!this.#sender.send(this.#ring, at, srtpLength)) this.dropped++;
  }

  /** The next packet comes from another stream (a layer switch): keep sequence and timestamp continuous. */
  restart(): void {
    this.#restart = true;
  }

  /** Sends a kept packet again, byte for byte; false if it is no longer kept. */
  resend(seq: number): boolean {
    if (this.#closed) return false;
    const slot = seq & (this.#slots - 1);
    if (this.#seqs[slot] !== (seq & 0xffff) || this.#slots === 1) return false;
    if (!this.#sender.send(this.#ring, slot * SLOT, this.#lengths[slot]!)) return false;
    this.retransmitted++;
    return true;
  }

  /** Answers one generic NACK item (RFC 4585 6.2.1: packet id and bitmask of the 16 after it); returns packets resent. */
  nack(pid: number, blp: number): number {
    let sent = this.resend(pid) ? 1 : 0;
    for (let i = 0; i < 16; i++) if (blp & (1 << i) && this.resend((pid + i + 1) & 0xffff)) sent++;
    return sent;
  }

  /**
   * Sends an RTCP sender report (with the SDES CNAME, if any) for this stream through the same
   * transport; returns false if nothing has been sent yet or it could not go. Call about once a
   * second per stream (RFC 3550 6.2: receivers expect them; Chromium uses them for lip sync).
   */
  sendReport(nowMs: number = performance.timeOrigin + performance.now()): boolean {
    if (this.#closed || this.#lastSeq < 0) return false;
    const mem = this.#rtcp;
    const b = mem.bytes;
    const seconds = Math.floor(nowMs / 1000);
    const fraction = Math.floor(((nowMs % 1000) / 1000) * 4294967296);
    // The RTP timestamp of this instant: the last one sent, moved on by the time since.
    const sinceLast = nowMs - (performance.timeOrigin + this.#lastSentAt);
    const rtpTs = (this.#lastTs + Math.round((sinceLast * this.#clockRate) / 1000)) >>> 0;
    b[0] = 0x80;
    b[1] = 200;
    b[2] = 0;
    b[3] = 6;
    writeU32(b, 4, this.ssrc);
    writeU32(b, 8, (seconds + NTP_UNIX_OFFSET_S) >>> 0);
    writeU32(b, 12, fraction >>> 0);
    writeU32(b, 16, rtpTs);
    writeU32(b, 20, this.packets >>> 0);
    writeU32(b, 24, this.octets >>> 0);
    let length = 28;
    const cname = this.#cname;
    if (cname.length > 0) {
      // SDES: one chunk (SSRC, CNAME item, end), padded to 32 bits.
      const start = length;
      const chunk = 4 + 2 + cname.length + 1;
      const padded = (chunk + 3) & ~3;
      b[start] = 0x81;
      b[start + 1] = 202;
      b[start + 2] = 0;
      b[start + 3] = padded / 4;
      writeU32(b, start + 4, this.ssrc);
      b[start + 8] = 1;
      b[start + 9] = cname.length;
      for (let i = 0; i < cname.length; i++) b[start + 10 + i] = cname[i]!;
      for (let i = start + 10 + cname.length; i < start + 4 + padded; i++) b[i] = 0;
      length = start + 4 + padded;
    }
    const n = this.#srtp.protectRtcp(mem, 0, length);
    return n > 0 && this.#sender.send(mem, 0, n);
  }

  /** The last sequence number and timestamp sent (-1 before the first). */
  get last(): { seq: number; ts: number } {
    return { seq: this.#lastSeq, ts: this.#lastTs };
  }

  close(): void {
    this.#closed = true;
    this.#seqs.fill(-1);
  }
}
