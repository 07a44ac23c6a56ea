import { writeU32 } from "./rtp.ts";

/**
 * What werift's RTCRtpReceiver does for an upstream stream and stops doing once the fast ingress
 * takes its packets: reception statistics for receiver reports (RFC 3550 A.1, A.3, A.8), so the
 * member's browser keeps its loss-based send estimate, and lost-packet tracking for generic NACKs
 * (RFC 4585), so upstream loss is repaired before subscribers see it. Per packet: a few counters
 * and, only while packets are missing, a scan of a small fixed table. Reports and NACKs are
 * written into caller-provided bytes, to be protected with SRTCP and sent on the same transport.
 */

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Missing packets tracked at once; a gap larger than this is a dropout, not something to NACK. */
const MISSING = 128;
/** Before the first NACK for a packet (reordering on a LAN is sub-millisecond) and between retries. */
const NACK_DELAY_MS = 10;
const NACK_RETRY_MS = 50;
const NACK_TRIES = 3;
/**
 * A retry sooner than the member's round trip is wasted: Chromium resends a packet at most once
 * per round trip (it ignores the NACKs between), so on a 300 ms link all three tries used to go
 * within 110 ms, one retransmission was all a packet got, and the ~19% of those lost again on a
 * 10%-each-way link broke the subscribers' pictures until their own keyframe request, seconds
 * later. The round trip is learnt from the NACKs themselves (first NACK to the packet's arrival).
 */
const RETRY_RTT_FACTOR = 1.25;
/**
 * A gap after this much silence is an outage (a loss burst), not loss to repair: its packets are
 * stale, their frames broken anyway (the SFU asks for a keyframe when the layer resumes, router.ts),
 * and resending them would fill the member's uplink just when it comes back.
 */
const OUTAGE_MS = 1000;
/** A round trip beyond this is a stale report or a clock step, not a link. */
const MAX_RTT_MS = 5000;
const NTP_UNIX_OFFSET_S = 2208988800;

/** The middle 32 bits of the NTP time of a Unix time in ms, as a sender report's LSR echoes it. */
export function ntpMiddle(unixMs: number): number {
  const seconds = Math.floor(unixMs / 1000) + NTP_UNIX_OFFSET_S;
  const fraction = Math.floor(((unixMs % 1000) / 1000) * 65536);
  return (((seconds & 0xffff) << 16) | fraction) >>> 0;
}

/**
 * The round trip a report block gives (RFC 3550 6.4.1: arrival minus LSR minus DLSR), in ms, for
 * a report that arrived at `unixMs`; -1 if the block echoes no sender report of ours.
 */
export function roundTripMs(lsr: number, dlsr: number, unixMs: number): number {
  if (lsr === 0) return -1;
  return (((ntpMiddle(unixMs) - lsr - dlsr) >>> 0) * 1000) / 65536;
}

export class ReceptionStats {
  /** Packets received (duplicates included, as RFC 3550 counts). */
  received = 0;
  #started = false;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = -1;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #jitter = 0;
  #transit = 0;
  #lastSr = 0;
  #lastSrAt = 0;
  readonly #missing = new Int32Array(MISSING).fill(-1);
  readonly #missingSince = new Float64Array(MISSING);
  readonly #nackedAt = new Float64Array(MISSING);
  readonly #tries = new Uint8Array(MISSING);
  #missingCount = 0;
  #lastArrival = 0;
  /** Smoothed round trip from a first NACK to the packet's arrival; 0 until one was seen. */
  rttMs = 0;
  /**
   * Counters: packets NACKed (each try), NACKed packets that arrived while still tracked, packets
   * given up after the last try, and packets that arrived behind the highest (retransmissions, or reordered).
   */
  late = 0;
  nacked = 0;
  recovered = 0;
  givenUp = 0;

  constructor(
    readonly ssrc: number,
    readonly clockRate: number,
    /** Track losses for NACK (video with nack negotiated). */
    readonly nack: boolean,
  ) {}

  /** One packet, with its arrival time in ms (performance.now()). */
  onPacket(seq: number, rtpTimestamp: number, arrivalMs: number): void {
    if (!this.#started) {
      this.#restart(seq);
    } else {
      const delta = (seq - this.#maxSeq) & 0xffff;
      if (delta > 0 && delta < MAX_DROPOUT) {
        if (this.nack && delta > 1 && arrivalMs - this.#lastArrival < OUTAGE_MS) this.#lost(this.#maxSeq, delta, arrivalMs);
        if (seq < this.#maxSeq) this.#cycles += 65536;
        this.#maxSeq = seq;
      } else if (delta >= MAX_DROPOUT && delta <= 65536 - MAX_MISORDER) {
        // A big jump: a restarted sender if the next packet follows it, else a stray packet.
        if (seq !== this.#badSeq) {
          this.#badSeq = (seq + 1) & 0xffff;
          return;
        }
        this.#restart(seq);
      } else {
        this.late++;
        if (this.#missingCount > 0) this.#found(seq, arrivalMs);
      }
    }
    this.#lastArrival = arrivalMs;
    this.received++;
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - rtpTimestamp;
    if (this.received > 1) {
      // Timestamps are 32-bit: a transit difference beyond half the range is a wrap, not jitter.
      let d = Math.abs(transit - this.#transit);
      if (d > 2147483648) d = Math.abs(d - 4294967296);
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
  }

  #restart(seq: number): void {
    this.#started = true;
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#cycles = 0;
    this.#badSeq = -1;
    this.received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
    this.#missing.fill(-1);
    this.#missingCount = 0;
  }

  #lost(from: number, delta: number, now: number): void {
    // The newest first: if the table is full, the oldest are the ones left out.
    for (let k = delta - 1; k >= 1; k--) {
      const slot = this.#missing.indexOf(-1);
      if (slot < 0) return;
      this.#missing[slot] = (from + k) & 0xffff;
      this.#missingSince[slot] = now;
      this.#nackedAt[slot] = 0;
      this.#tries[slot] = 0;
      this.#missingCount++;
    }
  }

  /** A round trip to the member measured otherwise (its receiver report on what we send it). */
  onRoundTrip(ms: number): void {
    if (!(ms > 0 && ms < MAX_RTT_MS)) return;
    this.rttMs = this.rttMs === 0 ? ms : this.rttMs + (ms - this.rttMs) / 8;
  }

  #found(seq: number, now: number): void {
    const slot = this.#missing.indexOf(seq);
    if (slot >= 0) {
      this.#missing[slot] = -1;
      this.#missingCount--;
      if (this.#tries[slot]! > 0) {
        this.recovered++;
        // Only an answer to the first NACK is an unambiguous round trip.
        if (this.#tries[slot] === 1) this.onRoundTrip(now - this.#nackedAt[slot]!);
      }
    }
  }

  /** The member's sender report arrived: the middle 32 bits of its NTP time, for LSR/DLSR. */
  onSenderReport(ntpMiddle: number, arrivalMs: number): void {
    this.#lastSr = ntpMiddle >>> 0;
    this.#lastSrAt = arrivalMs;
  }

  /** Writes this stream's 24-byte report block at b[at..] (RFC 3550 6.4.1) and opens the next interval. */
  writeReportBlock(b: Uint8Array, at: number, nowMs: number): number {
    const extendedMax = this.#cycles + this.#maxSeq;
    const expected = this.#started ? extendedMax - this.#baseSeq + 1 : 0;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    writeU32(b, at, this.ssrc);
    writeU32(b, at + 4, ((fraction << 24) | (lost & 0xffffff)) >>> 0);
    writeU32(b, at + 8, extendedMax >>> 0);
    writeU32(b, at + 12, Math.floor(this.#jitter) >>> 0);
    writeU32(b, at + 16, this.#lastSr);
    const dlsr = this.#lastSr === 0 ? 0 : Math.min(0xffffffff, Math.floor(((nowMs - this.#lastSrAt) / 1000) * 65536));
    writeU32(b, at + 20, dlsr >>> 0);
    return 24;
  }

  /** Packets waiting for a NACK now (first one due, or a retry due). */
  nackDue(nowMs: number): boolean {
    if (this.#missingCount === 0) return false;
    for (let i = 0; i < MISSING; i++) if (this.#missing[i]! >= 0 && this.#tries[i]! < NACK_TRIES && this.#due(i, nowMs)) return true;
    return false;
  }

  #due(i: number, nowMs: number): boolean {
    return this.#nackedAt[i] === 0 ? nowMs - this.#missingSince[i]! >= NACK_DELAY_MS : nowMs - this.#nackedAt[i]! >= this.retryMs;
  }

  /** Between two NACKs of a packet, and after the last one before it is given up. */
  get retryMs(): number {
    return Math.max(NACK_RETRY_MS, this.rttMs * RETRY_RTT_FACTOR);
  }

  /**
   * Forgets the packets whose last NACK went unanswered for a retry interval; returns how many:
   * each is a hole in what the subscribers get, so their pictures are broken until a keyframe.
   */
  expire(nowMs: number): number {
    if (this.#missingCount === 0) return 0;
    let n = 0;
    for (let i = 0; i < MISSING; i++) {
      if (this.#missing[i]! < 0 || this.#tries[i]! < NACK_TRIES || !this.#due(i, nowMs)) continue;
      this.#missing[i] = -1;
      this.#missingCount--;
      n++;
    }
    this.givenUp += n;
    return n;
  }

  /**
   * Writes a generic NACK (RTCP PT 205, FMT 1) for the packets due at b[at..]; returns its length,
   * 0 if none is due. Each packet is asked for at most NACK_TRIES times, then given up.
   */
  writeNack(b: Uint8Array, at: number, senderSsrc: number, nowMs: number): number {
    if (this.#missingCount === 0) return 0;
    // Due packets, by how far back from the highest sequence number they are, oldest first.
    const order = this.#order;
    let n = 0;
    for (let i = 0; i < MISSING; i++) {
      const seq = this.#missing[i]!;
      if (seq < 0 || this.#tries[i]! >= NACK_TRIES || !this.#due(i, nowMs)) continue;
      const back = (this.#maxSeq - seq) & 0xffff;
      let j = n++;
      while (j > 0 && ((this.#maxSeq - this.#missing[order[j - 1]!]!) & 0xffff) < back) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }
    if (n === 0) return 0;
    let o = at + 12;
    let pid = -1;
    let blp = 0;
    for (let k = 0; k < n && o + 8 <= b.length; k++) {
      const i = order[k]!;
      const seq = this.#missing[i]!;
      this.#nackedAt[i] = nowMs;
      this.#tries[i]!++;
      this.nacked++;
      const offset = (seq - pid) & 0xffff;
      if (pid >= 0 && offset >= 1 && offset <= 16) {
        blp |= 1 << (offset - 1);
        continue;
      }
      if (pid >= 0) o = fci(b, o, pid, blp);
      pid = seq;
      blp = 0;
    }
    o = fci(b, o, pid, blp);
    const length = o - at;
    b[at] = 0x81;
    b[at + 1] = 205;
    b[at + 2] = ((length / 4 - 1) >> 8) & 0xff;
    b[at + 3] = (length / 4 - 1) & 0xff;
    writeU32(b, at + 4, senderSsrc);
    writeU32(b, at + 8, this.ssrc);
    return length;
  }

  readonly #order = new Int32Array(MISSING);

  /** Packets lost so far (expected minus received), as the next report would say. */
  get lost(): number {
    return this.#started ? this.#cycles + this.#maxSeq - this.#baseSeq + 1 - this.received : 0;
  }
}

function fci(b: Uint8Array, o: number, pid: number, blp: number): number {
  b[o] = pid >> 8;
  b[o + 1] = pid & 0xff;
  b[o + 2] = blp >> 8;
  b[o + 3] = blp & 0xff;
  return o + 4;
}

/** Writes a receiver report (RTCP PT 201) with a block per stream (at most 31) at b[at..]; returns its length. */
export function writeReceiverReport(b: Uint8Array, at: number, senderSsrc: number, streams: readonly ReceptionStats[], nowMs: number): number {
  const count = Math.min(31, streams.length);
  let o = at + 8;
  for (let i = 0; i < count; i++) o += streams[i]!.writeReportBlock(b, o, nowMs);
  const words = (o - at) / 4 - 1;
  b[at] = 0x80 | count;
  b[at + 1] = 201;
  b[at + 2] = words >> 8;
  b[at + 3] = words & 0xff;
  writeU32(b, at + 4, senderSsrc);
  return o - at;
}

/** Writes a picture loss indication (RTCP PT 206, FMT 1) at b[at..]; returns its length (12). */
export function writePli(b: Uint8Array, at: number, senderSsrc: number, mediaSsrc: number): number {
  b[at] = 0x81;
  b[at + 1] = 206;
  b[at + 2] = 0;
  b[at + 3] = 2;
  writeU32(b, at + 4, senderSsrc);
  writeU32(b, at + 8, mediaSsrc);
  return 12;
}
