import {
  type MediaStreamTrack,
  type RTCDtlsTransport,
  type RTCRtpSender,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
  PictureLossIndication,
  RTCPeerConnection,
  RTP_EXTENSION_URI,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSrPacket,
} from "werift";
import { log } from "../log.ts";
import { acceptableCandidate, filterSdpCandidates, peerConfig, type RtcSettings } from "./ice.ts";
import { BandwidthEstimate } from "./layers.ts";
import { kindOf, type Consumer, type Layer, type Producer, type RtpSink, type Source } from "./router.ts";

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

/** The consumer side of a send-only m-line, as the router sees it. */
class SenderSink implements RtpSink {
  static readonly #ignore = () => {};
  static readonly #anyHeader = { sequenceNumber: 0, timestamp: 0 };
  constructor(readonly sender: RTCRtpSender) {}
  send(rtp: RtpPacket): void {
    this.sender.sendRtp(rtp).catch(SenderSink.#ignore);
  }
  /** The new stream continues the old one: next sequence number, timestamp one 30 fps frame on. */
  restart(): void {
    this.sender.replaceRTP(SenderSink.#anyHeader, false, this.sender.kind === "video" ? 3000 : 960);
  }
}

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
  #closed = false;
  #markClosed: () => void = () => {};
  readonly #closing = new Promise<void>((resolve) => (this.#markClosed = resolve));

  constructor(
    readonly memberId: number,
    settings: RtcSettings,
    hooks: PeerHooks,
  ) {
    this.#hooks = hooks;
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
    } else {
      const transceiver = this.pc.addTransceiver(kind, { direction: "sendonly" });
      slot = { transceiver, sink: new SenderSink(transceiver.sender), consumer: null, negotiated: false };
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
    this.#audioLevelId = Number(Object.entries(this.pc.extIdUriMap).find(([, uri]) => uri === AUDIO_LEVEL_URI)?.[0] ?? 0);
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
    for (const d of this.#downstream) {
      const c = d.consumer;
      if (c && d.negotiated && c.paused) {
        c.paused = false;
        c.producer.requestKeyframe(c.target, now);
      }
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
    if (packet.type === RtcpPayloadSpecificFeedback.type) {
      const fb = (packet as RtcpPayloadSpecificFeedback).feedback;
      const now = performance.now();
      if (fb.count === PictureLossIndication.count) {
        this.#keyframeWanted((fb as PictureLossIndication).mediaSsrc, now);
      } else if (fb.count === FIR_COUNT) {
        for (const entry of (fb as unknown as { fir: { ssrc: number }[] }).fir) this.#keyframeWanted(entry.ssrc, now);
      }
    } else if (packet.type === RtcpRrPacket.type || packet.type === RtcpSrPacket.type) {
      let worst = -1;
      for (const report of (packet as RtcpRrPacket).reports) {
        const d = this.#bySenderSsrc.get(report.ssrc);
        if (d?.consumer?.producer.kind === "video") worst = Math.max(worst, report.fractionLost / 256);
      }
      if (worst >= 0) this.bandwidth.onLoss(worst);
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
    const rid = track.rid ?? "";
    const isAudio = slot.source === "audio";
    let producer: Producer | null = null;
    let layer: Layer | null = null;
    track.onReceiveRtp.subscribe((rtp, extensions) => {
      if (!slot.open) return;
      if (slot.producer === null) slot.producer = this.#hooks.producerFor(slot.source);
      if (producer !== slot.producer) {
        producer = slot.producer;
        layer = producer.layer(rid);
      }
      const header = rtp.header;
      if (isAudio) {
        const level = extensions?.[AUDIO_LEVEL_URI] as { level: number } | undefined;
        if (level !== undefined && !producer.paused) producer.speaking.note(level.level);
        keepOnly(header.extensions, this.#audioLevelId);
      } else {
        // The member's own mid/rid/transport-cc values would mislead the receiving browser.
        header.extensions.length = 0;
      }
      producer.receive(layer!, rtp, performance.now());
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
    for (const slot of this.#upstream.values()) slot.producer = null;
    for (const d of this.#downstream) if (d.consumer) d.consumer.paused = true;
    await this.pc.close().catch(() => {});
  }

  stats(): { upstream: Source[]; downstream: number; negotiated: number } {
    return {
      upstream: [...this.#upstream.values()].filter((s) => s.open).map((s) => s.source),
      downstream: this.#downstream.filter((d) => d.consumer).length,
      negotiated: this.#downstream.filter((d) => d.consumer && d.negotiated).length,
    };
  }
}

/** Keeps only the extension with this id, in place (no new array per packet). */
function keepOnly(extensions: { id: number }[], id: number): void {
  let w = 0;
  for (let r = 0; r < extensions.length; r++) if (extensions[r]!.id === id) extensions[w++] = extensions[r]!;
  extensions.length = w;
}
