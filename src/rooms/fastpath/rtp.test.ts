import { expect, test } from "bun:test";
import { RtpHeader, RtpPacket } from "werift";
import { findExtension, rtpHeaderLength, RtpRewriter } from "./rtp.ts";

const AUDIO_LEVEL = 1;
const SENDER_MID = 2;
const ABS_SEND_TIME = 3;
const TWCC = 5;

/** A packet as a browser sends it: one-byte extensions (audio level, its own MID, transport-cc), 2 CSRCs, padding. */
function browserPacket(): Buffer {
  const header = new RtpHeader({ payloadType: 111, sequenceNumber: 4242, timestamp: 0xfffffff0, ssrc: 0x01020304, marker: true, csrc: [7, 8] });
  header.extensionProfile = 0xbede;
  header.extensions = [
    { id: AUDIO_LEVEL, payload: Buffer.from([0x85]) },
    { id: SENDER_MID, payload: Buffer.from("0") },
    { id: TWCC, payload: Buffer.from([0x01, 0x02]) },
  ];
  const bytes = new RtpPacket(header, Buffer.from("opus payload bytes")).serialize();
  // Three bytes of padding, the last one its count (RFC 3550 5.1).
  const padded = Buffer.concat([bytes, Buffer.from([0, 0, 3])]);
  padded[0]! |= 0x20;
  return padded;
}

test("a raw packet is rewritten for the consumer; kept extensions, CSRCs, payload and padding are intact", () => {
  const src = browserPacket();
  const h = rtpHeaderLength(src, 0, src.length);
  const rewriter = new RtpRewriter(0xdeadbeef, 109, { keep: [AUDIO_LEVEL], mid: { id: SENDER_MID, value: "7" }, absSendTimeId: ABS_SEND_TIME });
  const out = new Uint8Array(2000);
  const n = rewriter.fromRaw(out, 100, 1500, src, 0, src.length, h, 17, 123456, true);
  expect(n).toBeGreaterThan(0);
  const parsed = RtpPacket.deSerialize(Buffer.from(out.subarray(100, 100 + n)));
  expect(parsed.header.ssrc).toBe(0xdeadbeef);
  expect(parsed.header.payloadType).toBe(109);
  expect(parsed.header.sequenceNumber).toBe(17);
  expect(parsed.header.timestamp).toBe(123456);
  expect(parsed.header.marker).toBe(true);
  expect(parsed.header.csrc).toEqual([7, 8]);
  expect(parsed.header.extensionProfile).toBe(0xbede);
  const ext = Object.fromEntries(parsed.header.extensions.map((e) => [e.id, Buffer.from(e.payload).toString("hex")]));
  expect(ext[AUDIO_LEVEL]).toBe("85");
  expect(ext[SENDER_MID]).toBe(Buffer.from("7").toString("hex"));
  expect(ext[ABS_SEND_TIME]).toHaveLength(6);
  expect(ext[TWCC]).toBeUndefined();
  expect(parsed.header.padding).toBe(true);
  expect(parsed.payload.toString()).toBe("opus payload bytes");
  // The padding bytes travel unchanged at the end.
  expect([...out.subarray(100 + n - 3, 100 + n)]).toEqual([0, 0, 3]);
});

test("two-byte extensions stay in the two-byte form, byte for byte", () => {
  const header = new RtpHeader({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3 });
  header.extensionProfile = 0x1000;
  const long = Buffer.alloc(20, 0xab);
  header.extensions = [
    { id: 20, payload: long },
    { id: 4, payload: Buffer.from([9, 9]) },
  ];
  const src = new RtpPacket(header, Buffer.from([1, 2, 3, 4])).serialize();
  const rewriter = new RtpRewriter(99, 96, { keep: [20], mid: { id: SENDER_MID, value: "12" } });
  const out = new Uint8Array(200);
  const n = rewriter.fromRaw(out, 0, 200, src, 0, src.length, rtpHeaderLength(src, 0, src.length), 5, 6, false);
  const parsed = RtpPacket.deSerialize(Buffer.from(out.subarray(0, n)));
  expect(parsed.header.extensionProfile).toBe(0x1000);
  expect(parsed.header.extensions.map((e) => e.id)).toEqual([20, SENDER_MID]);
  expect(Buffer.from(parsed.header.extensions[0]!.payload)).toEqual(long);
  expect([...parsed.payload]).toEqual([1, 2, 3, 4]);
});

test("with nothing kept or added the extension block goes, and the X bit with it", () => {
  const src = browserPacket();
  const out = new Uint8Array(200);
  const n = new RtpRewriter(1, 96).fromRaw(out, 0, 200, src, 0, src.length, rtpHeaderLength(src, 0, src.length), 1, 1, false);
  expect(out[0]! & 0x10).toBe(0);
  expect(rtpHeaderLength(out, 0, n)).toBe(12 + 8);
  const parsed = RtpPacket.deSerialize(Buffer.from(out.subarray(0, n)));
  expect(parsed.header.extensions).toEqual([]);
  expect(parsed.payload.toString()).toBe("opus payload bytes");
});

test("a werift RtpPacket (padding already stripped) is rewritten like the raw packet", () => {
  const src = browserPacket();
  const h = rtpHeaderLength(src, 0, src.length);
  const rewriter = new RtpRewriter(5, 111, { keep: [AUDIO_LEVEL], mid: { id: SENDER_MID, value: "3" } });
  const fromRaw = new Uint8Array(200);
  const unpadded = Buffer.from(src.subarray(0, src.length - 3));
  unpadded[0]! &= ~0x20;
  const n1 = rewriter.fromRaw(fromRaw, 0, 200, unpadded, 0, unpadded.length, h, 9, 10, true);
  const fromPacket = new Uint8Array(200);
  const n2 = rewriter.fromPacket(fromPacket, 0, 200, RtpPacket.deSerialize(src), 9, 10);
  expect(n2).toBe(n1);
  expect(Buffer.from(fromPacket.subarray(0, n2))).toEqual(Buffer.from(fromRaw.subarray(0, n1)));
});

test("findExtension reads both forms; a packet that does not fit is refused", () => {
  const src = browserPacket();
  const h = rtpHeaderLength(src, 0, src.length);
  const found = findExtension(src, 0, h, AUDIO_LEVEL);
  expect(found & 0xff).toBe(1);
  expect(src[found >> 8]).toBe(0x85);
  expect(findExtension(src, 0, h, 9)).toBe(-1);
  const out = new Uint8Array(64);
  expect(new RtpRewriter(1, 96).fromRaw(out, 0, 30, src, 0, src.length, h, 1, 1, false)).toBe(-1);
  expect(rtpHeaderLength(src, 0, 14)).toBe(-1);
});
