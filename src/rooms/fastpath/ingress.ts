import { PayloadRing } from "./history.ts";
import { Memory } from "./libcrypto.ts";
import { copy, rtpHeaderLength } from "./rtp.ts";
import { SRTP_AUTH_FAILED, SRTP_REPLAYED, type SrtpContext } from "./srtp.ts";

/**
 * Incoming SRTP before werift sees it. werift's StunProtocol parses every datagram as STUN
 * first, then its DTLS transport decrypts into new buffers and builds an RtpPacket with header
 * and extension objects. Here an RTP datagram (first byte 128-191, second byte not an RTCP type)
 * is copied into one preallocated buffer, authenticated and decrypted in place, and described by
 * one reused IngressPacket; STUN, DTLS and SRTCP go on to werift unchanged.
 *
 * Everything downstream of the handler must finish with the packet before returning: the
 * buffer is reused for the next datagram (packets are handled one at a time, synchronously).
 */

/** The payload starts here, whatever the header length, so a payload view can be reused per length. */
const PAYLOAD_AT = 1024;
const MAX_DATAGRAM = 1500;

/**
 * A decrypted RTP packet in the shared ingress buffer, shaped like the parts of werift's
 * RtpPacket the router reads: `header` (its sequenceNumber may be rewritten) and `payload`
 * (without padding). Header extensions stay in the bytes (findExtension reads them).
 */
export class IngressPacket {
  /** Where the packet starts in `mem` and how long it is (header, payload and padding). */
  at = 0;
  length = 0;
  headerLength = 0;
  readonly header = {
    ssrc: 0,
    sequenceNumber: 0,
    timestamp: 0,
    payloadType: 0,
    marker: false,
    padding: false,
    paddingSize: 0,
    /** Always empty: extensions are read from the bytes, not parsed into objects. */
    extensions: [] as { id: number; payload: Buffer }[],
  };
  payload: Uint8Array;
  /** The serial of this packet's payload in the ring keep() returned (-1: not kept). */
  keptSerial = -1;
  readonly #views: (Uint8Array | undefined)[] = [];
  /** Each incoming stream's recent payloads (history.ts), shared by that stream's consumers. */
  readonly #rings = new Map<number, PayloadRing>();
  #parsed = 0;
  #keptAt = -1;
  #kept: PayloadRing | null = null;

  constructor(readonly mem: Memory) {
    this.payload = this.#view(0);
  }

  #view(length: number): Uint8Array {
    let v = this.#views[length];
    if (v === undefined) this.#views[length] = v = this.mem.bytes.subarray(PAYLOAD_AT, PAYLOAD_AT + length);
    return v;
  }

  /** Reads the header fields of the plaintext packet mem[at, at+length). False if it is not valid RTP. */
  parse(at: number, length: number): boolean {
    const b = this.mem.bytes;
    const h = rtpHeaderLength(b, at, length);
    if (h < 0) return false;
    const padding = (b[at]! & 0x20) !== 0;
    const pad = padding ? b[at + length - 1]! : 0;
    if (padding && (pad === 0 || pad > length - h)) return false;
    this.at = at;
    this.length = length;
    this.headerLength = h;
    const hd = this.header;
    hd.marker = (b[at + 1]! & 0x80) !== 0;
    hd.payloadType = b[at + 1]! & 0x7f;
    hd.sequenceNumber = (b[at + 2]! << 8) | b[at + 3]!;
    hd.timestamp = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
    hd.ssrc = ((b[at + 8]! << 24) | (b[at + 9]! << 16) | (b[at + 10]! << 8) | b[at + 11]!) >>> 0;
    hd.padding = padding;
    hd.paddingSize = pad;
    this.payload = at + h === PAYLOAD_AT ? this.#view(length - h - pad) : b.subarray(at + h, at + length - pad);
    this.#parsed++;
    return true;
  }

  /**
   * Keeps this packet's payload (with any padding: what a rewrite copies) in its stream's ring, once
   * however many consumers ask; returns the ring (the serial is in keptSerial), or null.
   */
  keep(): PayloadRing | null {
    if (this.#keptAt !== this.#parsed) {
      this.#keptAt = this.#parsed;
      const ssrc = this.header.ssrc;
      let ring = this.#rings.get(ssrc);
      if (ring === undefined) this.#rings.set(ssrc, (ring = new PayloadRing()));
      this.keptSerial = ring.keep(this.mem.bytes, this.at + this.headerLength, this.at + this.length);
      this.#kept = this.keptSerial < 0 ? null : ring;
    }
    return this.#kept;
  }
}

/** The part of werift's StunProtocol the hook replaces. */
interface ProtocolLike {
  localCandidate?: unknown;
  datagramReceived(data: Buffer, addr: unknown): void;
}
interface NominatedLike {
  readonly protocol: unknown;
  packetsReceived: number;
  bytesReceived: number;
}
export interface IngressConnectionLike {
  readonly protocols: readonly unknown[];
  readonly nominated?: NominatedLike;
}

export interface IngressCounters {
  rtp: number;
  authFailed: number;
  replayed: number;
  malformed: number;
  /** Authenticated RTP the handler declined; werift handled it. */
  declined: number;
}

/** True for RTP and RTCP (RFC 7983: first byte 128-191). */
export function isSrtpOrSrtcp(first: number): boolean {
  return first > 127 && first < 192;
}

/** RTCP packet types 192-223 (RFC 5761 section 4), in the second byte. */
function isRtcpType(second: number): boolean {
  return second >= 192 && second <= 223;
}

export class MediaIngress {
  readonly packet: IngressPacket;
  readonly counters: IngressCounters = { rtp: 0, authFailed: 0, replayed: 0, malformed: 0, declined: 0 };
  readonly #srtp: SrtpContext;
  readonly #handle: (packet: IngressPacket) => boolean;
  readonly #connection: IngressConnectionLike;
  readonly #hooked = new Map<ProtocolLike, ProtocolLike["datagramReceived"]>();

  /**
   * `srtp` is the transport's receiving context (remote master key); `handle` gets every
   * authenticated RTP packet and returns false to hand it to werift instead.
   */
  constructor(connection: IngressConnectionLike, srtp: SrtpContext, handle: (packet: IngressPacket) => boolean, mem: Memory = sharedIngressMemory()) {
    this.#connection = connection;
    this.#srtp = srtp;
    this.#handle = handle;
    this.packet = new IngressPacket(mem);
  }

  /** Hooks every socket protocol the ICE agent has now (call again after gathering or an ICE restart). */
  install(): void {
    for (const p of this.#connection.protocols) {
      const protocol = p as ProtocolLike;
      if (typeof protocol.datagramReceived !== "function" || this.#hooked.has(protocol)) continue;
      const original = protocol.datagramReceived;
      this.#hooked.set(protocol, original);
      protocol.datagramReceived = (data: Buffer, addr: unknown) => {
        if (protocol.localCandidate !== undefined && this.#receive(data, protocol)) return;
        original.call(protocol, data, addr);
      };
    }
  }

  uninstall(): void {
    for (const [protocol, original] of this.#hooked) protocol.datagramReceived = original;
    this.#hooked.clear();
  }

  /** True when the datagram was handled here (forwarded or dropped), false to let werift have it. */
  #receive(data: Buffer, protocol: unknown): boolean {
    const length = data.length;
    if (length < 2 || !isSrtpOrSrtcp(data[0]!) || isRtcpType(data[1]!)) return false;
    const c = this.counters;
    if (length > MAX_DATAGRAM || length < 12) {
      c.malformed++;
      return true;
    }
    const mem = this.packet.mem;
    // Place the packet so that its payload starts at PAYLOAD_AT (the header is plaintext).
    const h = rtpHeaderLength(data, 0, length - this.#srtp.rtpOverhead);
    if (h < 0) {
      c.malformed++;
      return true;
    }
    const at = PAYLOAD_AT - h;
    if (at < 0) {
      c.malformed++;
      return true;
    }
    copy(data, 0, length, mem.bytes, at);
    const n = this.#srtp.unprotectRtp(mem, at, length);
    if (n < 0) {
      if (n === SRTP_AUTH_FAILED) c.authFailed++;
      else if (n === SRTP_REPLAYED) c.replayed++;
      else c.malformed++;
      return true;
    }
    if (!this.packet.parse(at, n)) {
      c.malformed++;
      return true;
    }
    c.rtp++;
    const pair = this.#connection.nominated;
    if (pair !== undefined && pair.protocol === protocol) {
      pair.packetsReceived++;
      pair.bytesReceived += length;
    }
    if (this.#handle(this.packet)) return true;
    c.declined++;
    return false;
  }
}

let shared: Memory | null = null;
/**
 * One buffer for every transport in this thread: a datagram is handled completely before the next
 * one is read, so they never overlap.
 */
export function sharedIngressMemory(): Memory {
  return (shared ??= new Memory(PAYLOAD_AT + MAX_DATAGRAM + 64));
}
