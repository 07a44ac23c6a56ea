import { afterAll, expect, test } from "bun:test";
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket, useAudioLevelIndication, useSdesMid } from "werift";
import { guardWeriftSockets, loopbackMemberIce, loopbackStunSink, type RtcSettings } from "./ice.ts";
import { Peer, type Offer } from "./peer.ts";
import { Router } from "./router.ts";

/**
 * RED (RFC 2198) negotiation with real werift members over loopback: the SFU offers red before
 * Opus on every audio m-line, a member that keeps it sends RED and is sent RED as it came, and a
 * member whose answer drops it is sent the primary Opus block.
 */

const opus = () => new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 });
const red = () => new RTCRtpCodecParameters({ mimeType: "audio/red", clockRate: 48000, channels: 2, payloadType: 63, parameters: "111/111" });

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const closing: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(closing.map((c) => c()));
});

/** A member: the SFU's Peer for them, their werift answering with `codecs`, and what their transport decrypts. */
async function member(id: number, router: Router, settings: RtcSettings, codecs: RTCRtpCodecParameters[], stun: string) {
  const offers: Offer[] = [];
  const peer = new Peer(id, settings, {
    sendOffer: (o) => offers.push(o),
    producerFor: (source) => router.addProducer(id, source, () => {}),
    producerGone: () => {},
    failed: () => {},
  });
  const other = router.producers.get("99:audio")!;
  peer.openUpstream("audio");
  const consumer = router.subscribe(other, id, (c) => peer.attach(c));
  await until(() => offers.length > 0, "the offer");
  const offer = offers[0]!;
  const pc = new RTCPeerConnection({
    codecs: { audio: codecs },
    headerExtensions: { audio: [useSdesMid(), useAudioLevelIndication()] },
    ...loopbackMemberIce(stun),
    bundlePolicy: "max-bundle",
  });
  closing.push(() => pc.close(), () => peer.close());
  await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
  const byMid = new Map(pc.getTransceivers().map((t) => [t.mid, t]));
  for (const s of offer.send) byMid.get(s.mid)!.setDirection("sendonly");
  for (const r of offer.receive) byMid.get(r.mid)!.setDirection("recvonly");
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== "complete") await pc.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  await peer.applyAnswer(offer.seq, pc.localDescription!.sdp);
  await until(() => !consumer.paused, "the member's m-line released");
  const got: RtpPacket[] = [];
  pc.dtlsTransports[0]!.onRtp.subscribe((rtp) => got.push(rtp));
  const upstream = byMid.get(offer.send[0]!.mid)!;
  return { offer, got, upstream };
}

test("red is offered before Opus on every audio m-line; RED goes out as RED to a member that kept it and as its Opus primary to one that did not", async () => {
  guardWeriftSockets();
  const stun = await loopbackStunSink();
  const settings: RtcSettings = { addresses: ["127.0.0.1"], ports: [45500, 45599], stun, stunConfigured: false, engine: "fast" };
  const router = new Router();
  const speaker = router.addProducer(99, "audio", () => {});
  const withRed = await member(1, router, settings, [red(), opus()], stun);
  const without = await member(2, router, settings, [opus()], stun);

  // Both audio m-lines of the offer (the member's upstream and the stream sent to them): red first, on Opus.
  const audioLines = withRed.offer.sdp.split("\r\n").filter((l) => l.startsWith("m=audio"));
  expect(audioLines.length).toBe(2);
  for (const line of audioLines) expect(line.endsWith(" 63 111")).toBe(true);
  expect(withRed.offer.sdp).toContain("a=rtpmap:63 red/48000/2\r\n");
  expect(withRed.offer.sdp).toContain("a=fmtp:63 111/111\r\n");
  // A member that kept red sends RED upstream; one that did not sends Opus.
  expect(withRed.upstream.sender.codec?.name.toLowerCase()).toBe("red");
  expect(without.upstream.sender.codec?.name.toLowerCase()).toBe("opus");

  const primary = Buffer.alloc(40, 0x42);
  const previous = Buffer.alloc(30, 0x41);
  const payload = Buffer.concat([Buffer.from([0x80 | 111, 960 >> 6, 0, previous.length, 111]), previous, primary]);
  const layer = speaker.layer("");
  for (let i = 0; i < 5; i++) {
    speaker.receive(layer, new RtpPacket(new RtpHeader({ payloadType: 63, sequenceNumber: 100 + i, timestamp: i * 960, ssrc: 0x1234 }), payload), performance.now());
    // A speaker sending plain Opus reaches both as Opus.
    speaker.receive(layer, new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: 200 + i, timestamp: 5000 + i * 960, ssrc: 0x1234 }), primary), performance.now());
  }
  await until(() => withRed.got.length >= 10 && without.got.length >= 10, "the packets at both members");
  expect(withRed.got.map((p) => p.header.payloadType)).toEqual([63, 111, 63, 111, 63, 111, 63, 111, 63, 111]);
  expect(Buffer.from(withRed.got[0]!.payload)).toEqual(payload);
  expect(without.got.map((p) => p.header.payloadType)).toEqual(Array(10).fill(111));
  for (const p of without.got) expect(Buffer.from(p.payload)).toEqual(primary);
}, 30_000);
