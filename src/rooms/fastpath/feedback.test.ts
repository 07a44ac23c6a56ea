import { expect, test } from "bun:test";
import { GenericNack, PictureLossIndication, RtcpPacketConverter, RtcpPayloadSpecificFeedback, RtcpRrPacket, RtcpTransportLayerFeedback } from "werift";
import { ReceptionStats, ntpMiddle, roundTripMs, writePli, writeReceiverReport } from "./feedback.ts";

const SSRC = 0x10203040;
const OURS = 0x0badf00d;

/** Packets 30 fps apart in RTP time, arriving exactly on time (no jitter). */
function feed(stats: ReceptionStats, seqs: number[], t0 = 0): void {
  for (const seq of seqs) stats.onPacket(seq & 0xffff, (seq * 3000) >>> 0, t0 + (seq * 1000) / 30);
}

function report(stats: ReceptionStats[], now = 10_000) {
  const b = new Uint8Array(1500);
  const n = writeReceiverReport(b, 0, OURS, stats, now);
  const [rr] = RtcpPacketConverter.deSerialize(Buffer.from(b.subarray(0, n))) as RtcpRrPacket[];
  return rr!;
}

test("receiver reports say what was lost, overall and since the last report, as werift reads them", () => {
  const stats = new ReceptionStats(SSRC, 90000, false);
  const seqs = [...Array(100).keys()].filter((s) => s % 10 !== 5);
  feed(stats, seqs);
  const rr = report([stats]);
  expect(rr.ssrc).toBe(OURS);
  const block = rr.reports[0]!;
  expect(block.ssrc).toBe(SSRC);
  expect(block.packetsLost).toBe(10);
  expect(block.fractionLost).toBe(Math.floor((10 * 256) / 100));
  expect(block.highestSequence).toBe(99);
  expect(block.jitter).toBe(0);
  feed(stats, [100, 101, 102]);
  const next = report([stats]).reports[0]!;
  expect(next.fractionLost).toBe(0);
  expect(next.packetsLost).toBe(10);
});

test("the extended highest sequence number counts wraps; LSR and DLSR come from the member's sender report", () => {
  const stats = new ReceptionStats(SSRC, 48000, false);
  feed(stats, [65533, 65534, 65535, 65536, 65537]);
  stats.onSenderReport(0x12345678, 9_000);
  const block = report([stats], 9_500).reports[0]!;
  expect(block.highestSequence).toBe(65536 + 1);
  expect(block.packetsLost).toBe(0);
  expect(block.lsr).toBe(0x12345678);
  expect(block.dlsr).toBe(65536 / 2);
});

test("a lost packet is NACKed after a short wait, again after a retry interval, at most three times; one that turns up is not", () => {
  const stats = new ReceptionStats(SSRC, 90000, true);
  for (const seq of [1, 2, 3, 4, 8, 9]) stats.onPacket(seq, seq * 3000, 100);
  // 6 arrives late: only 5 and 7 are missing.
  stats.onPacket(6, 6 * 3000, 101);
  const b = new Uint8Array(1500);
  expect(stats.nackDue(105)).toBe(false);
  expect(stats.writeNack(b, 0, OURS, 105)).toBe(0);
  const lost = (now: number) => {
    const n = stats.writeNack(b, 0, OURS, now);
    if (n === 0) return [];
    const [fb] = RtcpPacketConverter.deSerialize(Buffer.from(b.subarray(0, n))) as RtcpTransportLayerFeedback[];
    expect(fb!.feedback.count).toBe(GenericNack.count);
    const nack = fb!.feedback as GenericNack;
    expect(nack.senderSsrc).toBe(OURS);
    expect(nack.mediaSourceSsrc).toBe(SSRC);
    return nack.lost;
  };
  expect(stats.nackDue(111)).toBe(true);
  expect(lost(111)).toEqual([5, 7]);
  expect(lost(120)).toEqual([]);
  expect(lost(165)).toEqual([5, 7]);
  stats.onPacket(7, 7 * 3000, 170);
  expect(lost(220)).toEqual([5]);
  expect(lost(300)).toEqual([]);
  expect(stats.nackDue(400)).toBe(false);
});

/** The sequence numbers a NACK written now asks for ([] if none is due). */
function nacked(stats: ReceptionStats, now: number): number[] {
  const b = new Uint8Array(1500);
  const n = stats.writeNack(b, 0, OURS, now);
  if (n === 0) return [];
  const [fb] = RtcpPacketConverter.deSerialize(Buffer.from(b.subarray(0, n))) as RtcpTransportLayerFeedback[];
  return (fb!.feedback as GenericNack).lost;
}

test("retries wait for the member's round trip, learnt from the first NACK's answer; a packet given up is counted once", () => {
  const stats = new ReceptionStats(SSRC, 90000, true);
  // 300 ms round trip: 5 is NACKed at 20 and arrives at 320.
  for (const seq of [1, 2, 3, 4, 6]) stats.onPacket(seq, seq * 3000, 0);
  expect(nacked(stats, 20)).toEqual([5]);
  stats.onPacket(5, 5 * 3000, 320);
  expect(stats.rttMs).toBe(300);
  expect(stats.recovered).toBe(1);
  // 8 goes missing: no retry until a round trip (and a margin) has passed since the last NACK.
  stats.onPacket(7, 7 * 3000, 400);
  stats.onPacket(9, 9 * 3000, 410);
  expect(nacked(stats, 420)).toEqual([8]);
  expect(nacked(stats, 500)).toEqual([]);
  expect(nacked(stats, 700)).toEqual([]);
  expect(nacked(stats, 800)).toEqual([8]);
  expect(nacked(stats, 1180)).toEqual([8]);
  // The last try is given a round trip to be answered before the packet is written off.
  expect(stats.nackDue(1600)).toBe(false);
  expect(stats.expire(1500)).toBe(0);
  expect(stats.expire(1600)).toBe(1);
  expect(stats.expire(2000)).toBe(0);
  expect(stats.givenUp).toBe(1);
  expect(stats.nacked).toBe(4);
});

test("a receiver report's LSR and DLSR give the round trip that paces the retries before any NACK was answered", () => {
  // Our sender report went at t, the member held it 100 ms, its report arrived at t + 400.
  const t = 1_765_000_000_123;
  const lsr = ntpMiddle(t);
  const dlsr = Math.round(0.1 * 65536);
  expect(roundTripMs(lsr, dlsr, t + 400)).toBeCloseTo(300, 0);
  expect(roundTripMs(0, 0, t)).toBe(-1);
  const stats = new ReceptionStats(SSRC, 90000, true);
  stats.onRoundTrip(roundTripMs(lsr, dlsr, t + 400));
  stats.onRoundTrip(-5);
  stats.onRoundTrip(60_000);
  expect(stats.rttMs).toBeCloseTo(300, 0);
  for (const seq of [1, 2, 4]) stats.onPacket(seq, seq * 3000, 0);
  expect(nacked(stats, 20)).toEqual([3]);
  expect(nacked(stats, 300)).toEqual([]);
  expect(nacked(stats, 400)).toEqual([3]);
});

test("the gap after an outage is not NACKed (stale packets would fill the uplink as it comes back); the newest losses are kept first", () => {
  const stats = new ReceptionStats(SSRC, 90000, true);
  stats.onPacket(1, 0, 0);
  stats.onPacket(2, 0, 100);
  // 5 s of nothing, 300 packets gone.
  stats.onPacket(303, 0, 5100);
  expect(stats.nackDue(5200)).toBe(false);
  stats.onPacket(305, 0, 5120);
  expect(nacked(stats, 5200)).toEqual([304]);
  // More missing at once than the table holds: the oldest are left out.
  const full = new ReceptionStats(SSRC, 90000, true);
  full.onPacket(1000, 0, 0);
  full.onPacket(1200, 0, 10);
  const asked = nacked(full, 50);
  expect(asked.length).toBe(128);
  expect(asked.at(-1)).toBe(1199);
});

test("a NACK packs up to 17 losses per item (packet id and bitmask)", () => {
  const stats = new ReceptionStats(SSRC, 90000, true);
  stats.onPacket(100, 0, 0);
  stats.onPacket(140, 0, 0);
  const b = new Uint8Array(1500);
  const n = stats.writeNack(b, 0, OURS, 50);
  // 39 missing (101..139): 3 items of up to 17.
  expect(n).toBe(12 + 3 * 4);
  const [fb] = RtcpPacketConverter.deSerialize(Buffer.from(b.subarray(0, n))) as RtcpTransportLayerFeedback[];
  expect((fb!.feedback as GenericNack).lost).toEqual([...Array(39).keys()].map((i) => 101 + i));
});

test("a PLI names our SSRC and the member's", () => {
  const b = new Uint8Array(12);
  expect(writePli(b, 0, OURS, SSRC)).toBe(12);
  const [p] = RtcpPacketConverter.deSerialize(Buffer.from(b)) as RtcpPayloadSpecificFeedback[];
  expect(p!.feedback.count).toBe(PictureLossIndication.count);
  expect((p!.feedback as PictureLossIndication).senderSsrc).toBe(OURS);
  expect((p!.feedback as PictureLossIndication).mediaSsrc).toBe(SSRC);
});
