import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  PictureLossIndication,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTP_EXTENSION_URI,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtpHeader,
  RtpPacket,
  useSdesMid,
  type RTCRtpTransceiver,
  type RtcpPacket,
} from "werift";
import { guardWeriftSockets, loopbackMemberIce, loopbackStunSink, peerConfig } from "../ice.ts";
import { ReceptionStats, writePli, writeReceiverReport } from "./feedback.ts";
import { type IngressPacket } from "./ingress.ts";
import { AEAD_AES_128_GCM } from "./kdf.ts";
import { DirectSink } from "./sink.ts";
import { FastTransport } from "./transport.ts";

/**
 * The fast path on a real werift connection over loopback (ICE, DTLS-SRTP, UDP): the server side is
 * configured as the SFU configures its peers, the member side as the load tool's bots.
 */

let server: RTCPeerConnection;
let member: RTCPeerConnection;
/** Server -> member (the member receives) and member -> server (the member sends). */
let down: RTCRtpTransceiver;
let up: RTCRtpTransceiver;
let memberUp: RTCRtpTransceiver;
/** What the member's werift decrypted on the down m-line, and what the server's werift saw upstream. */
const memberGot: RtpPacket[] = [];
const serverWeriftGot: RtpPacket[] = [];
const serverRtcp: RtcpPacket[] = [];

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

beforeAll(async () => {
  guardWeriftSockets();
  const stun = await loopbackStunSink();
  server = new RTCPeerConnection(peerConfig({ addresses: ["127.0.0.1"], ports: [46000, 46999], stun, stunConfigured: false }));
  down = server.addTransceiver("video", { direction: "sendonly" });
  up = server.addTransceiver("video", { direction: "recvonly" });
  up.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => serverWeriftGot.push(rtp)));
  await server.setLocalDescription(await server.createOffer());
  if (server.iceGatheringState !== "complete") await server.iceGatheringStateChange.watch((s) => s === "complete", 5000);

  member = new RTCPeerConnection({
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96, rtcpFeedback: [{ type: "nack", parameter: "pli" }] })] },
    headerExtensions: { video: [useSdesMid()] },
    ...loopbackMemberIce(stun),
    bundlePolicy: "max-bundle",
  });
  member.ontrack = (e) => e.track.onReceiveRtp.subscribe((rtp) => memberGot.push(rtp));
  await member.setRemoteDescription(server.localDescription!);
  const [memberDown, memberUpT] = member.getTransceivers();
  memberDown!.setDirection("recvonly");
  memberUpT!.setDirection("sendonly");
  memberUp = memberUpT!;
  await member.setLocalDescription(await member.createAnswer());
  if (member.iceGatheringState !== "complete") await member.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  await server.setRemoteDescription(member.localDescription!);
  await Promise.all([server.connectionStateChange.watch((s) => s === "connected", 10_000), member.connectionStateChange.watch((s) => s === "connected", 10_000)]);
  server.dtlsTransports[0]!.onRtcp.subscribe((p) => serverRtcp.push(p));
}, 20_000);

afterAll(async () => {
  await member?.close();
  await server?.close();
});

function midId(pc: RTCPeerConnection): number {
  return Number(Object.entries(pc.extIdUriMap).find(([, uri]) => uri === RTP_EXTENSION_URI.sdesMid)?.[0] ?? 0);
}

test("what a DirectSink sends on the nominated socket, the member's werift decrypts on the right m-line", async () => {
  const fast = FastTransport.of(server.dtlsTransports[0]!);
  expect(FastTransport.of(server.dtlsTransports[0]!)).toBe(fast);
  expect(fast.profile).toBe(AEAD_AES_128_GCM);
  const sink = new DirectSink({
    ssrc: down.sender.ssrc,
    payloadType: 96,
    kind: "video",
    clockRate: 90000,
    srtp: fast.outbound,
    sender: fast.sender,
    extensions: { mid: { id: midId(server), value: down.mid! } },
  });
  const payload = Buffer.from("a forwarded VP8 frame, more or less");
  for (let seq = 0; seq < 20; seq++) {
    sink.send(new RtpPacket(new RtpHeader({ payloadType: 120, sequenceNumber: 1000 + seq, timestamp: seq * 3000, ssrc: 0x99 }), payload));
  }
  expect(fast.sender.path).toBe("sendto");
  await until(() => memberGot.length >= 20, "20 packets at the member");
  expect(memberGot.map((p) => p.header.sequenceNumber)).toEqual([...Array(20).keys()].map((i) => 1000 + i));
  expect(memberGot.every((p) => p.header.ssrc === down.sender.ssrc && p.payload.equals(payload))).toBe(true);
  expect(sink.dropped).toBe(0);
}, 15_000);

test("our own RTCP (receiver report, PLI) reaches the member's werift", async () => {
  const fast = FastTransport.of(server.dtlsTransports[0]!);
  const got: RtcpPacket[] = [];
  member.dtlsTransports[0]!.onRtcp.subscribe((p) => got.push(p));
  const stats = new ReceptionStats(memberUp.sender.ssrc, 90000, true);
  stats.onPacket(1, 3000, performance.now());
  expect(fast.sendRtcp((b) => writeReceiverReport(b, 0, fast.feedbackSsrc, [stats], performance.now()))).toBe(true);
  expect(fast.sendRtcp((b) => writePli(b, 0, fast.feedbackSsrc, memberUp.sender.ssrc))).toBe(true);
  await until(() => got.some((p) => p.type === RtcpRrPacket.type) && got.some((p) => p.type === RtcpPayloadSpecificFeedback.type), "the report and the PLI at the member");
  const rr = got.find((p) => p.type === RtcpRrPacket.type) as RtcpRrPacket;
  expect(rr.ssrc).toBe(fast.feedbackSsrc);
  expect(rr.reports[0]!.ssrc).toBe(memberUp.sender.ssrc);
}, 15_000);

test("the member's RTP reaches the ingress before werift; RTCP and declined RTP still reach werift", async () => {
  const fast = FastTransport.of(server.dtlsTransports[0]!);
  const seen: { seq: number; payload: string }[] = [];
  let decline = false;
  const ingress = fast.receive((p: IngressPacket) => {
    if (decline) return false;
    seen.push({ seq: p.header.sequenceNumber, payload: Buffer.from(p.payload).toString() });
    return true;
  });
  const send = (seq: number) =>
    memberUp.sender.sendRtp(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, marker: true }), Buffer.from(`frame ${seq}`)));
  for (let seq = 1; seq <= 10; seq++) await send(seq);
  await until(() => seen.length >= 10, "10 packets at the ingress");
  expect(seen.map((s) => s.seq)).toEqual([...Array(10).keys()].map((i) => i + 1));
  expect(seen[4]!.payload).toBe("frame 5");
  expect(serverWeriftGot).toHaveLength(0);

  const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc: down.sender.ssrc }) });
  await member.dtlsTransports[0]!.sendRtcp([pli]);
  await until(() => serverRtcp.some((p) => p.type === RtcpPayloadSpecificFeedback.type), "the PLI at werift");

  decline = true;
  for (let seq = 11; seq <= 13; seq++) await send(seq);
  await until(() => serverWeriftGot.length >= 3, "declined packets at werift");
  expect(serverWeriftGot.map((p) => p.header.sequenceNumber)).toEqual([11, 12, 13]);
  expect(ingress.counters).toMatchObject({ rtp: 13, declined: 3, authFailed: 0, replayed: 0 });
  fast.close();
  // Its keys are never used by a second set of contexts (SRTP indices would start again).
  expect(() => FastTransport.of(server.dtlsTransports[0]!)).toThrow();
}, 15_000);
