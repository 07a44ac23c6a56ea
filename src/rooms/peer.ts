import {
  type MediaStreamTrack,
  type RTCDtlsTransport,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RtcpPacket,
  RtpPacket,
  PictureLossIndication,
  RTCPeerConnection,
  RTP_EXTENSION_URI,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  GenericNack,
} from "werift";
import { log } from "../log.ts";
import { RED_PAYLOAD_TYPE, acceptableCandidate, filterSdpCandidates, peerConfig, type RtcSettings } from "./ice.ts";
import { BandwidthEstimate } from "./layers.ts";
import { kindOf, type Consumer, type ForwardedPacket, type Layer, type Producer, type RtpSink, type Source } from "./router.ts";
import { ReceptionStats, roundTripMs, writeReceiverReport } from "./fastpath/feedback.ts";
import type { IngressPacket, MediaIngress } from "./fastpath/ingress.ts";
import { findExtension } from "./fastpath/rtp.ts";
import { DirectSink } from "./fastpath/sink.ts";
import { FastTransport } from "./fastpath/transport.ts";

/**
 * One member's werift RTCPeerConnection. The server always makes the offer and the browser
 * only answers, so there is never glare: members join, leave, share and stop sharing at any
 * time and the server renegotiates. Upstream, the peer holds one receive-only m-line per
 * source the member may send (audio, camera with simulcast, screen); downstream, one send-only
 * m-line per stream it forwards to this member, reused when a stream goes away.
 */

/** What the peer needs from its room. */
export interface PeerHooks {
  sendOffer(offer: Offer): void;
  /** The member now sends this source; the room makes (or returns) its producer. */
  producerFor(source: Source): Producer;
  /** The member stopped sending this source. */
  producerGone(source: Source): void;
  /** The peer's transport failed or closed, or the browser did not answer an offer in time. */
  failed(): void;
}

export interface Offer {
  seq: number;
  /** The first offer of a new server-side connection: the page must answer it on a new RTCPeerConnection. */
  fresh: boolean;
  sdp: string;
  /** m-lines on which the member sends its own media. */
  send: { mid: string; source: Source }[];
  /** m-lines carrying another member's stream. */
  receive: { mid: string; memberId: number; source: Source }[];
}

export class ProtocolError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Simulcast layers the camera m-line offers; the browser names its encodings after them. */
export const CAMERA_RIDS = ["l", "m", "h"] as const;

const AUDIO_LEVEL_URI = RTP_EXTENSION_URI.audioLevelIndication;
const MID_URI = RTP_EXTENSION_URI.sdesMid;
const ABS_SEND_TIME_URI = RTP_EXTENSION_URI.absSendTime;
const FIR_COUNT = 4;
const GATHER_TIMEOUT_MS = 3000;
/** An offer the browser has not answered in this time means the member's page is gone or stuck. */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * werift picks a port by binding a probe socket, closing it and binding again; two peers
 * gathering at once can pick the same port. Gathering is fast (host candidates only), so
 * peers in this process gather one at a time.
 */
let gathering: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const run = gathering.then(work, work);
  gathering = run.catch(() => {});
  return run;
}

/**
 * The consumer side of a send-only m-line, as the router sees it: one object per m-line for its
 * whole life. With the werift engine, packets go through the m-line's RTCRtpSender; with the fast
 * engine, through a DirectSink made once DTLS is up, and never through that RTCRtpSender (two
 * encryptors for one SSRC would reuse SRTP nonces).
 */
class SenderSink implements RtpSink {
  static readonly #ignore = () => {};
  static readonly #anyHeader = { sequenceNumber: 0, timestamp: 0 };
  direct: DirectSink | null = null;
  constructor(
    readonly sender: RTCRtpSender,
    public fast: boolean,
  ) {}
  send(rtp: ForwardedPacket): void {
    if (this.direct !== null) this.direct.send(rtp as RtpPacket);
    // A fast ingress packet cannot go through werift's sender (only after a peer fell back to werift).
    else if (!this.fast && rtp instanceof RtpPacket) this.sender.sendRtp(rtp).catch(SenderSink.#ignore);
  }
  /** The new stream continues the old one: next sequence number, timestamp one 30 fps frame on. */
  restart(): void {
    if (this.direct !== null) this.direct.restart();
    else if (!this.fast) this.sender.replaceRTP(SenderSink.#anyHeader, false, this.sender.kind === "video" ? 3000 : 960);
  }
}

/** An upstream stream the fast ingress takes once werift's receiver has named it (MID/RID). */
interface Route {
  slot: Upstream;
  rid: string;
  /** Made when the fast path takes the stream; null with the werift engine. */
  stats: ReceptionStats | null;
  producer: Producer | null;
  layer: Layer | null;
}

/** Upstream NACKs are due within milliseconds: one tick for every fast peer of the process. */
const NACK_TICK_MS = 15;
const nackPeers = new Set<Peer>();
let nackTimer: ReturnType<typeof setInterval> | null = null;
function watchNacks(peer: Peer, on: boolean): void {
  if (on) nackPeers.add(peer);
  else nackPeers.delete(peer);
  if (nackPeers.size > 0 && nackTimer === null) {
    nackTimer = setInterval(() => {
      const now = performance.now();
      for (const p of nackPeers) p.sendNacks(now);
    }, NACK_TICK_MS);
    nackTimer.unref?.();
  } else if (nackPeers.size === 0 && nackTimer !== null) {
    clearInterval(nackTimer);
    nackTimer = null;
  }
}
/** Sender reports (ours) and receiver reports (for the member's streams): RFC 3550's 0.5-1.5 s. */
const REPORT_MS = 1000;
/** RTCP silence past this means the member's link was out (browsers report every 0.5-1.5 s, and more with NACKs). */
const RTCP_RESUME_GAP_MS = 2000;

interface Upstream {
  source: Source;
  transceiver: RTCRtpTransceiver;
  producer: Producer | null;
  /** The member may send on it (false: inactive, kept for reuse). */
  open: boolean;
}

interface Downstream {
  transceiver: RTCRtpTransceiver;
  sink: SenderSink;
  consumer: Consumer | null;
  /** Answered by the browser since the consumer was attached, so packets can flow. */
  negotiated: boolean;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  readonly createdAt = performance.now();
  readonly bandwidth = new BandwidthEstimate();
  readonly #hooks: PeerHooks;
  readonly #upstream = new Map<Source, Upstream>();
  readonly #downstream: Downstream[] = [];
  readonly #bySenderSsrc = new Map<number, Downstream>();
  #seq = 0;
  #awaiting: number | null = null;
  #pending: Downstream[] = [];
  #dirty = false;
  #scheduled = false;
  #answerTimer: ReturnType<typeof setTimeout> | null = null;
  #dtls: RTCDtlsTransport | null = null;
  #audioLevelId = 0;
  #midId = 0;
  #absSendTimeId = 0;
  /** HEARTH_SFU_ENGINE=fast, until this peer's transport turns out not to allow it. */
  #fastEngine: boolean;
  #fast: FastTransport | null = null;
  #ingress: MediaIngress | null = null;
  readonly #routes = new Map<number, Route>();
  readonly #reportStreams: ReceptionStats[] = [];
  #reportTimer: ReturnType<typeof setInterval> | null = null;
  #closed = false;
  #lastRtcpAt = 0;
  #markClosed: () => void = () => {};
  readonly #closing = new Promise<void>((resolve) => (this.#markClosed = resolve));

  constructor(
    readonly memberId: number,
    settings: RtcSettings,
    hooks: PeerHooks,
  ) {
    this.#hooks = hooks;
    this.#fastEngine = settings.engine === "fast";
    this.pc = new RTCPeerConnection(peerConfig(settings));
    this.pc.connectionStateChange.subscribe((state) => {
      // werift's ICE restart did not bring media back (werift to werift over loopback, measured):
      // a failed transport gets a fresh peer connection instead.
      if ((state === "failed" || state === "closed") && !this.#closed) this.#hooks.failed();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get dtlsConnected(): boolean {
    return this.#dtls?.state === "connected";
  }

  /** Lets the member send this source (adds or re-opens its receive-only m-line). */
  openUpstream(source: Source): void {
    const existing = this.#upstream.get(source);
    if (existing?.open) return;
    if (existing) {
      existing.transceiver.setDirection("recvonly");
      existing.open = true;
    } else {
      const kind = kindOf(source);
      const simulcast = source === "camera" ? CAMERA_RIDS.map((rid) => ({ direction: "recv" as const, rid })) : undefined;
      const transceiver = this.pc.addTransceiver(kind, { direction: "recvonly", ...(simulcast ? { simulcast } : {}) });
      const slot: Upstream = { source, transceiver, producer: null, open: true };
      transceiver.onTrack.subscribe((track) => this.#listen(slot, track));
      this.#upstream.set(source, slot);
    }
    this.negotiate();
  }

  /** Stops the member sending this source: its producer goes, the m-line turns inactive. */
  closeUpstream(source: Source): void {
    const slot = this.#upstream.get(source);
    if (!slot?.open) return;
    slot.open = false;
    slot.transceiver.setDirection("inactive");
    this.#dropProducer(slot);
    this.negotiate();
  }

  /** Gives this member a send-only m-line for a consumer (reusing an idle one of the same kind). */
  attach(consumer: Consumer): RtpSink {
    const kind = consumer.producer.kind;
    let slot = this.#downstream.find((d) => d.consumer === null && d.transceiver.kind === kind);
    if (slot) {
      slot.transceiver.setDirection("sendonly");
      // Same SSRC, another stream: the browser must see one continuous sequence (its rollover count).
      slot.sink.direct?.restart();
    } else {
      const transceiver = this.pc.addTransceiver(kind, { direction: "sendonly" });
      slot = { transceiver, sink: new SenderSink(transceiver.sender, this.#fastEngine), consumer: null, negotiated: false };
      this.#downstream.push(slot);
      this.#bySenderSsrc.set(transceiver.sender.ssrc, slot);
    }
    slot.consumer = consumer;
    slot.negotiated = false;
    // Nothing flows until the browser has answered for this m-line (werift would drop it).
    consumer.paused = true;
    this.negotiate();
    return slot.sink;
  }

  sinkFor(consumer: Consumer): RtpSink | null {
    return this.#downstream.find((d) => d.consumer === consumer)?.sink ?? null;
  }

  detach(consumer: Consumer): void {
    const slot = this.#downstream.find((d) => d.consumer === consumer);
    if (!slot) return;
    slot.consumer = null;
    slot.negotiated = false;
    consumer.paused = true;
    slot.transceiver.setDirection("inactive");
    this.negotiate();
  }

  /** Coalesces changes into one offer; a second change while an offer is out waits for the answer. */
  negotiate(): void {
    if (this.#closed) return;
    this.#dirty = true;
    if (this.#awaiting !== null || this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => void this.#offer(), 0);
  }

  async #offer(): Promise<void> {
    this.#scheduled = false;
    if (this.#closed || !this.#dirty || this.#awaiting !== null) return;
    this.#dirty = false;
    const seq = ++this.#seq;
    this.#awaiting = seq;
    try {
      await oneAtATime(async () => {
        if (this.#closed) return;
        const offer = await this.pc.createOffer();
        await this.pc.setLocalDescription(offer);
        // Host candidates only: gathering takes milliseconds. A peer closed meanwhile never
        // completes, and must not hold up the peers queued behind it.
        if (this.pc.iceGatheringState !== "complete") {
          await Promise.race([this.pc.iceGatheringStateChange.watch((s) => s === "complete", GATHER_TIMEOUT_MS), this.#closing]);
        }
        // New sockets from this gathering: the fast ingress must see their datagrams too.
        this.#ingress?.install();
      });
    } catch {
      if (this.#closed) return;
      this.#awaiting = null;
      this.#hooks.failed();
      return;
    }
    if (this.#closed) return;
    const sdp = this.pc.localDescription!.sdp;
    if (!sdp.includes("a=candidate:")) {
      // Every port of HEARTH_RTC_PORTS is taken (or no address could be bound): nobody can connect.
      log.warn("media offer without candidates; HEARTH_RTC_PORTS may be too small", { member: this.memberId });
    }
    this.#watchTransport();
    this.#pending = this.#downstream.filter((d) => d.consumer !== null && !d.negotiated);
    this.#answerTimer = setTimeout(() => this.#hooks.failed(), ANSWER_TIMEOUT_MS);
    this.#hooks.sendOffer({ seq, fresh: seq === 1, sdp, ...this.#trackMap() });
  }

  #trackMap(): Pick<Offer, "send" | "receive"> {
    const send: Offer["send"] = [];
    for (const slot of this.#upstream.values()) {
      if (slot.open && slot.transceiver.mid) send.push({ mid: slot.transceiver.mid, source: slot.source });
    }
    const receive: Offer["receive"] = [];
    for (const d of this.#downstream) {
      if (d.consumer && d.transceiver.mid) {
        receive.push({ mid: d.transceiver.mid, memberId: d.consumer.producer.memberId, source: d.consumer.producer.source });
      }
    }
    return { send, receive };
  }

  /** Applies the browser's answer to offer `seq`. A wrong seq or a bad SDP is the client's error. */
  async applyAnswer(seq: number, sdp: string): Promise<void> {
    if (this.#closed) return;
    if (seq !== this.#awaiting) throw new ProtocolError("stale-answer");
    // Being applied: a repeated answer is stale, and no new offer starts meanwhile.
    this.#awaiting = -1;
    try {
      await this.pc.setRemoteDescription({ type: "answer", sdp: filterSdpCandidates(sdp) });
    } catch {
      // Back to the last good state and offer again; the client gets an error for this answer.
      await this.pc.setLocalDescription({ type: "rollback" }).catch(() => {});
      this.#settled();
      this.#dirty = true;
      this.negotiate();
      throw new ProtocolError("bad-answer");
    }
    const extId = (uri: string) => Number(Object.entries(this.pc.extIdUriMap).find(([, u]) => u === uri)?.[0] ?? 0);
    this.#audioLevelId = extId(AUDIO_LEVEL_URI);
    this.#midId = extId(MID_URI);
    this.#absSendTimeId = extId(ABS_SEND_TIME_URI);
    for (const d of this.#pending) if (d.consumer) d.negotiated = true;
    this.#settled();
    this.#reviewUpstream();
    this.#release();
    if (this.#dirty) this.negotiate();
  }

  #settled(): void {
    this.#awaiting = null;
    this.#pending = [];
    if (this.#answerTimer) clearTimeout(this.#answerTimer);
    this.#answerTimer = null;
  }

  /** After an answer: a source the member declined to send (inactive) has no producer. */
  #reviewUpstream(): void {
    for (const slot of this.#upstream.values()) {
      const sending = slot.transceiver.currentDirection === "recvonly" || slot.transceiver.currentDirection === "sendrecv";
      if (!sending) this.#dropProducer(slot);
    }
  }

  async addCandidate(candidate: string, sdpMid?: string, sdpMLineIndex?: number): Promise<void> {
    if (this.#closed || !acceptableCandidate(candidate)) return;
    await this.pc.addIceCandidate({ candidate, sdpMid, sdpMLineIndex }).catch(() => {
      throw new ProtocolError("bad-candidate");
    });
  }

  /** Unpauses consumers whose m-line is negotiated once DTLS is up, and asks for their keyframe. */
  #release(): void {
    if (!this.dtlsConnected) return;
    const now = performance.now();
    const fast = this.#startFast();
    for (const d of this.#downstream) {
      const c = d.consumer;
      if (fast !== null && c && d.negotiated && d.sink.direct === null) d.sink.direct = this.#directSink(d, fast);
      if (c && d.negotiated && c.paused) {
        c.paused = false;
        c.producer.requestKeyframe(c.target, now);
      }
    }
  }

  /** The fast path for this peer's transport, made once DTLS is up; null with the werift engine. */
  #startFast(): FastTransport | null {
    if (!this.#fastEngine || this.#fast !== null) return this.#fast;
    try {
      this.#fast = FastTransport.of(this.#dtls!);
    } catch (error) {
      // An SRTP profile or transport the fast path does not know: werift forwards for this peer.
      log.warn("fast media path unavailable for a peer; werift forwards instead", { member: this.memberId, reason: String(error) });
      this.#fastEngine = false;
      for (const d of this.#downstream) d.sink.fast = false;
      return null;
    }
    this.#ingress = this.#fast.receive(this.#onIngress);
    this.#reportTimer = setInterval(() => this.#report(), REPORT_MS);
    this.#reportTimer.unref?.();
    watchNacks(this, true);
    return this.#fast;
  }

  #directSink(d: Downstream, fast: FastTransport): DirectSink | null {
    const t = d.transceiver;
    const kind = t.kind === "audio" ? "audio" : "video";
    // werift's sender codec is RED when the member's answer kept it; RED is forwarded as it came
    // (DirectSink), so the sink needs both payload types: Opus for plain packets and stripped RED.
    const negotiated = t.codecs;
    const red = kind === "audio" ? negotiated.find((c) => c.mimeType.toLowerCase() === "audio/red") : undefined;
    const codec = kind === "audio" ? negotiated.find((c) => c.mimeType.toLowerCase() === "audio/opus") : t.sender.codec;
    if (!codec) return null;
    const mid = this.#midId > 0 && t.mid ? { mid: { id: this.#midId, value: t.mid } } : {};
    const extensions = kind === "video" ? { ...mid, absSendTimeId: this.#absSendTimeId } : { ...mid, keep: [this.#audioLevelId] };
    return new DirectSink({
      ssrc: t.sender.ssrc,
      payloadType: codec.payloadType,
      redIn: kind === "audio" ? RED_PAYLOAD_TYPE : -1,
      redOut: red?.payloadType ?? -1,
      clockRate: codec.clockRate,
      kind,
      srtp: fast.outbound,
      sender: fast.sender,
      // The CNAME werift put in the SDP for this m-line (private in its types).
      cname: (t.sender as unknown as { cname?: string }).cname ?? "",
      extensions,
    });
  }

  /** The fast ingress's handler: a stream werift's receiver has named goes straight to its producer. */
  readonly #onIngress = (p: IngressPacket): boolean => {
    const route = this.#routes.get(p.header.ssrc);
    if (route === undefined) return false;
    if (!route.slot.open) return true;
    const now = performance.now();
    route.stats!.onPacket(p.header.sequenceNumber, p.header.timestamp, now);
    let level = -1;
    if (route.slot.source === "audio") {
      const at = findExtension(p.mem.bytes, p.at, p.headerLength, this.#audioLevelId);
      if (at >= 0) level = p.mem.bytes[at >>> 8]! & 0x7f;
    }
    this.#forward(route, p, level, now);
    return true;
  };

  #forward(route: Route, rtp: ForwardedPacket, level: number, now: number): void {
    const slot = route.slot;
    if (slot.producer === null) slot.producer = this.#hooks.producerFor(slot.source);
    if (route.producer !== slot.producer) {
      route.producer = slot.producer;
      route.layer = route.producer.layer(route.rid);
    }
    const producer = route.producer;
    if (level >= 0 && !producer.paused) producer.speaking.note(level);
    producer.receive(route.layer!, rtp, now);
  }

  /** Once a second: sender reports for what we forward, receiver reports for what the member sends. */
  #report(): void {
    const fast = this.#fast;
    if (fast === null || this.#closed) return;
    for (const d of this.#downstream) if (d.consumer) d.sink.direct?.sendReport();
    const streams = this.#reportStreams;
    streams.length = 0;
    for (const r of this.#routes.values()) if (r.slot.open && r.stats) streams.push(r.stats);
    if (streams.length === 0) return;
    const now = performance.now();
    fast.sendRtcp((b) => writeReceiverReport(b, 0, fast.feedbackSsrc, streams, now));
  }

  /** Generic NACKs upstream for the member's video packets that went missing (the NACK tick). */
  sendNacks(now: number): void {
    const fast = this.#fast;
    if (fast === null || this.#closed) return;
    for (const r of this.#routes.values()) {
      const stats = r.stats;
      if (!stats?.nack) continue;
      // A packet that never came: what the subscribers have of this layer is broken until a keyframe.
      if (stats.expire(now) > 0 && r.layer) r.layer.producer.lostForGood(r.layer, now);
      if (stats.nackDue(now)) fast.sendRtcp((b) => stats.writeNack(b, 0, fast.feedbackSsrc, now));
    }
  }

  #watchTransport(): void {
    const dtls = this.pc.dtlsTransports[0];
    if (!dtls || dtls === this.#dtls) return;
    this.#dtls = dtls;
    dtls.onStateChange.subscribe((state) => {
      if (state === "connected") this.#release();
    });
    dtls.onRtcp.subscribe((packet) => this.#rtcp(packet));
  }

  /** Incoming RTCP, matched on the raw SSRCs (werift routes PLI by the sender SSRC first, which
   * points at our receiver when the browser also sends video, so the sender never hears it).
   * Receiver reports' loss on the video we send feeds the subscriber's bandwidth estimate. */
  #rtcp(packet: RtcpPacket): void {
    const at = performance.now();
    const last = this.#lastRtcpAt;
    this.#lastRtcpAt = at;
    // Browsers report every 0.5-1.5 s: after a longer silence the member's link was out
    // (a loss burst), so the pictures it was being sent are broken. Ask their senders for
    // keyframes now rather than after the member's own PLI crosses the same bad link.
    if (last > 0 && at - last > RTCP_RESUME_GAP_MS) {
      for (const d of this.#bySenderSsrc.values()) if (d.consumer) d.consumer.producer.requestKeyframe(d.consumer.layer ?? d.consumer.target, at);
    }
    if (packet.type === RtcpPayloadSpecificFeedback.type) {
      const fb = (packet as RtcpPayloadSpecificFeedback).feedback;
      const now = performance.now();
      if (fb.count === PictureLossIndication.count) {
        this.#keyframeWanted((fb as PictureLossIndication).mediaSsrc, now);
      } else if (fb.count === FIR_COUNT) {
        for (const entry of (fb as unknown as { fir: { ssrc: number }[] }).fir) this.#keyframeWanted(entry.ssrc, now);
      }
    } else if (packet.type === RtcpTransportLayerFeedback.type) {
      const fb = (packet as RtcpTransportLayerFeedback).feedback;
      if (fb.count === GenericNack.count) {
        // werift's sender has no history for a fast m-line: the DirectSink's ring answers.
        const direct = this.#bySenderSsrc.get((fb as GenericNack).mediaSourceSsrc)?.sink.direct;
        if (direct) for (const seq of (fb as GenericNack).lost) direct.resend(seq);
      }
    } else if (packet.type === RtcpRrPacket.type || packet.type === RtcpSrPacket.type) {
      let worst = -1;
      for (const report of (packet as RtcpRrPacket).reports) {
        const d = this.#bySenderSsrc.get(report.ssrc);
        if (d?.consumer?.producer.kind === "video") worst = Math.max(worst, report.fractionLost / 256);
        // The round trip to this member paces the NACKs for what it sends (feedback.ts).
        const rtt = d ? roundTripMs(report.lsr, report.dlsr, performance.timeOrigin + at) : -1;
        if (rtt > 0) for (const r of this.#routes.values()) r.stats?.onRoundTrip(rtt);
      }
      if (worst >= 0) this.bandwidth.onLoss(worst);
      if (packet.type === RtcpSrPacket.type) {
        const sr = packet as RtcpSrPacket;
        const stats = this.#routes.get(sr.ssrc)?.stats;
        if (stats) stats.onSenderReport(Number((sr.senderInfo.ntpTimestamp >> 16n) & 0xffffffffn), performance.now());
      }
    }
  }

  #keyframeWanted(senderSsrc: number, now: number): void {
    const c = this.#bySenderSsrc.get(senderSsrc)?.consumer;
    if (c) c.producer.requestKeyframe(c.layer ?? c.target, now);
  }

  /** Sends a PLI for one upstream layer of this member, if the transport can carry RTCP yet. */
  askKeyframe(source: Source, layer: Layer): void {
    const slot = this.#upstream.get(source);
    if (!slot || !this.dtlsConnected || layer.ssrc === 0) return;
    slot.transceiver.receiver.sendRtcpPLI(layer.ssrc).catch(() => {});
  }

  #listen(slot: Upstream, track: MediaStreamTrack): void {
    const isAudio = slot.source === "audio";
    const route: Route = { slot, rid: track.rid ?? "", stats: null, producer: null, layer: null };
    track.onReceiveRtp.subscribe((rtp, extensions) => {
      if (!slot.open) return;
      const header = rtp.header;
      const now = performance.now();
      if (this.#fast !== null) {
        if (route.stats === null) {
          // werift has told this stream's MID/RID apart: from the next packet on, the fast ingress takes it.
          route.stats = new ReceptionStats(header.ssrc, isAudio ? 48000 : 90000, !isAudio);
          this.#routes.set(header.ssrc, route);
          stopWeriftReports(slot.transceiver);
        }
        route.stats.onPacket(header.sequenceNumber, header.timestamp, now);
      }
      const level = isAudio ? ((extensions?.[AUDIO_LEVEL_URI] as { level: number } | undefined)?.level ?? -1) : -1;
      if (isAudio) keepOnly(header.extensions, this.#audioLevelId);
      // The member's own mid/rid/transport-cc values would mislead the receiving browser.
      else header.extensions.length = 0;
      this.#forward(route, rtp, level, now);
    });
  }

  #dropProducer(slot: Upstream): void {
    if (!slot.producer) return;
    slot.producer = null;
    this.#hooks.producerGone(slot.source);
  }

  /** Stops all media at once: used for leaving, removal and the waiting room. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#markClosed();
    this.#settled();
    watchNacks(this, false);
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    for (const d of this.#downstream) d.sink.direct?.close();
    this.#fast?.close();
    for (const slot of this.#upstream.values()) slot.producer = null;
    for (const d of this.#downstream) if (d.consumer) d.consumer.paused = true;
    await this.pc.close().catch(() => {});
  }

  stats(): {
    upstream: Source[];
    downstream: number;
    negotiated: number;
    engine: "fast" | "werift";
    /** The fast path's counters: member's packets it took, packets it sent to the member, resent on NACK. */
    fast: { received: number; sent: number; retransmitted: number; resendMissed: number; upstream: { nacked: number; recovered: number; givenUp: number; late: number; lost: number; rttMs: number } } | null;
  } {
    let sent = 0;
    let retransmitted = 0;
    let resendMissed = 0;
    for (const d of this.#downstream) {
      sent += d.sink.direct?.packets ?? 0;
      retransmitted += d.sink.direct?.retransmitted ?? 0;
      resendMissed += d.sink.direct?.resendMissed ?? 0;
    }
    const upstream = { nacked: 0, recovered: 0, givenUp: 0, late: 0, lost: 0, rttMs: 0 };
    for (const r of this.#routes.values()) {
      if (!r.stats?.nack) continue;
      upstream.nacked += r.stats.nacked;
      upstream.recovered += r.stats.recovered;
      upstream.givenUp += r.stats.givenUp;
      upstream.late += r.stats.late;
      upstream.lost += r.stats.lost;
      upstream.rttMs = Math.max(upstream.rttMs, Math.round(r.stats.rttMs));
    }
    return {
      upstream: [...this.#upstream.values()].filter((s) => s.open).map((s) => s.source),
      downstream: this.#downstream.filter((d) => d.consumer).length,
      negotiated: this.#downstream.filter((d) => d.consumer && d.negotiated).length,
      engine: this.#fastEngine ? "fast" : "werift",
      fast: this.#fast ? { received: this.#ingress?.counters.rtp ?? 0, sent, retransmitted, resendMissed, upstream } : null,
    };
  }
}

/**
 * werift's receiver keeps sending its own receiver reports, frozen at the last packet it saw, once
 * the fast ingress takes the stream: they would contradict ours (and the member's browser bases its
 * send rate on them). Its report loop waits on this signal; aborted, the loop ends and never restarts.
 */
function stopWeriftReports(transceiver: RTCRtpTransceiver): void {
  const receiver = transceiver.receiver as unknown as { rtcpCancel?: AbortController };
  receiver.rtcpCancel?.abort();
}

/** Keeps only the extension with this id, in place (no new array per packet). */
function keepOnly(extensions: { id: number }[], id: number): void {
  let w = 0;
  for (let r = 0; r < extensions.length; r++) if (extensions[r]!.id === id) extensions[w++] = extensions[r]!;
  extensions.length = w;
}
