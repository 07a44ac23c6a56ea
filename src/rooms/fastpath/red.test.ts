import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { RtpHeader, RtpPacket, SrtpSession } from "werift";
import { AEAD_AES_128_GCM, masterSaltLength } from "./kdf.ts";
import { Memory } from "./libcrypto.ts";
import { MediaIngress } from "./ingress.ts";
import { redPrimaryStart } from "./red.ts";
import { DirectSink } from "./sink.ts";
import { SrtpContext } from "./srtp.ts";
import type { PacketSender } from "./udp.ts";

const OPUS = 111;
const RED = 63;
const AUDIO_LEVEL = 1;

/** An RFC 2198 payload: redundant blocks (4-byte headers, F set), the primary header, then the data in order. */
function redPayload(redundant: { ts: number; data: Uint8Array }[], primary: Uint8Array, primaryType = OPUS): Buffer {
  const headers: number[] = [];
  for (const r of redundant) headers.push(0x80 | OPUS, (r.ts >> 6) & 0xff, ((r.ts & 0x3f) << 2) | (r.data.length >> 8), r.data.length & 0xff);
  headers.push(primaryType);
  return Buffer.concat([Buffer.from(headers), ...redundant.map((r) => Buffer.from(r.data)), Buffer.from(primary)]);
}

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

test("the primary block is found after one and after two redundant blocks", () => {
  const one = redPayload([{ ts: 960, data: frame(40, 1) }], frame(50, 2));
  expect(redPrimaryStart(one, 0, one.length, OPUS)).toBe(4 + 1 + 40);
  expect([...one.subarray(45)]).toEqual([...frame(50, 2)]);
  const two = redPayload(
    [
      { ts: 1920, data: frame(300, 3) },
      { ts: 960, data: frame(7, 4) },
    ],
    frame(9, 5),
  );
  expect(redPrimaryStart(two, 0, two.length, OPUS)).toBe(8 + 1 + 307);
  expect(redPrimaryStart(two, 0, two.length, -1)).toBe(316);
  // Inside a larger buffer, at an offset.
  const inside = Buffer.concat([Buffer.alloc(10, 0xee), two, Buffer.alloc(5, 0xee)]);
  expect(redPrimaryStart(inside, 10, 10 + two.length, OPUS)).toBe(10 + 316);
  // No redundancy (the first packet of a stream): a 1-byte header and the frame.
  const none = redPayload([], frame(20, 6));
  expect(redPrimaryStart(none, 0, none.length, OPUS)).toBe(1);
});

test("malformed RED is refused without throwing: truncated, lengths past the end, empty primary, other primary type, endless chains", () => {
  const good = redPayload([{ ts: 960, data: frame(40, 1) }], frame(50, 2));
  for (let cut = 0; cut <= 45; cut++) expect(redPrimaryStart(good, 0, cut, OPUS)).toBe(-1);
  expect(redPrimaryStart(good, 0, 46, OPUS)).toBe(45);
  // A redundant block longer than what follows.
  const long = Buffer.from(good);
  long[3] = 0xff;
  long[2]! |= 0x03;
  expect(redPrimaryStart(long, 0, long.length, OPUS)).toBe(-1);
  // Empty primary.
  const empty = redPayload([{ ts: 960, data: frame(40, 1) }], new Uint8Array(0));
  expect(redPrimaryStart(empty, 0, empty.length, OPUS)).toBe(-1);
  // The primary is not Opus.
  const other = redPayload([{ ts: 960, data: frame(4, 1) }], frame(10, 2), 13);
  expect(redPrimaryStart(other, 0, other.length, OPUS)).toBe(-1);
  // Only F-bit headers, never a primary one.
  const chain = Buffer.alloc(400);
  for (let i = 0; i < 400; i += 4) chain.set([0x80 | OPUS, 0, 0, 0], i);
  expect(redPrimaryStart(chain, 0, chain.length, OPUS)).toBe(-1);
  expect(redPrimaryStart(Buffer.alloc(0), 0, 0, OPUS)).toBe(-1);
});

class Capture implements PacketSender {
  readonly packets: Buffer[] = [];
  send(mem: Memory, at: number, length: number): boolean {
    this.packets.push(Buffer.from(mem.bytes.subarray(at, at + length)));
    return true;
  }
}

/** A consumer's sink and the subscriber's werift SRTP that opens what it sends. */
function subscriber(redOut: number, history = 0) {
  const key = randomBytes(16);
  const salt = randomBytes(masterSaltLength(AEAD_AES_128_GCM));
  const other = { key: randomBytes(16), salt: randomBytes(masterSaltLength(AEAD_AES_128_GCM)) };
  const srtp = new SrtpSession({
    keys: { localMasterKey: other.key, localMasterSalt: other.salt, remoteMasterKey: key, remoteMasterSalt: salt },
    profile: AEAD_AES_128_GCM,
  });
  const capture = new Capture();
  const sink = new DirectSink({
    ssrc: 0x500 + redOut + 1,
    payloadType: OPUS,
    redIn: RED,
    redOut,
    kind: "audio",
    clockRate: 48000,
    srtp: new SrtpContext(AEAD_AES_128_GCM, key, salt),
    sender: capture,
    extensions: { keep: [AUDIO_LEVEL] },
    history,
  });
  const got = () => capture.packets.map((b) => RtpPacket.deSerialize(srtp.decrypt(b)));
  return { sink, capture, got };
}

/** A member's packet as Chromium sends it: audio level extension, and optionally 4 bytes of padding. */
function memberPacket(seq: number, payloadType: number, payload: Buffer, padding: boolean): Buffer {
  const header = new RtpHeader({ payloadType, sequenceNumber: seq, timestamp: seq * 960, ssrc: 0x7070, marker: false });
  header.extensionProfile = 0xbede;
  header.extensions = [{ id: AUDIO_LEVEL, payload: Buffer.from([0x80 | 30]) }];
  const bytes = new RtpPacket(header, payload).serialize();
  if (!padding) return bytes;
  const padded = Buffer.concat([bytes, Buffer.from([0, 0, 0, 4])]);
  padded[0]! |= 0x20;
  return padded;
}

/** Feeds raw member packets through the fast ingress (the member's SRTP opened there) to the sinks. */
function throughIngress(packets: Buffer[], sinks: DirectSink[]): void {
  const key = randomBytes(16);
  const salt = randomBytes(masterSaltLength(AEAD_AES_128_GCM));
  const seal = new SrtpContext(AEAD_AES_128_GCM, key, salt);
  const protocol = { localCandidate: {}, datagramReceived: (_data: Buffer) => {} };
  const ingress = new MediaIngress({ protocols: [protocol] }, new SrtpContext(AEAD_AES_128_GCM, key, salt), (p) => {
    for (const s of sinks) s.send(p);
    return true;
  });
  ingress.install();
  const wire = new Memory(2048);
  for (const p of packets) {
    wire.bytes.set(p);
    const n = seal.protectRtp(wire, 0, p.length);
    protocol.datagramReceived(Buffer.from(wire.bytes.subarray(0, n)));
  }
  ingress.uninstall();
}

test("RED from the fast ingress goes out as RED to a subscriber that negotiated it, and as its Opus primary to one that did not", () => {
  const withRed = subscriber(RED);
  const without = subscriber(-1);
  const reds = [0, 1, 2].map((i) => redPayload(i === 0 ? [] : [{ ts: 960, data: frame(30 + i, i) }], frame(60 + i, 0x40 + i)));
  const packets = [
    memberPacket(10, RED, reds[0]!, false),
    memberPacket(11, RED, reds[1]!, true),
    memberPacket(12, RED, reds[2]!, false),
    // A member that sends plain Opus reaches both as Opus.
    memberPacket(13, OPUS, Buffer.from(frame(70, 9)), true),
  ];
  throughIngress(packets, [withRed.sink, without.sink]);

  const red = withRed.got();
  expect(red.map((p) => p.header.payloadType)).toEqual([RED, RED, RED, OPUS]);
  expect(red.slice(0, 3).map((p) => Buffer.from(p.payload))).toEqual(reds.map((r) => Buffer.from(r)));
  // Forwarded whole: the padding goes with it.
  expect(red[1]!.header.padding).toBe(true);
  expect(red[1]!.header.paddingSize).toBe(4);

  const plain = without.got();
  expect(plain.map((p) => p.header.payloadType)).toEqual([OPUS, OPUS, OPUS, OPUS]);
  expect(plain.map((p) => Buffer.from(p.payload))).toEqual([0, 1, 2].map((i) => Buffer.from(frame(60 + i, 0x40 + i))).concat([Buffer.from(frame(70, 9))]));
  // The primary block is the end of the data: the padding after it is dropped, and the P bit with it.
  expect(plain[1]!.header.padding).toBe(false);
  expect(plain[3]!.header.padding).toBe(true);
  for (const p of [...red, ...plain]) {
    expect(p.header.extensions.find((e) => e.id === AUDIO_LEVEL)?.payload).toEqual(Buffer.from([0x80 | 30]));
  }
  expect(plain.map((p) => p.header.sequenceNumber)).toEqual([10, 11, 12, 13]);
  // Sender report octets count what went out.
  expect(without.sink.octets).toBe(60 + 61 + 62 + 70);
  expect(withRed.sink.octets).toBe(reds.reduce((n, r) => n + r.length, 0) + 70);
});

test("a malformed RED packet is dropped for a subscriber without RED and forwarded unchanged to one with it", () => {
  const withRed = subscriber(RED);
  const without = subscriber(-1);
  const broken = Buffer.from([0x80 | OPUS, 0, 0x0f, 0xff, 1, 2, 3]);
  throughIngress([memberPacket(20, RED, broken, false), memberPacket(21, RED, redPayload([], frame(10, 1)), false)], [withRed.sink, without.sink]);
  expect(without.sink.dropped).toBe(1);
  expect(without.got().map((p) => p.header.sequenceNumber)).toEqual([21]);
  expect(withRed.got().map((p) => Buffer.from(p.payload))).toEqual([broken, Buffer.from(redPayload([], frame(10, 1)))]);
});

test("werift's RtpPacket (a stream's first packet) is stripped the same way", () => {
  const without = subscriber(-1);
  const payload = redPayload([{ ts: 960, data: frame(12, 1) }], frame(33, 7));
  without.sink.send(new RtpPacket(new RtpHeader({ payloadType: RED, sequenceNumber: 5, timestamp: 4800, ssrc: 1 }), payload));
  const [p] = without.got();
  expect(p!.header.payloadType).toBe(OPUS);
  expect(Buffer.from(p!.payload)).toEqual(Buffer.from(frame(33, 7)));
});

test("a NACK history never resends a stripped packet from the stream's whole RED payload", () => {
  const withRed = subscriber(RED, 16);
  const without = subscriber(-1, 16);
  throughIngress(
    [0, 1, 2].map((i) => memberPacket(30 + i, RED, redPayload([{ ts: 960, data: frame(8, i) }], frame(20, i)), false)),
    [withRed.sink, without.sink],
  );
  const first = withRed.capture.packets[1]!;
  withRed.capture.packets.length = 0;
  expect(withRed.sink.resend(31)).toBe(true);
  expect(withRed.capture.packets).toEqual([first]);
  expect(without.sink.resend(31)).toBe(false);
});
