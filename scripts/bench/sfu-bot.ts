/**
 * A synthetic room member: a werift peer connection driven by the real signaling protocol over
 * the real WebSocket, sending VP8-shaped video and Opus-shaped audio with real DTLS-SRTP. The SFU
 * bench runs many; the rooms integration tests drive a few by hand.
 *
 * Every payload carries a marker: the sending bot, a per-stream counter and the send time, so a
 * receiver measures loss and one-way latency (the SFU forwards payloads unchanged).
 */
import {
  type MediaStreamTrack,
  type RTCRtpTransceiver,
  type RtcpPacket,
  GenericNack,
  PictureLossIndication,
  RTCPeerConnection,
  RtcpTransportLayerFeedback,
  RTP_EXTENSION_URI,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  useAudioLevelIndication,
  useSdesMid,
  useAbsSendTime,
  RTCRtpCodecParameters,
} from "werift";
import { FastTransport } from "../../src/rooms/fastpath/transport.ts";
import type { IngressCounters, IngressPacket, MediaIngress } from "../../src/rooms/fastpath/ingress.ts";
import { guardWeriftSockets, loopbackMemberIce, loopbackStunSink } from "../../src/rooms/ice.ts";
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import type { Source } from "../../src/rooms/router.ts";
import { isVp8Keyframe } from "../../src/rooms/vp8.ts";
import { BotRtpStream } from "./bot-rtp.ts";
import { type LatencyHistogram, StreamTable } from "./sfu-stats.ts";

type Offer = Extract<ServerMessage, { type: "offer" }>;

const MAGIC = 0x4842; // "HB"
const PADDING = Buffer.alloc(200, 0);
PADDING[199] = 200;
/** Marker offset: after the VP8 descriptor, frame tag, start code and size (and inside Opus-sized payloads). */
const MARK_AT = 16;
const MARK_LEN = 2 + 2 + 1 + 4 + 8;
/** Lean bots' socket receive buffer (bytes asked for; see #takeFast). */
const BOT_RECV_BUFFER = 1 << 20;

export interface StreamStats {
  packets: number;
  /** Packets whose sequence number did not follow the previous one. */
  gaps: number;
  /** Packets with no payload (padding only). */
  empty: number;
  /** Packets whose sequence number was not above every one before (retransmissions, duplicates). */
  repeats: number;
  keyframes: number;
  firstWasKeyframe: boolean | null;
  firstSeq: number;
  lastSeq: number;
}

export interface BotOptions {
  /** Cookie header of the member's sign-in session (identity's session cookie). */
  cookie: string;
  /** What the bot publishes when the server lets it; [] for a watcher. */
  publish?: Source[];
  /** Send the audio-level header extension at this level (0 loud .. 127 silent). */
  audioLevel?: number;
  /** Where one-way latencies go (bench; one histogram may serve many bots). */
  latency?: LatencyHistogram | null;
  /**
   * Bench mode: once DTLS is up, take incoming SRTP off the socket with the project's fast path
   * (src/rooms/fastpath: decrypt in place with libcrypto, no allocation) and read only the
   * marker, skipping werift's STUN parse, SRTP, RtpPacket and receivers, which cost the load
   * generator more than forwarding costs the server. `received` stays empty; `streams` counts.
   */
  lean?: boolean;
  /** Where the bot's own werift sends its STUN query: `await loopbackStunSink()` keeps it on the box. */
  stun: string;
}

let nextBotId = 1;

export class Bot {
  readonly id = nextBotId++;
  #pc: RTCPeerConnection;
  readonly messages: ServerMessage[] = [];
  memberId = 0;
  /** The room role the welcome gave ("clinician" is a facilitator). */
  role: string | null = null;
  /** Sees every message first; true means handled, and it is neither kept nor queued for next(). */
  onMessage: ((m: ServerMessage) => boolean) | null = null;
  ws!: WebSocket;
  closeCode: number | null = null;
  /** What arrives, per "<memberId>:<source>". */
  readonly received = new Map<string, StreamStats>();
  /** Packets per sending stream (sending bot id * 2 + 1 for video), for loss. */
  readonly streams = new StreamTable();
  plisReceived = 0;
  #receiveMap = new Map<string, string>();
  #sendSlots = new Map<Source, RTCRtpTransceiver>();
  /** Received and not yet taken by next(). */
  #inbox: ServerMessage[] = [];
  #waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];
  #videoSeq = 0;
  /** RTP sequence of the video stream: media and padding packets alike. */
  #videoRtpSeq = 0;
  #audioSeq = 0;
  #keyframeDue = true;
  #answering: Promise<void> = Promise.resolve();
  readonly #opts: Required<BotOptions>;
  #fast: FastTransport | null = null;
  #ingress: MediaIngress | null = null;

  constructor(
    readonly url: string,
    opts: BotOptions,
  ) {
    this.#opts = { publish: ["audio", "camera", "screen"], audioLevel: 127, latency: null, lean: false, ...opts };
    guardWeriftSockets();
    this.#pc = this.#newPeerConnection();
  }

  /** The current peer connection (a `fresh` offer replaces it, as a page would). */
  get pc(): RTCPeerConnection {
    return this.#pc;
  }

  #newPeerConnection(): RTCPeerConnection {
    const pc = new RTCPeerConnection({
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2, payloadType: 111 })],
        video: [
          new RTCRtpCodecParameters({
            mimeType: "video/VP8",
            clockRate: 90000,
            payloadType: 96,
            rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }, { type: "ccm", parameter: "fir" }, { type: "goog-remb" }],
          }),
        ],
      },
      headerExtensions: { audio: [useSdesMid(), useAudioLevelIndication()], video: [useSdesMid(), useAbsSendTime()] },
      ...loopbackMemberIce(this.#opts.stun),
      bundlePolicy: "max-bundle",
    });
    pc.ontrack = (e) => this.#count(e.track, e.transceiver);
    return pc;
  }

  /** Opens the socket; resolves with the welcome message (or the refusal). */
  async connect(): Promise<ServerMessage> {
    const ws = new WebSocket(this.url, { headers: { cookie: this.#opts.cookie } } as unknown as string[]);
    this.ws = ws;
    ws.onmessage = (e) => this.#onMessage(JSON.parse(String(e.data)) as ServerMessage);
    ws.onclose = (e) => {
      this.closeCode = e.code;
    };
    const first = this.next((m) => m.type === "welcome" || m.type === "error", 10_000);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`bot ${this.id}: socket refused`));
    });
    const welcome = await first;
    if (welcome.type === "welcome") {
      this.memberId = welcome.memberId;
      this.role = welcome.role;
    }
    return welcome;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message matching that next() has not yet returned, waiting for it if need be. */
  next(match: ((m: ServerMessage) => boolean) | ServerMessage["type"], timeoutMs = 5000): Promise<ServerMessage> {
    const test = typeof match === "string" ? (m: ServerMessage) => m.type === match : match;
    const queued = this.#inbox.findIndex(test);
    if (queued >= 0) return Promise.resolve(this.#inbox.splice(queued, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bot ${this.id}: no ${typeof match === "string" ? match : "matching"} message in ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        match: test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  #onMessage(m: ServerMessage): void {
    if (this.onMessage?.(m)) return;
    this.messages.push(m);
    if (m.type === "offer") this.#answering = this.#answering.then(() => this.#answer(m)).catch(() => {});
    const waiter = this.#waiters.findIndex((w) => w.match(m));
    if (waiter >= 0) this.#waiters.splice(waiter, 1)[0]!.resolve(m);
    else this.#inbox.push(m);
  }

  async #answer(offer: Offer): Promise<void> {
    if (offer.fresh && this.#pc.remoteDescription) {
      // The server started this member's media over: answer on a new connection.
      const old = this.#pc;
      this.#pc = this.#newPeerConnection();
      this.#rtcpWatched = false;
      this.#sendSlots.clear();
      this.#closeFast();
      await old.close().catch(() => {});
    }
    await this.pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    const byMid = new Map(this.pc.getTransceivers().map((t) => [t.mid, t]));
    this.#sendSlots.clear();
    for (const s of offer.send) {
      const t = byMid.get(s.mid);
      if (!t) continue;
      const publish = this.#opts.publish.includes(s.source);
      t.setDirection(publish ? "sendonly" : "inactive");
      if (publish) this.#sendSlots.set(s.source, t);
    }
    this.#receiveMap.clear();
    for (const r of offer.receive) {
      byMid.get(r.mid)?.setDirection("recvonly");
      this.#receiveMap.set(r.mid, `${r.memberId}:${r.source}`);
    }
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (this.pc.iceGatheringState !== "complete") await this.pc.iceGatheringStateChange.watch((s) => s === "complete", 5000);
    this.#watchRtcp();
    this.send({ type: "answer", seq: offer.seq, sdp: this.pc.localDescription!.sdp });
  }

  #rtcpWatched = false;
  #watchRtcp(): void {
    const dtls = this.pc.dtlsTransports[0];
    if (!dtls || this.#rtcpWatched) return;
    this.#rtcpWatched = true;
    if (this.#opts.lean) {
      // werift's path until DTLS is up, then the fast ingress takes every RTP datagram first.
      dtls.onRtp.allUnsubscribe();
      dtls.onRtp.subscribe((rtp) => this.#mark(rtp.payload, performance.now()));
      if (dtls.state === "connected") this.#takeFast();
      else dtls.onStateChange.subscribe((s) => s === "connected" && this.#takeFast());
    }
    dtls.onRtcp.subscribe((p: RtcpPacket) => {
      const video = this.#sendSlots.get("camera") ?? this.#sendSlots.get("screen");
      if (p.type === RtcpTransportLayerFeedback.type) {
        // werift's sender answers NACKs for what it sent; the fast streams answer for theirs.
        const nack = (p as RtcpTransportLayerFeedback).feedback;
        const out = video && this.#fastOut.get(video);
        if (out && nack instanceof GenericNack && nack.mediaSourceSsrc === video.sender.ssrc) for (const seq of nack.lost) out.resend(seq);
        return;
      }
      if (p.type !== RtcpPayloadSpecificFeedback.type) return;
      const fb = (p as RtcpPayloadSpecificFeedback).feedback;
      if (fb.count === PictureLossIndication.count && video && (fb as PictureLossIndication).mediaSsrc === video.sender.ssrc) {
        this.plisReceived++;
        this.#keyframeDue = true;
      }
    });
  }

  #takeFast(): void {
    const dtls = this.pc.dtlsTransports[0];
    if (!dtls || this.#ingress) return;
    try {
      this.#fast = FastTransport.of(dtls);
    } catch {
      // A profile the fast path does not know: werift's path keeps counting.
      return;
    }
    this.#ingress = this.#fast.receive(this.#onIngress);
    // A bot receives ~880 packets/s (11 x 80): the default 208 KB buffer holds ~0.1 s of them, so
    // a load generator descheduled for longer would drop at its own socket and count it as the
    // server's loss. 1 MB (the kernel doubles it) holds ~1 s; drops there are still reported.
    const protocols = (dtls.iceTransport.connection as unknown as { protocols: { transport?: { socket?: { setRecvBufferSize?: (n: number) => void } } }[] }).protocols;
    for (const p of protocols) {
      try {
        p.transport?.socket?.setRecvBufferSize?.(BOT_RECV_BUFFER);
      } catch {
        // Above net.core.rmem_max or closed: keep the default.
      }
    }
  }

  #closeFast(): void {
    this.#fast?.close();
    this.#fast = null;
    this.#ingress = null;
    this.#fastOut.clear();
  }

  /** Streams sent on the fast path, per send transceiver (made at the first packet once DTLS is up). */
  readonly #fastOut = new Map<RTCRtpTransceiver, BotRtpStream>();

  /**
   * The fast stream for this transceiver, or null for werift's sender (not lean, or no fast
   * transport). Once a stream is sent on the fast path it stays there: two SRTP contexts must
   * never encrypt under one SSRC (a shared index would reuse a nonce).
   */
  #fastStream(t: RTCRtpTransceiver, kind: "audio" | "video"): BotRtpStream | null {
    const existing = this.#fastOut.get(t);
    if (existing) return existing;
    if (!this.#fast || !this.#opts.lean) return null;
    const ids = Object.entries(this.pc.extIdUriMap);
    const idOf = (uri: string) => Number(ids.find(([, u]) => u === uri)?.[0] ?? 0);
    const stream = new BotRtpStream(this.#fast, {
      ssrc: t.sender.ssrc,
      payloadType: t.sender.codec?.payloadType ?? (kind === "video" ? 96 : 111),
      midId: idOf(RTP_EXTENSION_URI.sdesMid),
      mid: t.mid ?? "",
      ...(kind === "video" ? { absSendTimeId: idOf(RTP_EXTENSION_URI.absSendTime) } : { audioLevelId: idOf(RTP_EXTENSION_URI.audioLevelIndication), audioLevel: this.#opts.audioLevel }),
    });
    this.#fastOut.set(t, stream);
    return stream;
  }

  /** True when the server let this bot send video (admission control may hold a member to sound only). */
  get publishesVideo(): boolean {
    return this.#sendSlots.has("camera") || this.#sendSlots.has("screen");
  }

  /** Streams sent on the fast path, and packets of theirs that could not go or were sent again for a NACK. */
  get fastSendCounters(): { streams: number; failed: number; resent: number } {
    const c = { streams: 0, failed: 0, resent: 0 };
    for (const s of this.#fastOut.values()) {
      c.streams++;
      c.failed += s.failed;
      c.resent += s.resent;
    }
    return c;
  }

  /** The fast ingress's counters (authenticated RTP, auth failures, replays), or null on werift's path. */
  get ingressCounters(): IngressCounters | null {
    return this.#ingress?.counters ?? null;
  }

  /** Every packet the fast ingress authenticated: its marker only, read in place; never handed to werift. */
  readonly #onIngress = (p: IngressPacket): boolean => {
    const now = performance.now();
    if (p.payload.length < MARK_AT + MARK_LEN) return true;
    const v = p.mem.view;
    const o = p.at + p.headerLength + MARK_AT;
    if (v.getUint16(o) !== MAGIC) return true;
    this.streams.add(v.getUint16(o + 2) * 2 + (v.getUint8(o + 4) === 1 ? 1 : 0), v.getUint32(o + 5));
    this.#opts.latency?.add(now - v.getFloat64(o + 9));
    return true;
  };

  /** Resolves when DTLS is up (media can flow). */
  async connected(timeoutMs = 5000): Promise<void> {
    if (this.pc.connectionState === "connected") return;
    await this.pc.connectionStateChange.watch((s) => s === "connected", timeoutMs);
  }

  #count(track: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    track.onReceiveRtp.subscribe((rtp) => {
      const mid = transceiver.mid ?? "";
      const key = this.#receiveMap.get(mid) ?? `?:${mid}`;
      let s = this.received.get(key);
      if (!s) this.received.set(key, (s = { packets: 0, gaps: 0, empty: 0, repeats: 0, keyframes: 0, firstWasKeyframe: null, firstSeq: rtp.header.sequenceNumber, lastSeq: 0 }));
      const p = rtp.payload;
      const step = (rtp.header.sequenceNumber - s.lastSeq) & 0xffff;
      if (s.packets > 0 && (step === 0 || step > 0x8000)) {
        // Not a new packet: count it and leave the stream's position where it was.
        s.repeats++;
        s.packets++;
        return;
      }
      if (s.packets > 0 && step !== 1) s.gaps++;
      if (p.length === 0) s.empty++;
      const keyframe = track.kind === "video" && isVp8Keyframe(p);
      s.packets++;
      s.lastSeq = rtp.header.sequenceNumber;
      if (keyframe) s.keyframes++;
      if (s.firstWasKeyframe === null) s.firstWasKeyframe = track.kind === "video" ? keyframe : false;
      this.#mark(p, performance.now());
    });
  }

  /** Reads the marker another bot put in: loss per sending stream, latency. */
  #mark(p: Buffer, now: number): void {
    if (p.length < MARK_AT + MARK_LEN || p.readUInt16BE(MARK_AT) !== MAGIC) return;
    this.streams.add(p.readUInt16BE(MARK_AT + 2) * 2 + (p[MARK_AT + 4] === 1 ? 1 : 0), p.readUInt32BE(MARK_AT + 5));
    this.#opts.latency?.add(now - p.readDoubleBE(MARK_AT + 9));
  }

  /**
   * Starts sending: video at `videoPps` packets of `videoBytes`, audio at `audioPps` of
   * `audioBytes`. `paddingEvery` > 0 adds a padding-only packet after every n-th video packet,
   * as Chromium does when it probes its uplink.
   */
  startMedia(opts: { videoPps?: number; videoBytes?: number; audioPps?: number; audioBytes?: number; keyframeEvery?: number; paddingEvery?: number } = {}): void {
    const { videoPps = 30, videoBytes = 1100, audioPps = 50, audioBytes = 100, keyframeEvery = 90, paddingEvery = 0 } = opts;
    const video = Buffer.alloc(videoBytes);
    const audio = Buffer.alloc(audioBytes);
    const sendVideo = () => {
      const slot = this.#sendSlots.get("camera") ?? this.#sendSlots.get("screen");
      if (!slot) return;
      const seq = this.#videoSeq++;
      const keyframe = this.#keyframeDue || seq % keyframeEvery === 0;
      this.#keyframeDue = false;
      vp8Frame(video, keyframe);
      this.#stamp(video, 1, seq);
      const fast = this.#fastStream(slot, "video");
      if (fast) {
        // Lean bots send no padding-only packets (the bench asks for none).
        fast.send(video, this.#videoRtpSeq++, (seq * 3000) >>> 0, true);
        return;
      }
      const header = new RtpHeader({ payloadType: 96, sequenceNumber: this.#videoRtpSeq++ & 0xffff, timestamp: (seq * 3000) >>> 0, marker: true });
      slot.sender.sendRtp(new RtpPacket(header, video)).catch(() => {});
      if (paddingEvery > 0 && seq % paddingEvery === 0) {
        // werift's SRTP writes header and payload as given: the padding bytes (last one = count) go in the payload.
        const padding = new RtpHeader({ payloadType: 96, sequenceNumber: this.#videoRtpSeq++ & 0xffff, timestamp: (seq * 3000) >>> 0, padding: true });
        slot.sender.sendRtp(new RtpPacket(padding, PADDING)).catch(() => {});
      }
    };
    let levelId = -1;
    const sendAudio = () => {
      const slot = this.#sendSlots.get("audio");
      if (!slot) return;
      const seq = this.#audioSeq++;
      this.#stamp(audio, 0, seq);
      const fast = this.#fastStream(slot, "audio");
      if (fast) {
        fast.send(audio, seq, (seq * 960) >>> 0, false);
        return;
      }
      const header = new RtpHeader({ payloadType: 111, sequenceNumber: seq & 0xffff, timestamp: (seq * 960) >>> 0 });
      if (levelId < 0) levelId = Number(Object.entries(this.pc.extIdUriMap).find(([, uri]) => uri === RTP_EXTENSION_URI.audioLevelIndication)?.[0] ?? 0);
      if (levelId) header.extensions = [{ id: levelId, payload: Buffer.from([0x80 | this.#opts.audioLevel]) }];
      slot.sender.sendRtp(new RtpPacket(header, audio)).catch(() => {});
    };
    // Paced by the clock, not by timer ticks: a late tick sends what is due, so the rate holds
    // when the event loop is busy (setInterval alone fell 10% short under load).
    const start = performance.now();
    let videoDone = 0;
    let audioDone = 0;
    this.#timers.push(
      setInterval(() => {
        const elapsed = performance.now() - start;
        const videoDue = Math.floor((elapsed * videoPps) / 1000) + 1;
        const audioDue = Math.floor((elapsed * audioPps) / 1000) + 1;
        for (; videoDone < videoDue; videoDone++) sendVideo();
        for (; audioDone < audioDue; audioDone++) sendAudio();
      }, 5),
    );
  }

  #stamp(p: Buffer, kind: 0 | 1, seq: number): void {
    p.writeUInt16BE(MAGIC, MARK_AT);
    p.writeUInt16BE(this.id & 0xffff, MARK_AT + 2);
    p[MARK_AT + 4] = kind;
    p.writeUInt32BE(seq >>> 0, MARK_AT + 5);
    p.writeDoubleBE(performance.now(), MARK_AT + 9);
  }

  /** Packets this bot has sent (video and audio). */
  get sent(): number {
    return this.#videoSeq + this.#audioSeq;
  }

  stopMedia(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
  }

  /** The SSRC the server sends the stream `key` with, and the bot's own outbound SSRC. */
  #ssrcs(key: string): { media: number; own: number } {
    const mid = [...this.#receiveMap].find(([, k]) => k === key)?.[0];
    const t = this.pc.getTransceivers().find((x) => x.mid === mid);
    const media = t?.receiver.tracks[0]?.ssrc;
    if (!media) throw new Error(`bot ${this.id}: not receiving ${key}`);
    return { media, own: (this.#sendSlots.get("camera") ?? this.#sendSlots.get("audio"))?.sender.ssrc ?? 0 };
  }

  /** A PLI for the stream this bot receives from `key`, with the bot's own video SSRC as sender (as Chromium does). */
  async sendPli(key: string): Promise<void> {
    const { media, own } = this.#ssrcs(key);
    const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: own, mediaSsrc: media }) });
    await this.pc.dtlsTransports[0]!.sendRtcp([pli]);
  }

  /** A FIR (RFC 5104) for the stream this bot receives from `key`; werift has no writer for it. */
  async sendFir(key: string, seq: number): Promise<void> {
    const { media, own } = this.#ssrcs(key);
    const fir = Buffer.alloc(20);
    fir[0] = 0x80 | 4; // V=2, FMT=4
    fir[1] = 206; // PSFB
    fir.writeUInt16BE(4, 2); // length in words, minus one
    fir.writeUInt32BE(own, 4);
    fir.writeUInt32BE(0, 8); // media source: unused for FIR
    fir.writeUInt32BE(media, 12);
    fir[16] = seq & 0xff;
    await this.pc.dtlsTransports[0]!.sendRtcp([{ serialize: () => fir } as unknown as RtcpPacket]);
  }

  /** A generic NACK asking the server to send these sequence numbers of stream `key` again. */
  async sendNack(key: string, lost: number[]): Promise<void> {
    const { media, own } = this.#ssrcs(key);
    const nack = new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: own, mediaSourceSsrc: media, lost }) });
    await this.pc.dtlsTransports[0]!.sendRtcp([nack]);
  }

  /** Offer of the latest negotiation, as the server sent it. */
  get lastOffer(): Offer | undefined {
    return this.messages.filter((m): m is Offer => m.type === "offer").at(-1);
  }

  async close(): Promise<void> {
    this.stopMedia();
    if (this.ws && this.ws.readyState <= 1) this.ws.close();
    this.#closeFast();
    await this.pc.close().catch(() => {});
  }
}

/** A one-packet VP8 frame: descriptor (S=1, PID 0), then a keyframe header (start code, 640x480) or an inter-frame tag. */
function vp8Frame(p: Buffer, keyframe: boolean): void {
  p[0] = 0x10;
  if (keyframe) {
    p[1] = 0x00;
    p[2] = 0x00;
    p[3] = 0x00;
    p[4] = 0x9d;
    p[5] = 0x01;
    p[6] = 0x2a;
    p.writeUInt16LE(640, 7);
    p.writeUInt16LE(480, 9);
  } else {
    p[1] = 0x01;
    p.fill(0, 2, 11);
  }
}
