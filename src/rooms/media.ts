import type { RtcSettings } from "./ice.ts";
import { chooseLayer } from "./layers.ts";
import { Peer, ProtocolError, type Offer } from "./peer.ts";
import type { ErrorCode } from "./protocol.ts";
import { Router, type Consumer, type ForwardCount, type Producer, type Source } from "./router.ts";
import type { RecordedFile, RecordTarget, RoomRecorder } from "./recorder.ts";

/**
 * A room's media: its Router, one werift Peer per admitted member, layer choice and speaking.
 * It knows members only by id and by the media choices the room passes on; who is admitted,
 * who may do what, and everything people are told live in room.ts. A MediaRoom runs in the
 * main process or, normally, in an SFU worker process (workers/), and every call is a message
 * that could cross a process boundary: no return values but the promised ones.
 */

const SOURCES: readonly Source[] = ["audio", "camera", "screen"];
/** A page may ask for a fresh media connection at most this often. */
const RESTART_GAP_MS = 2000;
/** Assumed for each audio stream when dividing a subscriber's bandwidth among video tiles. */
const AUDIO_BPS = 64_000;

/** The member's media choices, as the room has settled them. */
export interface MediaChoices {
  mic: boolean;
  camera: boolean;
  sharing: boolean;
  audioOnly: boolean;
  lowBandwidth: boolean;
}

/** What a room's media tells its room. */
export interface MediaListener {
  offer(memberId: number, offer: Offer): void;
  speaking(memberId: number, speaking: boolean): void;
  /** The process that carried this room's media was replaced: no member has media any more. */
  restarted(): void;
  /** A recording file was written and sealed (recorder.ts). */
  recorded?(file: RecordedFile): void;
}

/** Counts only, per member: what flows, without names. */
export interface MemberMediaStats {
  id: number;
  producers: Source[];
  consumers: { from: number; source: Source; packets: number; paused: boolean; layer: string | null }[];
  peer: ReturnType<Peer["stats"]> | null;
  estimateKbps: number | null;
}

export interface RoomMediaStats {
  members: MemberMediaStats[];
}

/** The operations a room asks of its media, wherever it runs (in process, or in a worker). */
export interface RoomMedia {
  start(memberId: number, choices: MediaChoices): void;
  stop(memberId: number): void;
  /** The page saw its connection fail: a fresh peer connection (rate-limited). */
  restart(memberId: number): void;
  /** Applies an answer; resolves to the error code the member should hear, or null. */
  answer(memberId: number, seq: number, sdp: string): Promise<ErrorCode | null>;
  candidate(memberId: number, candidate: string, sdpMid?: string, sdpMLineIndex?: number): Promise<ErrorCode | null>;
  mic(memberId: number, on: boolean): void;
  upstream(memberId: number, source: "camera" | "screen", on: boolean): void;
  mode(memberId: number, audioOnly: boolean, lowBandwidth: boolean): void;
  view(memberId: number, tiles: [string, number][]): void;
  stats(): Promise<RoomMediaStats>;
  /** Recording runs to this part (recorder.ts), or stops with null: only as the consent feature says. */
  record(target: RecordTarget | null): void;
  /** A recording was asked for and may start within seconds: load the recorder now (see loadRecorder). */
  readyToRecord(): void;
  close(): void;
}

/**
 * The recorder (werift's WebM writer and age: some 70 modules, ~10 MB) is loaded only once a room
 * asks to record: most sessions never do, and every worker and the main process would carry it.
 * Loading takes ~0.1 s of this process, so the consent feature asks for it when a request opens
 * (readyToRecord), seconds before everyone's yes starts recording, not in the middle of forwarding.
 */
let recorderClass: typeof RoomRecorder | null = null;
function loadRecorder(): typeof RoomRecorder {
  recorderClass ??= (require("./recorder.ts") as typeof import("./recorder.ts")).RoomRecorder;
  return recorderClass;
}

class MediaMember {
  peer: Peer | null = null;
  tiles = new Map<string, number>();
  constructor(
    readonly id: number,
    public choices: MediaChoices,
  ) {}
}

export class MediaRoom implements RoomMedia {
  readonly router: Router;
  readonly #members = new Map<number, MediaMember>();
  readonly #tick: ReturnType<typeof setInterval>;
  readonly #speakingTick: ReturnType<typeof setInterval>;
  #lastSample = performance.now();
  #closed = false;
  /** Only while recording: not recording, no packet is copied anywhere. */
  #recorder: RoomRecorder | null = null;

  constructor(
    private readonly settings: RtcSettings,
    private readonly listener: MediaListener,
    /** Where forwarded packets are counted: the host's count, for its load report. */
    counter?: ForwardCount,
  ) {
    this.router = new Router(counter);
    this.#tick = setInterval(() => this.#everySecond(), 1000);
    this.#speakingTick = setInterval(() => this.#speaking(), 250);
  }

  start(memberId: number, choices: MediaChoices): void {
    if (this.#closed) return;
    this.stop(memberId);
    const member = new MediaMember(memberId, { ...choices });
    this.#members.set(memberId, member);
    this.#connect(member);
  }

  stop(memberId: number): void {
    const member = this.#members.get(memberId);
    if (!member) return;
    this.#disconnect(member);
    this.#members.delete(memberId);
    this.#recorder?.memberGone(memberId);
  }

  restart(memberId: number): void {
    const member = this.#members.get(memberId);
    const peer = member?.peer;
    if (!member || !peer || performance.now() - peer.createdAt < RESTART_GAP_MS) return;
    this.#peerFailed(member, peer);
  }

  async answer(memberId: number, seq: number, sdp: string): Promise<ErrorCode | null> {
    return this.#protocol(() => this.#members.get(memberId)?.peer?.applyAnswer(seq, sdp));
  }

  async candidate(memberId: number, candidate: string, sdpMid?: string, sdpMLineIndex?: number): Promise<ErrorCode | null> {
    return this.#protocol(() => this.#members.get(memberId)?.peer?.addCandidate(candidate, sdpMid, sdpMLineIndex));
  }

  async #protocol(work: () => Promise<void> | undefined): Promise<ErrorCode | null> {
    try {
      await work();
      return null;
    } catch (err) {
      if (err instanceof ProtocolError) return err.code as ErrorCode;
      throw err;
    }
  }

  mic(memberId: number, on: boolean): void {
    const member = this.#members.get(memberId);
    if (!member) return;
    member.choices.mic = on;
    const audio = this.router.producers.get(`${memberId}:audio`);
    if (!audio) return;
    audio.paused = !on;
    if (!on && audio.speaking.speaking) {
      audio.speaking.reset();
      this.listener.speaking(memberId, false);
    }
  }

  upstream(memberId: number, source: "camera" | "screen", on: boolean): void {
    const member = this.#members.get(memberId);
    if (!member) return;
    if (source === "camera") member.choices.camera = on;
    else member.choices.sharing = on;
    if (on) member.peer?.openUpstream(source);
    else member.peer?.closeUpstream(source);
  }

  /**
   * Audio-only: the member neither sends nor receives video, and the server stops forwarding
   * it to them (their video consumers are gone, not just hidden).
   */
  mode(memberId: number, audioOnly: boolean, lowBandwidth: boolean): void {
    const member = this.#members.get(memberId);
    if (!member) return;
    const choices = member.choices;
    choices.lowBandwidth = lowBandwidth;
    if (audioOnly !== choices.audioOnly) {
      choices.audioOnly = audioOnly;
      const peer = member.peer;
      if (peer && audioOnly) {
        choices.sharing = false;
        peer.closeUpstream("camera");
        peer.closeUpstream("screen");
        for (const c of this.router.consumersOf(memberId)) if (c.producer.kind === "video") this.#unsubscribe(c);
      } else if (peer) {
        if (choices.camera) peer.openUpstream("camera");
        this.#subscribeToAll(member);
      }
    }
    this.#selectLayers(member);
  }

  view(memberId: number, tiles: [string, number][]): void {
    const member = this.#members.get(memberId);
    if (!member) return;
    member.tiles = new Map(tiles);
    this.#selectLayers(member);
  }

  async stats(): Promise<RoomMediaStats> {
    const members = [...this.#members.values()].map((m) => {
      const consumers = this.router.consumersOf(m.id);
      return {
        id: m.id,
        producers: SOURCES.filter((s) => this.router.producers.has(`${m.id}:${s}`)),
        consumers: consumers.map((c) => ({
          from: c.producer.memberId,
          source: c.producer.source,
          packets: c.packets,
          paused: c.paused,
          layer: c.layer?.rid ?? null,
        })),
        peer: m.peer?.stats() ?? null,
        estimateKbps: m.peer ? Math.round(m.peer.bandwidth.bps / 1000) : null,
      };
    });
    return { members };
  }

  record(target: RecordTarget | null): void {
    if (this.#closed) return;
    if (target && !this.#recorder) this.#recorder = new (loadRecorder())(this.router, (file) => this.listener.recorded?.(file));
    this.#recorder?.record(target);
  }

  readyToRecord(): void {
    if (!this.#closed) loadRecorder();
  }

  /** Members with media here now. */
  get members(): number {
    return this.#members.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    clearInterval(this.#speakingTick);
    this.#recorder?.close();
    for (const m of this.#members.values()) this.#disconnect(m);
    this.#members.clear();
  }

  // ---- wiring ------------------------------------------------------------------------------

  #connect(member: MediaMember): void {
    const peer = new Peer(member.id, this.settings, {
      sendOffer: (offer) => this.listener.offer(member.id, offer),
      producerFor: (source) => this.#producerFor(member, source),
      producerGone: (source) => this.#removeProducer(member.id, source),
      failed: () => this.#peerFailed(member, peer),
    });
    member.peer = peer;
    const c = member.choices;
    peer.openUpstream("audio");
    if (!c.audioOnly && c.camera) peer.openUpstream("camera");
    if (!c.audioOnly && c.sharing) peer.openUpstream("screen");
    this.#subscribeToAll(member);
  }

  #disconnect(member: MediaMember): void {
    const peer = member.peer;
    if (!peer) return;
    member.peer = null;
    // Both directions stop here, synchronously: nothing more is forwarded to or from them.
    for (const c of this.router.consumersOf(member.id)) this.router.unsubscribe(c);
    for (const source of SOURCES) this.#removeProducer(member.id, source);
    void peer.close();
  }

  /** A member's transport failed (or the page asked): media starts over on a fresh connection. */
  #peerFailed(member: MediaMember, peer: Peer): void {
    if (member.peer !== peer || this.#members.get(member.id) !== member) return;
    this.#disconnect(member);
    this.#connect(member);
  }

  /** Does this subscriber get this producer at all? Audio-only members get no video. */
  #wants(subscriber: MediaMember, producer: Producer): boolean {
    return producer.memberId !== subscriber.id && subscriber.peer !== null && (producer.kind === "audio" || !subscriber.choices.audioOnly);
  }

  #subscribe(subscriber: MediaMember, producer: Producer): void {
    const peer = subscriber.peer!;
    const consumer = this.router.subscribe(producer, subscriber.id, (c) => peer.attach(c));
    if (producer.kind === "video") this.#selectFor(subscriber, consumer, performance.now());
  }

  #unsubscribe(consumer: Consumer): void {
    this.router.unsubscribe(consumer);
    this.#members.get(consumer.subscriberId)?.peer?.detach(consumer);
  }

  #subscribeToAll(member: MediaMember): void {
    const have = new Set(this.router.consumersOf(member.id).map((c) => c.producer));
    for (const p of this.router.producers.values()) if (!have.has(p) && this.#wants(member, p)) this.#subscribe(member, p);
  }

  #producerFor(member: MediaMember, source: Source): Producer {
    const existing = this.router.producers.get(`${member.id}:${source}`);
    if (existing) return existing;
    const producer = this.router.addProducer(member.id, source, (layer) => member.peer?.askKeyframe(source, layer));
    producer.paused = source === "audio" && !member.choices.mic;
    producer.onNewLayer = (p) => this.#selectProducer(p);
    for (const other of this.#members.values()) if (this.#wants(other, producer)) this.#subscribe(other, producer);
    this.#recorder?.producerAdded(producer);
    return producer;
  }

  #removeProducer(memberId: number, source: Source): void {
    const producer = this.router.producers.get(`${memberId}:${source}`);
    if (producer?.kind === "audio" && producer.speaking.speaking) this.listener.speaking(memberId, false);
    for (const c of this.router.removeProducer(`${memberId}:${source}`)) this.#members.get(c.subscriberId)?.peer?.detach(c);
  }

  // ---- layers and speaking -----------------------------------------------------------------

  #selectLayers(member: MediaMember): void {
    const now = performance.now();
    for (const c of this.router.consumersOf(member.id)) if (c.producer.kind === "video") this.#selectFor(member, c, now);
  }

  #selectProducer(producer: Producer): void {
    const now = performance.now();
    for (const c of producer.consumers) {
      const m = this.#members.get(c.subscriberId);
      if (m) this.#selectFor(m, c, now);
    }
  }

  /** Picks a consumer's layer from its tile size and its share of the subscriber's bandwidth. */
  #selectFor(member: MediaMember, consumer: Consumer, now: number): void {
    const layers = consumer.producer.layers;
    if (layers.length <= 1) return this.router.retarget(consumer, layers[0] ?? null, now);
    const mine = this.router.consumersOf(member.id);
    const audio = mine.filter((c) => c.producer.kind === "audio").length;
    const area = (c: Consumer) => (member.tiles.get(c.producer.id) || 320) ** 2;
    const totalArea = mine.reduce((sum, c) => sum + (c.producer.kind === "video" ? area(c) : 0), 0);
    const budget = Math.max(0, (member.peer?.bandwidth.bps ?? 0) - audio * AUDIO_BPS) * (area(consumer) / (totalArea || 1));
    const infos = layers.map((l) => ({ width: l.width, bitrate: l.bitrate, active: now - l.lastPacketAt < 2000 }));
    const choice = chooseLayer(infos, { tileWidth: member.tiles.get(consumer.producer.id) ?? 0, budget, lowBandwidth: member.choices.lowBandwidth });
    this.router.retarget(consumer, choice >= 0 ? layers[choice]! : null, now);
  }

  #everySecond(): void {
    const now = performance.now();
    this.router.sample(now - this.#lastSample);
    this.#lastSample = now;
    for (const m of this.#members.values()) {
      if (!m.peer) continue;
      for (const c of this.router.consumersOf(m.id)) {
        if (c.producer.kind !== "video") continue;
        this.#selectFor(m, c, now);
        // Still waiting for a keyframe (a request or a keyframe was lost): ask again.
        if (!c.paused && c.target && c.layer !== c.target) c.producer.requestKeyframe(c.target, now);
      }
    }
  }

  #speaking(): void {
    for (const p of this.router.producers.values()) {
      if (p.kind === "audio" && p.speaking.tick()) this.listener.speaking(p.memberId, p.speaking.speaking);
    }
  }
}
