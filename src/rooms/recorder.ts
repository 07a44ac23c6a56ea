import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DepacketizeCallback, JitterBufferCallback, RtpHeader, RtpPacket, RtpSourceCallback, RtpTimeCallback, WebmCallback } from "werift/nonstandard";
import { log } from "../log.ts";
import { redPrimaryStart } from "./fastpath/red.ts";
import { OPUS_PAYLOAD_TYPE, RED_PAYLOAD_TYPE } from "./ice.ts";
import { SealedRecordingWriter } from "./recording-file.ts";
import type { Consumer, ForwardedPacket, Producer, Router, RtpSink } from "./router.ts";

/**
 * The recorder of one room, in the process that carries its media (an SFU worker, normally). It
 * runs only while the room's consent feature says recording may run (recording.ts, through
 * RoomMedia.record): then each member's camera and microphone get one more consumer whose sink
 * copies the packet, already decrypted, into werift's pipeline (jitter buffer, VP8/Opus
 * depacketizer, WebM writer), and each chunk the writer emits is sealed before it is written
 * (recording-file.ts). Not recording, there is no such consumer: the packet path costs nothing.
 *
 * One file per member and stretch: a member's file ends when recording pauses or stops, when
 * they leave, or when their camera or microphone starts again (a new stream), and the next
 * stretch is a new file. Screen sharing is not recorded.
 */

/** Not a member: the consumers the recorder adds are known by this subscriber id. */
export const RECORDER_SUBSCRIBER = -1;
const VIDEO_TRACK = 1;
const AUDIO_TRACK = 2;
/** werift writes a placeholder duration first; the real one replaces it at the end (recording-file.ts). */
const PLACEHOLDER_DURATION_MS = 24 * 60 * 60 * 1000;
/** How long a member's starting streams are given to all arrive before their file opens. */
const SETTLE_MS = 1000;

export interface RecordTarget {
  /** Which part of which request (recording-record.ts), echoed back with each file. */
  request: number;
  part: number;
  /** Where files go (data/recordings) and the public recipient they are sealed to. */
  dir: string;
  recipient: string;
}

/**
 * A file, for the main process to record: once when it opens (finished false: if the worker dies
 * now, the file is still known, kept and swept) and once when it is sealed shut.
 */
export interface RecordedFile {
  request: number;
  part: number;
  member: number;
  file: string;
  startedAt: number;
  durationMs: number;
  bytes: number;
  finished: boolean;
  ok: boolean;
}

/** A copy of the packet for werift's pipeline: made only while recording. */
class RecorderSink implements RtpSink {
  constructor(
    private readonly source: RtpSourceCallback,
    private readonly payloadType: number,
  ) {}

  send(rtp: ForwardedPacket): void {
    const h = rtp.header;
    let payload = rtp.payload;
    if (h.payloadType === RED_PAYLOAD_TYPE && this.payloadType === OPUS_PAYLOAD_TYPE) {
      // werift's Opus depacketizer takes plain Opus: the primary block is the frame of this packet.
      const start = redPrimaryStart(payload, 0, payload.length, OPUS_PAYLOAD_TYPE);
      if (start < 0) return;
      payload = payload.subarray(start);
    }
    const header = new RtpHeader({ payloadType: this.payloadType, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, ssrc: h.ssrc });
    this.source.input(new RtpPacket(header, Buffer.from(payload)));
  }

  restart(): void {}
}

class MemberFile {
  readonly file = randomUUID();
  readonly startedAt = Date.now();
  readonly writer: SealedRecordingWriter;
  readonly webm: WebmCallback;
  readonly video = new RtpSourceCallback();
  readonly audio = new RtpSourceCallback();
  readonly consumers: Consumer[] = [];
  readonly producers = new Set<Producer>();
  #header: Uint8Array | null = null;
  #durationMs = 0;
  readonly #eol: Promise<void>;

  constructor(
    readonly member: number,
    readonly target: RecordTarget,
    /** A video track only when the member sends a camera: werift's writer holds everything until a video keyframe. */
    readonly withVideo: boolean,
  ) {
    this.writer = new SealedRecordingWriter(join(target.dir, `${this.file}.age`), target.recipient);
    const audio = { kind: "audio", codec: "OPUS", clockRate: 48000, trackNumber: AUDIO_TRACK } as const;
    this.webm = new WebmCallback(
      withVideo ? [{ kind: "video", codec: "VP8", clockRate: 90000, trackNumber: VIDEO_TRACK, width: 640, height: 480 }, audio] : [audio],
      { duration: PLACEHOLDER_DURATION_MS },
    );
    // werift's own chain, as its MediaRecorder builds it (without RTCP sender reports: RTP time).
    const jitter = new JitterBufferCallback(90000);
    const videoTime = new RtpTimeCallback(90000);
    const vp8 = new DepacketizeCallback("vp8", { isFinalPacketInSequence: (h) => h.marker });
    this.video.pipe(jitter.input);
    jitter.pipe(videoTime.input);
    videoTime.pipe(vp8.input);
    vp8.pipe(this.webm.inputVideo);
    const audioTime = new RtpTimeCallback(48000);
    const opus = new DepacketizeCallback("opus");
    this.audio.pipe(audioTime.input);
    audioTime.pipe(opus.input);
    opus.pipe(this.webm.inputAudio);
    this.#eol = new Promise((resolve) => {
      this.webm.pipe(async (out) => {
        if (out.saveToFile) this.writer.write(out.saveToFile);
        if (out.eol) {
          this.#header = out.eol.header;
          this.#durationMs = out.eol.duration;
          resolve();
        }
      });
    });
  }

  /** Ends both tracks; werift closes the WebM (cues, real duration), then the file is sealed shut. */
  async finish(): Promise<RecordedFile> {
    this.video.stop();
    this.audio.stop();
    // A track that never started (no keyframe, a muted microphone) sends werift's writer no end:
    // once what was in flight is through, it is closed here, with the real duration.
    await Promise.race([this.#eol, Bun.sleep(250)]);
    if (this.#header === null) this.webm.stop();
    await Promise.race([this.#eol, Bun.sleep(5000)]);
    let ok = true;
    try {
      await this.writer.finish(this.#header);
    } catch (err) {
      ok = false;
      log.error("recording file not written", { kind: (err as Error).name });
    }
    return { ...this.opened(), durationMs: Math.round(this.#durationMs), bytes: this.writer.bytes, finished: true, ok };
  }

  opened(): RecordedFile {
    const t = this.target;
    return { request: t.request, part: t.part, member: this.member, file: this.file, startedAt: this.startedAt, durationMs: 0, bytes: 0, finished: false, ok: true };
  }
}

export class RoomRecorder {
  readonly #files = new Map<number, MemberFile>();
  /** Members whose streams are starting: their file opens once the others have had a moment. */
  readonly #settling = new Map<number, ReturnType<typeof setTimeout>>();
  #target: RecordTarget | null = null;
  readonly #tick: ReturnType<typeof setInterval>;

  constructor(
    private readonly router: Router,
    private readonly report: (file: RecordedFile) => void,
  ) {
    this.#tick = setInterval(() => this.#chooseLayers(), 1000);
  }

  get recording(): boolean {
    return this.#target !== null;
  }

  /** Starts a part (closing the one before), or stops with null. */
  record(target: RecordTarget | null): void {
    for (const member of [...this.#files.keys()]) this.#close(member);
    for (const timer of this.#settling.values()) clearTimeout(timer);
    this.#settling.clear();
    this.#target = target;
    if (!target) return;
    mkdirSync(target.dir, { recursive: true, mode: 0o700 });
    const members = new Set([...this.router.producers.values()].filter((p) => p.source !== "screen").map((p) => p.memberId));
    for (const member of members) this.#open(member);
  }

  /**
   * A member's camera or microphone (re)appeared: recorded from here on. A member whose streams
   * are only starting (a join, a new connection) gets a moment for the others to arrive, so their
   * file has the tracks they send (the tracks of a WebM are fixed when it begins); the same stream
   * starting again, or a camera coming to a file made without one, begins a new stretch.
   */
  producerAdded(producer: Producer): void {
    if (!this.#target || producer.source === "screen") return;
    const member = producer.memberId;
    const file = this.#files.get(member);
    if (!file) {
      if (!this.#settling.has(member)) {
        const timer = setTimeout(() => {
          this.#settling.delete(member);
          if (this.#target && !this.#files.has(member)) this.#open(member);
        }, SETTLE_MS);
        this.#settling.set(member, timer);
      }
      return;
    }
    if (file.producers.has(producer)) return;
    if ([...file.producers].some((p) => p.source === producer.source) || (producer.kind === "video" && !file.withVideo)) {
      this.#close(member);
      this.#open(member);
      return;
    }
    this.#attach(file, producer);
  }

  /** A member left (their producers are gone): their file ends. */
  memberGone(memberId: number): void {
    clearTimeout(this.#settling.get(memberId));
    this.#settling.delete(memberId);
    this.#close(memberId);
  }

  close(): void {
    clearInterval(this.#tick);
    this.record(null);
  }

  #open(member: number): void {
    const streams = [...this.router.producers.values()].filter((p) => p.memberId === member && p.source !== "screen");
    if (!this.#target || streams.length === 0) return;
    const file = new MemberFile(member, this.#target, streams.some((p) => p.source === "camera"));
    this.#files.set(member, file);
    this.report(file.opened());
    for (const p of streams) this.#attach(file, p);
  }

  #attach(file: MemberFile, producer: Producer): void {
    if (file.producers.has(producer)) return;
    file.producers.add(producer);
    const video = producer.kind === "video";
    if (video && !file.withVideo) return;
    const consumer = this.router.subscribe(producer, RECORDER_SUBSCRIBER, () => new RecorderSink(video ? file.video : file.audio, video ? 96 : OPUS_PAYLOAD_TYPE));
    consumer.paused = false;
    file.consumers.push(consumer);
    if (video) this.#chooseLayer(consumer, true);
  }

  #close(memberId: number): void {
    const file = this.#files.get(memberId);
    if (!file) return;
    this.#files.delete(memberId);
    for (const c of file.consumers) this.router.unsubscribe(c);
    void file.finish().then(this.report);
  }

  /** The best layer a member sends is the one kept (simulcast layers appear as they start). */
  #chooseLayers(): void {
    for (const file of this.#files.values()) for (const c of file.consumers) if (c.producer.kind === "video") this.#chooseLayer(c, false);
  }

  /** The widest layer the member is sending now (a simulcast top layer may be off for want of bandwidth). */
  #chooseLayer(consumer: Consumer, ask: boolean): void {
    const now = performance.now();
    const live = consumer.producer.layers.filter((l) => now - l.lastPacketAt < 2000);
    if (live.length === 0) return;
    const best = live.reduce((a, b) => (b.width > a.width ? b : a));
    if (consumer.target !== best) this.router.retarget(consumer, best, now);
    else if (ask && consumer.layer !== best) consumer.producer.requestKeyframe(best, now);
  }
}
