import { expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { RtcpPacketConverter, RtcpSourceDescriptionPacket, RtcpSrPacket, RtpHeader, RtpPacket, SrtcpSession, SrtpSession, UdpTransport } from "werift";
import { AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80, masterSaltLength, type SrtpProfile } from "./kdf.ts";
import { Memory } from "./libcrypto.ts";
import { MediaIngress, sharedIngressMemory } from "./ingress.ts";
import { DirectSink } from "./sink.ts";
import { SrtpContext } from "./srtp.ts";
import { IceUdpSender, type PacketSender } from "./udp.ts";

/** Keeps a copy of everything sent, as the subscriber would receive it. */
class Capture implements PacketSender {
  readonly packets: Buffer[] = [];
  send(mem: Memory, at: number, length: number): boolean {
    this.packets.push(Buffer.from(mem.bytes.subarray(at, at + length)));
    return true;
  }
}

function transport(profile: SrtpProfile = AEAD_AES_128_GCM) {
  const key = randomBytes(16);
  const salt = randomBytes(masterSaltLength(profile));
  const other = { key: randomBytes(16), salt: randomBytes(masterSaltLength(profile)) };
  // The subscriber's werift: its remote keys are our local ones.
  const config = { keys: { localMasterKey: other.key, localMasterSalt: other.salt, remoteMasterKey: key, remoteMasterSalt: salt }, profile };
  return { ours: new SrtpContext(profile, key, salt), srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}

function load(mem: Memory, bytes: Uint8Array): number {
  mem.bytes.set(bytes);
  return bytes.length;
}

function packet(seq: number, ts: number, size = 100): RtpPacket {
  return new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: 0x5151, marker: false }), randomBytes(size));
}

for (const profile of [AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80] as const) {
  test(`the subscriber's werift opens what the sink sends (profile ${profile}); a stream switch keeps sequence and timestamp continuous`, () => {
    const t = transport(profile);
    const capture = new Capture();
    const sink = new DirectSink({ ssrc: 0xcafe0001, payloadType: 100, kind: "video", clockRate: 90000, srtp: t.ours, sender: capture });
    const sent = [packet(500, 90000), packet(501, 93000), packet(502, 96000)];
    for (const p of sent) sink.send(p);
    sink.restart();
    // Another layer: unrelated sequence numbers and timestamps.
    sink.send(packet(30000, 5_000_000));
    sink.send(packet(30001, 5_003_000));
    const got = capture.packets.map((b) => RtpPacket.deSerialize(t.srtp.decrypt(b)));
    expect(got.map((p) => p.header.sequenceNumber)).toEqual([500, 501, 502, 503, 504]);
    expect(got.map((p) => p.header.timestamp)).toEqual([90000, 93000, 96000, 99000, 102000]);
    expect(new Set(got.map((p) => p.header.ssrc))).toEqual(new Set([0xcafe0001]));
    expect(new Set(got.map((p) => p.header.payloadType))).toEqual(new Set([100]));
    expect(got[1]!.payload).toEqual(sent[1]!.payload);
    expect(sink.packets).toBe(5);
  });
}

test("NACKed packets go again byte for byte, from the kept history only", () => {
  const t = transport();
  const capture = new Capture();
  const sink = new DirectSink({ ssrc: 7, payloadType: 96, kind: "video", clockRate: 90000, srtp: t.ours, sender: capture, history: 16 });
  for (let seq = 0; seq < 40; seq++) sink.send(packet(seq, seq * 3000));
  const original = capture.packets.slice();
  capture.packets.length = 0;
  // PID 30, bitmask: 31 and 33. 20 has been overwritten in a 16-packet history.
  expect(sink.nack(30, 0b101)).toBe(3);
  expect(capture.packets).toEqual([original[30]!, original[31]!, original[33]!]);
  expect(sink.resend(20)).toBe(false);
  expect(sink.retransmitted).toBe(3);
  // The same bytes again would be a replay to werift's SRTP only if it had them; a lost one opens.
  expect(RtpPacket.deSerialize(t.srtp.decrypt(capture.packets[0]!)).header.sequenceNumber).toBe(30);
});

for (const profile of [AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80] as const) {
  test(`NACKs on packets from the fast ingress: each consumer resends its own first bytes from the stream's shared payloads (profile ${profile})`, () => {
    // What the member sends is sealed here with the member's key, which the ingress opens.
    const memberKey = randomBytes(16);
    const memberSalt = randomBytes(masterSaltLength(profile));
    const seal = new SrtpContext(profile, memberKey, memberSalt);
    const protocol = { localCandidate: {}, datagramReceived: (_data: Buffer) => {} };
    const subscribers = [0, 1].map((i) => {
      const t = transport(profile);
      const capture = new Capture();
      const mid = { mid: { id: 1, value: String(i) }, absSendTimeId: 2 };
      const sink = new DirectSink({ ssrc: 0x100 + i, payloadType: 96, kind: "video", clockRate: 90000, srtp: t.ours, sender: capture, extensions: mid });
      return { t, capture, sink };
    });
    const ingress = new MediaIngress({ protocols: [protocol] }, new SrtpContext(profile, memberKey, memberSalt), (p) => {
      for (const s of subscribers) s.sink.send(p);
      return true;
    });
    ingress.install();
    const wire = new Memory(2048);
    const payloads: Buffer[] = [];
    for (let seq = 0; seq < 100; seq++) {
      const p = packet(seq, seq * 3000, 900 + seq);
      payloads.push(p.payload);
      const n = seal.protectRtp(wire, 0, load(wire, p.serialize()));
      protocol.datagramReceived(Buffer.from(wire.bytes.subarray(0, n)));
    }
    ingress.uninstall();
    for (const { t, capture, sink } of subscribers) {
      const original = capture.packets.slice();
      capture.packets.length = 0;
      // 99 back to 36 are kept (64 packets); 35 is gone.
      expect(sink.nack(90, 0b1001)).toBe(3);
      expect(sink.resend(36)).toBe(true);
      expect(sink.resend(35)).toBe(false);
      expect(capture.packets).toEqual([original[90]!, original[91]!, original[94]!, original[36]!]);
      expect(RtpPacket.deSerialize(t.srtp.decrypt(capture.packets[0]!)).payload).toEqual(payloads[90]!);
      expect(sink.retransmitted).toBe(4);
    }
    // Two consumers, different keys and headers: different bytes for the same packet.
    expect(subscribers[0]!.capture.packets[0]).not.toEqual(subscribers[1]!.capture.packets[0]);
  });
}

test("a retransmission is not sent when the rebuilt bytes would differ from the first ones", () => {
  const t = transport();
  const capture = new Capture();
  const sink = new DirectSink({ ssrc: 9, payloadType: 96, kind: "video", clockRate: 90000, srtp: t.ours, sender: capture, history: 16 });
  const p = packet(1, 3000);
  sink.send(p);
  // The same RtpPacket object again with other contents: the payload kept for the first stands
  // in for the second's, so rebuilding seq 2 would give other bytes under seq 2's nonce.
  p.header.sequenceNumber = 2;
  p.payload = randomBytes(100);
  sink.send(p);
  capture.packets.length = 0;
  expect(sink.resend(2)).toBe(false);
  expect(sink.resend(1)).toBe(true);
  expect(capture.packets.length).toBe(1);
  expect(sink.retransmitted).toBe(1);
});

test("sender reports carry the counters, the SSRC and the CNAME, and werift opens them", () => {
  const t = transport();
  const capture = new Capture();
  const sink = new DirectSink({ ssrc: 0x77, payloadType: 111, kind: "audio", clockRate: 48000, srtp: t.ours, sender: capture, cname: "hearth" });
  expect(sink.sendReport()).toBe(false);
  for (let seq = 0; seq < 10; seq++) sink.send(packet(seq, seq * 960, 60));
  capture.packets.length = 0;
  expect(sink.sendReport()).toBe(true);
  const packets = RtcpPacketConverter.deSerialize(t.srtcp.decrypt(capture.packets[0]!));
  const sr = packets[0] as RtcpSrPacket;
  expect(sr.ssrc).toBe(0x77);
  expect(sr.senderInfo.packetCount).toBe(10);
  expect(sr.senderInfo.octetCount).toBe(600);
  // Within a few ms of the last packet: the RTP clock has barely moved on from 9 * 960.
  expect(sr.senderInfo.rtpTimestamp - 9 * 960).toBeGreaterThanOrEqual(0);
  expect(sr.senderInfo.rtpTimestamp - 9 * 960).toBeLessThan(48000);
  const sdes = packets[1] as RtcpSourceDescriptionPacket;
  expect(sdes.chunks[0]!.items[0]!.text).toBe("hearth");
});

/**
 * Forwards `count` packets through the whole fast path (ingress decrypt, rewrite, encrypt, sendto on a
 * real socket) and returns how much the JS heap's capacity grew. `extra` runs once per packet.
 */
async function forwardAndMeasure(count: number, extra: () => void, red = false): Promise<number> {
  const receiver = createSocket("udp4");
  receiver.on("message", () => {});
  await new Promise<void>((r) => receiver.bind(0, "127.0.0.1", r));
  const udp = await UdpTransport.init("udp4", {});
  const pair = { protocol: { transport: udp }, remoteAddr: ["127.0.0.1", receiver.address().port] as const, packetsSent: 0, bytesSent: 0 };
  const connection = { nominated: pair, canSendApplicationData: () => true };
  const sender = new IceUdpSender(connection, new Memory(32));
  const sink = red
    ? new DirectSink({ ssrc: 0x42, payloadType: 111, redIn: 63, redOut: -1, kind: "audio", clockRate: 48000, srtp: transport().ours, sender })
    : new DirectSink({ ssrc: 0x42, payloadType: 96, kind: "video", clockRate: 90000, srtp: transport().ours, sender });
  // What the member sends is sealed here with the member's key, which the ingress opens.
  const memberKey = randomBytes(16);
  const memberSalt = randomBytes(12);
  const seal = new SrtpContext(AEAD_AES_128_GCM, memberKey, memberSalt);
  const inbound = new SrtpContext(AEAD_AES_128_GCM, memberKey, memberSalt);
  const protocol = { localCandidate: {}, datagramReceived: (_data: Buffer) => {} };
  const ingress = new MediaIngress({ protocols: [protocol] }, inbound, (p) => {
    sink.send(p);
    return true;
  });
  ingress.install();
  // RED: one redundant block (F bit, Opus, offset 960, 80 bytes) and the primary header, then 160 bytes of frames.
  const template = red
    ? new RtpPacket(new RtpHeader({ payloadType: 63, sequenceNumber: 0, timestamp: 0, ssrc: 0x5151 }), Buffer.concat([Buffer.from([0xef, 0x0f, 0x00, 80, 111]), randomBytes(160)])).serialize()
    : packet(0, 0, 1100).serialize();
  const wire = new Memory(2048);
  const datagram = Buffer.from(wire.bytes.buffer, 0, template.length + seal.rtpOverhead);
  const round = (seq: number) => {
    wire.bytes.set(template);
    wire.bytes[2] = seq >> 8;
    wire.bytes[3] = seq & 0xff;
    seal.protectRtp(wire, 0, template.length);
    protocol.datagramReceived(datagram);
    extra();
  };
  for (let i = 0; i < 2000; i++) round(i & 0xffff);
  Bun.gc(true);
  const before = process.memoryUsage().heapTotal;
  for (let i = 2000; i < 2000 + count; i++) round(i & 0xffff);
  const grown = process.memoryUsage().heapTotal - before;
  expect(ingress.counters.rtp).toBe(2000 + count);
  expect(sink.packets).toBe(2000 + count);
  if (red) expect(sink.octets).toBe((2000 + count) * 80);
  expect(pair.packetsSent).toBe(2000 + count);
  expect(sender.path).toBe("sendto");
  ingress.uninstall();
  receiver.close();
  await udp.close();
  expect(sharedIngressMemory()).toBe(ingress.packet.mem);
  return grown;
}

const PACKETS = 100_000;
/** Less than 3 bytes a packet: one small object per packet is 32 bytes or more. */
const BOUND = 256 * 1024;

// The heap's capacity only says something in a process whose heap earlier test files did not
// already grow (seen in CI: 100k kept objects moved it by 0 bytes there), so the two heap tests
// run in a `bun test` process of their own, which the test below starts.
const OWN_PROCESS = process.env.HEARTH_HEAP_TEST === "1";

test.skipIf(OWN_PROCESS)("the heap tests pass in a process of their own", () => {
  const child = Bun.spawnSync([process.execPath, "test", import.meta.path, "-t", "heap:", "--timeout", "60000"], {
    env: { ...process.env, HEARTH_HEAP_TEST: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const out = child.stdout.toString() + child.stderr.toString();
  expect(out).toContain(" 3 pass");
  expect(child.exitCode, out).toBe(0);
}, 120_000);

test.skipIf(!OWN_PROCESS)("heap: forwarding 100k packets (decrypt, rewrite, encrypt, send) does not grow the heap", async () => {
  expect(await forwardAndMeasure(PACKETS, () => {})).toBeLessThan(BOUND);
});

test.skipIf(!OWN_PROCESS)("heap: forwarding 100k RED packets stripped to their Opus primary does not grow the heap", async () => {
  expect(await forwardAndMeasure(PACKETS, () => {}, true)).toBeLessThan(BOUND);
});

test.skipIf(!OWN_PROCESS)("heap: the measurement sees one small object per packet", async () => {
  // Kept, not dropped: a dropped object per packet may be collected before the measurement on a
  // busy machine (seen once in CI), and then the control says nothing about the measurement.
  const kept: { packet: number }[] = [];
  const grown = await forwardAndMeasure(PACKETS, () => {
    kept.push({ packet: kept.length });
  });
  expect(kept.length).toBe(PACKETS + 2000);
  expect(grown).toBeGreaterThan(BOUND);
});
