import type { RtpPacket } from "werift";
import type { RtpSink } from "../router.ts";
import { PAYLOAD_HISTORY, PayloadRing } from "./history.ts";
import { IngressPacket } from "./ingress.ts";
import { Memory } from "./libcrypto.ts";
import { redPrimaryStart } from "./red.ts";
import { RtpRewriter, copy, rtpHeaderLength, writeU32, type ExtensionPlan } from "./rtp.ts";
import type { SrtpContext } from "./srtp.ts";
import type { PacketSender } from "./udp.ts";

/**
 * A consumer's way out without werift's RTCRtpSender: the packet is rewritten for this consumer
 * (SSRC, payload type, continuous sequence numbers and timestamps, its own MID) into one
 * preallocated buffer, encrypted there and sent synchronously.
 *
 * NACK history: the incoming stream's payloads are kept once for all its consumers (history.ts);
 * each consumer keeps the header it wrote and the SRTP tag it got. A retransmission puts the two
 * back together, encrypts again under the same index and goes only if the tag is the first one,
 * so the bytes on the wire are the first ones exactly (with AES-GCM, a second encryption under
 * the same nonce with any other header, e.g. a fresh abs-send-time, would give away the
 * authentication key: a tag that differs means other bytes, and they are never sent).
 *
 * Audio RED (red.ts) goes out as RED to a consumer whose m-line negotiated it, and as its primary
 * block (plain Opus, padding dropped) to one whose m-line did not; plain Opus goes out as Opus to both.
 *
 * The SSRC must be one werift never sends RTP or RTCP with (the m-line's sender SSRC, with
 * nothing fed to that RTCRtpSender): SRTP nonces are made of SSRC and index, and werift keeps
 * its own counters.
 */

export interface DirectSinkOptions {
  /** The SSRC and payload type negotiated for this consumer's m-line (audio: Opus's). */
  ssrc: number;
  payloadType: number;
  /**
   * Audio: the payload type RED (RFC 2198) packets arrive with (the SFU's offer fixes it for every
   * member); -1 (default): none arrive. Packets with any other payload type go out as `payloadType`.
   */
  redIn?: number;
  /**
   * This consumer's RED payload type if its m-line negotiated RED: RED goes out as RED. -1
   * (default): RED goes out as its primary block, a plain Opus packet of `payloadType`.
   */
  redOut?: number;
  kind: "audio" | "video";
  /** RTP clock rate of the codec (90000 for VP8, 48000 for Opus), for sender reports. */
  clockRate: number;
  /** The subscriber transport's sending context. */
  srtp: SrtpContext;
  sender: PacketSender;
  extensions?: ExtensionPlan;
  /**
   * Packets kept for NACK answers, a power of two up to 64 (the shared payload history's depth); 0
   * keeps none. Default: 64 for video (1 to 2 s of 640x480, many round trips on a LAN; 5 KB a
   * consumer, the payloads being shared), 0 for audio (no NACK negotiated).
   */
  history?: number;
  /** CNAME for the SDES item sent with each sender report. */
  cname?: string;
}

/** Room for the largest datagram we forward and its SRTP tag. */
const SLOT = 1536;
/** The longest rewritten header a history keeps (fixed part, CSRCs, MID and abs-send-time fit easily). */
const HEADER_ROOM = 64;
const TAG_ROOM = 16;

/**
 * Where every sink of this thread writes and encrypts: a packet is sent before the next one is
 * written (sendto copies it into the kernel), so one buffer serves them all.
 */
let scratch: Memory | null = null;

/**
 * Payloads of werift RtpPackets (a stream's first packet, before the fast ingress takes it; unit
 * tests): one ring for the thread. A packet goes to all its consumers before the next one comes,
 * so the last packet kept is the only one to recognise.
 */
let weriftRing: PayloadRing | null = null;
let weriftLast: RtpPacket | null = null;
let weriftSerial = -1;
function keepWerift(rtp: RtpPacket): PayloadRing | null {
  const ring = (weriftRing ??= new PayloadRing());
  if (rtp !== weriftLast) {
    weriftLast = rtp;
    weriftSerial = ring.keep(rtp.payload, 0, rtp.payload.length);
  }
  return weriftSerial < 0 ? null : ring;
}
/** RTP timestamp step at a stream switch: one 30 fps frame (video), one 20 ms Opus frame (audio). */
const RESTART_STEP = { video: 3000, audio: 960 } as const;
const NTP_UNIX_OFFSET_S = 2208988800;

export class DirectSink implements RtpSink {
  /** Sent since creation: packets and payload octets (sender report counters), retransmissions, drops. */
  packets = 0;
  octets = 0;
  retransmitted = 0;
  /** NACKed packets this sink could not resend (never had, or no longer kept). */
  resendMissed = 0;
  dropped = 0;

  readonly ssrc: number;
  readonly #kind: "audio" | "video";
  readonly #clockRate: number;
  readonly #srtp: SrtpContext;
  readonly #sender: PacketSender;
  readonly #rewriter: RtpRewriter;
  readonly #payloadType: number;
  readonly #redIn: number;
  readonly #redOut: number;
  readonly #scratch: Memory;
  /** History: slots (0: none), then per slot the sequence number (-1: none), header and tag. */
  readonly #slots: number;
  readonly #seqs: Int32Array;
  readonly #headerLengths: Uint8Array;
  readonly #headers: Uint8Array;
  readonly #tags: Uint8Array;
  /** The kept payload of each slot: its ring and serial there. */
  readonly #rings: (PayloadRing | null)[];
  readonly #serials: Float64Array;
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
    this.#payloadType = options.payloadType;
    this.#redIn = options.redIn ?? -1;
    this.#redOut = options.redOut ?? -1;
    const history = options.history ?? (options.kind === "video" ? PAYLOAD_HISTORY : 0);
    if (history < 0 || history > PAYLOAD_HISTORY || (history & (history - 1)) !== 0) {
      throw new Error(`history must be 0 or a power of two up to ${PAYLOAD_HISTORY}`);
    }
    this.#scratch = scratch ??= new Memory(SLOT);
    this.#slots = history;
    this.#seqs = new Int32Array(history).fill(-1);
    this.#headerLengths = new Uint8Array(history);
    this.#headers = new Uint8Array(history * HEADER_ROOM);
    this.#tags = new Uint8Array(history * TAG_ROOM);
    this.#rings = new Array<PayloadRing | null>(history).fill(null);
    this.#serials = new Float64Array(history);
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
    const mem = this.#scratch;
    const out = mem.bytes;
    const room = SLOT - this.#srtp.rtpOverhead;
    const ingress = rtp instanceof IngressPacket;
    // RED to a consumer without it: only the primary block (Opus) goes, from `from` to the end.
    const red = header.payloadType === this.#redIn && this.#redIn >= 0;
    const strip = red && this.#redOut < 0;
    const payloadType = red && !strip ? this.#redOut : this.#payloadType;
    let length: number;
    let octets = rtp.payload.length;
    if (ingress) {
      const b = rtp.mem.bytes;
      const end = rtp.at + rtp.length;
      const from = strip ? redPrimaryStart(b, rtp.at + rtp.headerLength, end - header.paddingSize, this.#payloadType) : rtp.at + rtp.headerLength;
      const to = strip ? end - header.paddingSize : end;
      if (strip) octets = to - from;
      length = from < 0 ? -1 : this.#rewriter.fromRaw(out, 0, room, b, rtp.at, rtp.length, rtp.headerLength, seq, ts, header.marker, payloadType, from, to);
    } else {
      const p = rtp.payload;
      const from = strip ? redPrimaryStart(p, 0, p.length, this.#payloadType) : 0;
      if (strip) octets = p.length - from;
      length = from < 0 ? -1 : this.#rewriter.fromPacket(out, 0, room, rtp, seq, ts, payloadType, from, p.length);
    }
    if (length < 0) {
      this.dropped++;
      return;
    }
    const srtpLength = this.#srtp.protectRtp(mem, 0, length);
    this.#lastSeq = seq;
    this.#lastTs = ts;
    this.#lastSentAt = performance.now();
    if (this.#slots > 0) {
      // The stream's kept payload is the whole RED packet: a stripped one cannot be rebuilt from it.
      const ring = srtpLength < 0 || strip ? null : ingress ? rtp.keep() : keepWerift(rtp);
      this.#remember(seq, ring, ingress ? rtp.keptSerial : weriftSerial, length, srtpLength);
    }
    if (srtpLength < 0) {
      this.dropped++;
      return;
    }
    this.packets++;
    this.octets += octets;
    if (!this.#sender.send(mem, 0, srtpLength)) this.dropped++;
  }

  /** Notes what a retransmission of `seq` needs besides its payload: the header written and the tag. */
  #remember(seq: number, ring: PayloadRing | null, serial: number, length: number, srtpLength: number): void {
    const slot = seq & (this.#slots - 1);
    const out = this.#scratch.bytes;
    const h = ring === null ? -1 : rtpHeaderLength(out, 0, length);
    if (h < 0 || h > HEADER_ROOM) {
      this.#seqs[slot] = -1;
      this.#rings[slot] = null;
      return;
    }
    copy(out, 0, h, this.#headers, slot * HEADER_ROOM);
    copy(out, length, srtpLength, this.#tags, slot * TAG_ROOM);
    this.#headerLengths[slot] = h;
    this.#rings[slot] = ring;
    this.#serials[slot] = serial;
    this.#seqs[slot] = seq;
  }

  /** The next packet comes from another stream (a layer switch): keep sequence and timestamp continuous. */
  restart(): void {
    this.#restart = true;
  }

  /** Sends a kept packet again, byte for byte; false if it is no longer kept. */
  resend(seq: number): boolean {
    if (this.#closed || this.#slots === 0) return false;
    const slot = seq & (this.#slots - 1);
    const ring = this.#rings[slot];
    if (this.#seqs[slot] !== (seq & 0xffff) || !ring) {
      this.resendMissed++;
      return false;
    }
    const mem = this.#scratch;
    const out = mem.bytes;
    const h = this.#headerLengths[slot]!;
    copy(this.#headers, slot * HEADER_ROOM, slot * HEADER_ROOM + h, out, 0);
    const payload = ring.read(this.#serials[slot]!, out, h);
    if (payload < 0 || h + payload > SLOT - this.#srtp.rtpOverhead) return false;
    const length = h + payload;
    const srtpLength = this.#srtp.reprotectRtp(mem, 0, length);
    if (srtpLength < 0) return false;
    // Other bytes than the first time (they never should be): never on the wire under that nonce.
    let diff = 0;
    const tags = this.#tags;
    for (let i = length, t = slot * TAG_ROOM; i < srtpLength; i++, t++) diff |= out[i]! ^ tags[t]!;
    if (diff !== 0) {
      this.#seqs[slot] = -1;
      this.#rings[slot] = null;
      return false;
    }
    if (!this.#sender.send(mem, 0, srtpLength)) return false;
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
    const mem = this.#scratch;
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
    this.#rings.fill(null);
  }
}
