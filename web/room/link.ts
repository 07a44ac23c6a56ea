// The media connection to the appliance's SFU. The server always offers and this page answers
// (docs/room-protocol.md, "Media negotiation"): each offer says which m-lines carry this
// member's own media (`send`) and which carry someone else's (`receive`). An offer marked
// `fresh` starts a new server-side connection, so the page starts a new RTCPeerConnection.
import type { ClientMessage, ServerMessage } from "../../src/rooms/protocol.ts";
import type { LocalMedia, Source } from "./local.ts";

export type Offer = Extract<ServerMessage, { type: "offer" }>;

/** Simulcast layers the server offers for the camera, smallest first (docs/room-protocol.md). */
const LAYERS: Record<string, number> = { l: 4, m: 2, h: 1 };
/** How long a "disconnected" connection may stay so before the page asks for a new one. */
const DISCONNECTED_GRACE_MS = 4000;

export interface Remote {
  memberId: number;
  source: Source;
  track: MediaStreamTrack;
  /** One stream per m-line for its lifetime, so a <video> or <audio> keeps playing it. */
  stream: MediaStream;
}

export interface LinkHooks {
  send(msg: ClientMessage): void;
  /** The set of remote streams (or their owners) changed. */
  remotesChanged(): void;
  /** A restart was asked for and no fresh offer came: the socket itself may be dead. */
  stuck(): void;
}

/** After asking for a restart, how long to wait for the fresh offer before suspecting the socket. */
const FRESH_OFFER_WAIT_MS = 6000;

export class MediaLink {
  #pc: RTCPeerConnection | null = null;
  #streams = new Map<RTCRtpTransceiver, MediaStream>();
  #receive = new Map<string, { memberId: number; source: Source }>();
  #send = new Map<Source, RTCRtpTransceiver>();
  /** Candidates found before this connection's answer went out wait for it. */
  #answered = false;
  #early: RTCIceCandidate[] = [];
  #disconnectedTimer = 0;
  #stuckTimer = 0;
  #restartAsked = 0;
  #iceServers: RTCIceServer[] = [];

  constructor(
    private readonly local: LocalMedia,
    private readonly hooks: LinkHooks,
  ) {}

  get connection(): RTCPeerConnection | null {
    return this.#pc;
  }

  async offer(o: Offer): Promise<void> {
    if (o.fresh) this.#clearStuck();
    if (o.iceServers) this.#iceServers = o.iceServers;
    if (o.fresh || !this.#pc) this.#fresh();
    const pc = this.#pc!;
    await this.local.ready;
    await pc.setRemoteDescription({ type: "offer", sdp: o.sdp });
    if (pc !== this.#pc) return;
    this.#receive = new Map(o.receive.map((r) => [r.mid, { memberId: r.memberId, source: r.source as Source }]));
    const sendByMid = new Map(o.send.map((s) => [s.mid, s.source as Source]));
    this.#send.clear();
    for (const t of pc.getTransceivers()) {
      const mid = t.mid;
      if (!mid || t.currentDirection === "stopped") continue;
      const source = sendByMid.get(mid);
      if (source) {
        this.#send.set(source, t);
        await this.#attach(t, source);
      } else {
        t.direction = this.#receive.has(mid) ? "recvonly" : "inactive";
        if (this.#receive.has(mid) && !this.#streams.has(t)) this.#streams.set(t, new MediaStream([t.receiver.track]));
      }
    }
    if (pc !== this.#pc) return;
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.#pc) return;
    this.hooks.send({ type: "answer", seq: o.seq, sdp: pc.localDescription!.sdp });
    this.#answered = true;
    for (const c of this.#early.splice(0)) this.#sendCandidate(c);
    // Encodings can be tuned once the answer has made the layers real.
    const camera = this.#send.get("camera");
    if (camera) await this.#tuneLayers(camera.sender);
    this.hooks.remotesChanged();
  }

  /** The page's track for a source changed (device switch, camera toggled): send the new one. */
  async trackChanged(source: Source): Promise<void> {
    const t = this.#send.get(source);
    if (!t || !this.#pc) return;
    const track = this.local.track(source);
    // Only a track that is there already can be swapped without a new offer; a source that
    // starts or stops is the server's to renegotiate (camera/share messages).
    if (track && t.direction === "sendonly") {
      await t.sender.replaceTrack(track).catch(() => {});
      if (source === "camera") await this.#tuneLayers(t.sender);
    } else if (!track) {
      await t.sender.replaceTrack(null).catch(() => {});
    }
  }

  /** The remote streams now carried, by member and source. */
  remotes(): Remote[] {
    const out: Remote[] = [];
    const pc = this.#pc;
    if (!pc) return out;
    for (const t of pc.getTransceivers()) {
      const who = t.mid ? this.#receive.get(t.mid) : undefined;
      const stream = this.#streams.get(t);
      if (who && stream) out.push({ ...who, track: t.receiver.track, stream });
    }
    return out;
  }

  remote(memberId: number, source: Source): Remote | null {
    return this.remotes().find((r) => r.memberId === memberId && r.source === source) ?? null;
  }

  close(): void {
    clearTimeout(this.#disconnectedTimer);
    this.#clearStuck();
    this.#pc?.close();
    this.#pc = null;
    this.#streams = new Map();
    this.#receive.clear();
    this.#send.clear();
    this.hooks.remotesChanged();
  }

  #fresh(): void {
    this.close();
    // The appliance offers its own host addresses; the only ICE server ever asked is the clinic's
    // TURN relay, when the server sent one with this member's fresh offer (src/rooms/relay.ts).
    const pc = new RTCPeerConnection({ iceServers: this.#iceServers, bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.#pc = pc;
    this.#answered = false;
    this.#early = [];
    pc.onicecandidate = (e) => {
      if (pc !== this.#pc || !e.candidate?.candidate) return;
      if (this.#answered) this.#sendCandidate(e.candidate);
      else this.#early.push(e.candidate);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.#pc) return;
      clearTimeout(this.#disconnectedTimer);
      if (pc.connectionState === "failed") this.#askRestart();
      else if (pc.connectionState === "disconnected") this.#disconnectedTimer = window.setTimeout(() => this.#askRestart(), DISCONNECTED_GRACE_MS);
    };
  }

  #clearStuck(): void {
    clearTimeout(this.#stuckTimer);
    this.#stuckTimer = 0;
  }

  /** The connection broke: the server starts this member's media over on a fresh offer. */
  #askRestart(): void {
    const pc = this.#pc;
    if (!pc || (pc.connectionState !== "failed" && pc.connectionState !== "disconnected")) return;
    // The server accepts one every 2 s; asking again later covers a request lost with the socket.
    if (Date.now() - this.#restartAsked < 2500) return;
    this.#restartAsked = Date.now();
    this.hooks.send({ type: "restart-media" });
    this.#disconnectedTimer = window.setTimeout(() => this.#askRestart(), 3000);
    // A network change can kill the socket silently (no close for minutes): if the server does
    // not answer with a fresh offer, the page reconnects, which starts media over as well.
    if (!this.#stuckTimer) {
      this.#stuckTimer = window.setTimeout(() => {
        this.#stuckTimer = 0;
        if (pc === this.#pc) this.hooks.stuck();
      }, FRESH_OFFER_WAIT_MS);
    }
  }

  #sendCandidate(c: RTCIceCandidate): void {
    // A name (mDNS ".local") or TCP candidate is dropped by the server anyway: skip the message.
    const parts = c.candidate.split(" ");
    const address = parts[4] ?? "";
    if ((parts[2] ?? "").toLowerCase() !== "udp" || address.endsWith(".local")) return;
    this.hooks.send({
      type: "candidate",
      candidate: c.candidate,
      ...(c.sdpMid ? { sdpMid: c.sdpMid } : {}),
      ...(c.sdpMLineIndex !== null ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
    });
  }

  async #attach(t: RTCRtpTransceiver, source: Source): Promise<void> {
    const track = this.local.track(source);
    if (!track) {
      t.direction = "inactive";
      if (t.sender.track) await t.sender.replaceTrack(null).catch(() => {});
      return;
    }
    t.direction = "sendonly";
    if (t.sender.track !== track) await t.sender.replaceTrack(track);
  }

  /**
   * Camera simulcast: rids l, m, h at a quarter, half and full size, so the SFU can give each
   * subscriber the layer that fits their tile. Low bandwidth sends the smallest layer only, slower.
   */
  async #tuneLayers(sender: RTCRtpSender): Promise<void> {
    const params = sender.getParameters();
    if (!params.encodings?.length) return;
    const low = this.local.lowBandwidth;
    for (const e of params.encodings) {
      const scale = e.rid ? LAYERS[e.rid] : undefined;
      if (scale === undefined) continue;
      e.scaleResolutionDownBy = low ? 1 : scale;
      e.active = !low || e.rid === "l";
      if (low) e.maxFramerate = 15;
      else delete e.maxFramerate;
    }
    await sender.setParameters(params).catch(() => {});
  }
}
