import { isVp8Keyframe, vp8KeyframeHeight, vp8KeyframeWidth } from "./vp8.ts";
import { SpeakingDetector } from "./speaking.ts";
import { SequenceGaps } from "./sequence.ts";

/**
 * The forwarding table (mediasoup's nouns): a Room's Router routes each Producer (one member's
 * audio, camera or screen, as received) to Consumers (that stream on its way to one other
 * member). Everything per packet lives here and in the RtpSink behind each consumer, so a
 * faster engine can replace this module without touching signaling or room state.
 *
 * Per packet: no allocation, no logging, no promises created here.
 */

export type Source = "audio" | "camera" | "screen";
export type MediaKind = "audio" | "video";

export function kindOf(source: Source): MediaKind {
  return source === "audio" ? "audio" : "video";
}

/**
 * What the router reads and rewrites of a packet: werift's RtpPacket (its receiver) and the fast
 * ingress's IngressPacket both fit. The router may rewrite sequenceNumber in place.
 */
export interface ForwardedPacket {
  readonly header: { readonly ssrc: number; sequenceNumber: number; readonly timestamp: number; readonly marker: boolean; readonly payloadType: number };
  readonly payload: Uint8Array;
}

/** Where a consumer's packets leave: a werift RTCRtpSender, or the fast path's DirectSink (peer.ts). */
export interface RtpSink {
  send(rtp: ForwardedPacket): void;
  /** The next packet comes from another stream (a layer switch): keep sequence and timestamp continuous. */
  restart(): void;
}

/** Below this, a keyframe request is not repeated: one keyframe serves every waiting consumer. */
const KEYFRAME_REQUEST_GAP_MS = 300;
/**
 * A camera layer silent this long has lost its subscribers' reference pictures (a loss burst, a
 * stalled uplink): when it resumes, the SFU asks the sender for a keyframe at once instead of
 * waiting for subscribers' PLIs, which cross the subscribers' links first. Not for screens: a
 * still screen is sent a frame every few seconds, and each would cost a keyframe.
 */
const RESUME_GAP_MS = 1000;
/**
 * A consumer's layer silent this long while another layer of the same producer flows has been
 * stopped by the sender (Chromium drops its larger layers when its estimate falls, as it does
 * after a loss burst): the consumer falls back to a flowing layer no larger, at that layer's next
 * keyframe, instead of waiting out the room's layer choice (2 s of silence, checked once a second)
 * with a frozen picture. Its target stays: it goes back on the target's first keyframe.
 */
const STALL_MS = 500;

/** One encoding of a producer: the only one, or a simulcast layer (rid). */
export class Layer {
  ssrc = 0;
  width = 0;
  height = 0;
  /** Counters since the room last sampled them (once a second). */
  packets = 0;
  bytes = 0;
  bitrate = 0;
  lastPacketAt = 0;
  lastKeyframeAt = 0;
  lastKeyframeRequestAt = -Infinity;
  readonly gaps = new SequenceGaps();

  constructor(
    readonly producer: Producer,
    readonly rid: string,
  ) {}

  get active(): boolean {
    return this.bitrate > 0;
  }
}

export class Producer {
  readonly kind: MediaKind;
  readonly layers: Layer[] = [];
  readonly consumers: Consumer[] = [];
  readonly speaking = new SpeakingDetector();
  /** Muted (by the member or the clinician): nothing is forwarded. */
  paused = false;
  closed = false;

  constructor(
    readonly id: string,
    readonly memberId: number,
    readonly source: Source,
    /** Sends a PLI for this layer upstream; the peer that receives it knows how. */
    private readonly askKeyframe: (layer: Layer) => void,
    private readonly counter: ForwardCount,
  ) {
    this.kind = kindOf(source);
  }

  /** Called when a layer starts (or resumes) arriving, so the room can choose layers for consumers. */
  onNewLayer: ((producer: Producer) => void) | null = null;

  layer(rid: string): Layer {
    let layer = this.layers.find((l) => l.rid === rid);
    if (!layer) {
      layer = new Layer(this, rid);
      this.layers.push(layer);
      this.onNewLayer?.(this);
    }
    return layer;
  }

  /** The hot path: one packet from the member, out to every consumer that wants this layer. */
  receive(layer: Layer, rtp: ForwardedPacket, now: number): void {
    layer.ssrc = rtp.header.ssrc;
    const seq = layer.gaps.map(rtp.header.sequenceNumber, rtp.payload.length === 0);
    if (seq < 0) return;
    rtp.header.sequenceNumber = seq;
    layer.packets++;
    layer.bytes += rtp.payload.length;
    const silentFor = now - layer.lastPacketAt;
    const resumed = this.source === "camera" && layer.lastPacketAt > 0 && silentFor > RESUME_GAP_MS;
    layer.lastPacketAt = now;
    if (this.paused) return;
    let keyframe = false;
    if (this.kind === "video") {
      keyframe = isVp8Keyframe(rtp.payload);
      if (keyframe) this.#keyframe(layer, rtp.payload, now);
      else if (resumed) this.requestKeyframe(layer, now);
      // Its consumers were moved off it while it was silent: choose again now, not at the next tick.
      if (resumed) this.onNewLayer?.(this);
    }
    const consumers = this.consumers;
    for (let i = 0; i < consumers.length; i++) {
      const c = consumers[i]!;
      if (c.paused) continue;
      if (c.layer !== layer) {
        // A consumer starts, or changes layer, only on a keyframe of the layer it wants, or of a
        // flowing layer to fall back to while its own has stopped.
        const fallback = c.target !== layer && stalled(c, layer, now);
        if (fallback && !keyframe) this.requestKeyframe(layer, now);
        if ((c.target !== layer && !fallback) || !keyframe) continue;
        c.layer = layer;
        c.sink.restart();
      }
      c.packets++;
      this.counter.forwarded++;
      c.sink.send(rtp);
    }
  }

  #keyframe(layer: Layer, payload: Uint8Array, now: number): void {
    layer.lastKeyframeAt = now;
    const width = vp8KeyframeWidth(payload);
    if (width > 0) {
      layer.width = width;
      layer.height = vp8KeyframeHeight(payload);
    }
  }

  /**
   * A packet of this layer is lost for good (the SFU's NACKs upstream went unanswered): every
   * consumer forwarded it now has a picture it cannot decode past, and its browser would only ask
   * for a keyframe after seconds without a decodable frame. Ask now, if anyone is watching it.
   */
  lostForGood(layer: Layer, now: number): void {
    const consumers = this.consumers;
    for (let i = 0; i < consumers.length; i++) {
      const c = consumers[i]!;
      if (!c.paused && c.layer === layer) return this.requestKeyframe(layer, now);
    }
  }

  requestKeyframe(layer: Layer | null, now: number): void {
    if (!layer || this.kind !== "video" || this.closed) return;
    if (now - layer.lastKeyframeRequestAt < KEYFRAME_REQUEST_GAP_MS) return;
    layer.lastKeyframeRequestAt = now;
    this.askKeyframe(layer);
  }
}

/** The consumer's layer and its target have both gone silent, and `flowing` is no larger than the layer it had. */
function stalled(c: Consumer, flowing: Layer, now: number): boolean {
  const had = c.layer;
  const target = c.target;
  if (had === null || target === null || now - had.lastPacketAt < STALL_MS || now - target.lastPacketAt < STALL_MS) return false;
  return flowing.width === 0 || had.width === 0 || flowing.width <= had.width;
}

export class Consumer {
  /** The layer being forwarded now; null until the first keyframe (video) of the target. */
  layer: Layer | null = null;
  /** The layer this subscriber should get (layers.ts decides). */
  target: Layer | null = null;
  /** Paused until the subscriber's browser has negotiated the m-line and DTLS is up. */
  paused = true;
  packets = 0;
  sink!: RtpSink;

  constructor(
    readonly producer: Producer,
    readonly subscriberId: number,
  ) {}
}

/** Packets forwarded to consumers, only ever growing: one per SFU worker (or process), shared by its rooms. */
export interface ForwardCount {
  forwarded: number;
}

export class Router {
  readonly producers = new Map<string, Producer>();

  constructor(readonly counter: ForwardCount = { forwarded: 0 }) {}

  addProducer(memberId: number, source: Source, askKeyframe: (layer: Layer) => void): Producer {
    const id = `${memberId}:${source}`;
    this.removeProducer(id);
    const producer = new Producer(id, memberId, source, askKeyframe, this.counter);
    this.producers.set(id, producer);
    return producer;
  }

  /** Removes a producer; returns the consumers that fed from it, so their peers can let go. */
  removeProducer(id: string): Consumer[] {
    const producer = this.producers.get(id);
    if (!producer) return [];
    producer.closed = true;
    this.producers.delete(id);
    return producer.consumers.splice(0);
  }

  /**
   * Connects a producer to one subscriber. `attach` gives the consumer its way out (the
   * subscriber's peer); the consumer stays paused until that peer releases it.
   */
  subscribe(producer: Producer, subscriberId: number, attach: (consumer: Consumer) => RtpSink): Consumer {
    const consumer = new Consumer(producer, subscriberId);
    if (producer.kind === "audio") {
      // Audio has no keyframes: it flows from the next packet.
      consumer.layer = consumer.target = producer.layer("");
    } else {
      consumer.target = producer.layers.length === 1 ? producer.layers[0]! : null;
    }
    consumer.sink = attach(consumer);
    producer.consumers.push(consumer);
    return consumer;
  }

  unsubscribe(consumer: Consumer): void {
    const list = consumer.producer.consumers;
    const i = list.indexOf(consumer);
    if (i >= 0) list.splice(i, 1);
  }

  /** Points a consumer at another layer; forwarding switches at that layer's next keyframe. */
  retarget(consumer: Consumer, layer: Layer | null, now: number): void {
    if (consumer.target === layer) return;
    consumer.target = layer;
    if (layer && consumer.layer !== layer) consumer.producer.requestKeyframe(layer, now);
  }

  /** Closes a once-a-second window: bitrates per layer. */
  sample(elapsedMs: number): void {
    for (const p of this.producers.values()) {
      for (const l of p.layers) {
        l.bitrate = elapsedMs > 0 ? (l.bytes * 8 * 1000) / elapsedMs : 0;
        l.bytes = 0;
        l.packets = 0;
      }
    }
  }

  consumersOf(subscriberId: number): Consumer[] {
    const out: Consumer[] = [];
    for (const p of this.producers.values()) for (const c of p.consumers) if (c.subscriberId === subscriberId) out.push(c);
    return out;
  }
}
