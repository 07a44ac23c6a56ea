/**
 * Admission control: before a member's media starts, decide whether the appliance can carry
 * their video, or whether they join with sound only. Video costs every other person in the
 * room; a box pushed past its safe load degrades everyone's call at once (queueing, then loss),
 * so one newcomer on audio is the kinder failure. Clinicians always get video: the session
 * needs them seen, and there is one or two of them.
 *
 * Pure: the forwarding rate, the box's CPU and the clock are injected, so every decision can be
 * tested with numbers. The Room calls consider() when a member is admitted, considerVideo() when
 * an audio-only member asks for video, and headroom() for the clinician's view.
 */
import type { Hearth } from "../context.ts";
import type { HeadroomView } from "./protocol.ts";

/** What the room looks like just before the newcomer (or the new video) is added; the newcomer is not counted. */
export interface RoomShape {
  /** People in the room sending camera video now. */
  videoSenders: number;
  /** People in the room sending audio now. */
  audioSenders: number;
  /** People in the room who would receive the newcomer's media (audio, and video unless audio-only). */
  receivers: number;
  /** Of the receivers, those who receive video (not audio-only); the same as `receivers` when left out. */
  videoReceivers?: number;
}

export type AdmissionReason =
  /** Video fits: the member gets video. */
  | "fits"
  /** A clinician: video whatever the load. */
  | "clinician"
  /** The member chose sound only themselves: nothing to refuse. */
  | "chosen"
  /** The forwarding rate with this join's video would pass the safe share of capacity. */
  | "capacity"
  /** The box's CPU is already past the safe load. */
  | "cpu";

export interface AdmissionDecision {
  /** True when the member joins (or stays) with sound only. */
  audioOnly: boolean;
  reason: AdmissionReason;
  /** Forwarded packets/s this decision adds (counted as reserved until the rate shows it). */
  addedPps: number;
}

export interface Headroom {
  /** `full`: new members join with sound only; `limited`: only a few more with video. */
  level: "ample" | "limited" | "full";
  /** Share of the safe load still free, 0-100. */
  percentFree: number;
  /** Forwarded packets/s now, with recent joins not yet measured. */
  usedPps: number;
  /** Forwarded packets/s the box can carry at its safe load. */
  safePps: number;
  /** The box's CPU (all cores), or null when no recent sample is at hand. */
  cpuLoadPct: number | null;
  /** With a room's shape: how many more people could join it with video. */
  videoJoinsLeft?: number;
}

/**
 * Packets per second of one stream, as the SFU forwards it to one subscriber. Audio: Opus in
 * 20 ms frames. Video: one simulcast layer per subscriber, the largest (640x480, ~1 Mb/s in
 * ~1,100-byte packets) at about 100/s; smaller layers send fewer, so this errs high.
 */
export const AUDIO_PPS = 50;
export const VIDEO_PPS = 100;

/**
 * Forwarded packets/s one SFU core carries when HEARTH_SFU_CAPACITY_PPS is not set. On the
 * development VM (x86 with AES instructions) the fast path measured 6.6-11 µs of CPU per
 * forwarded packet, on the order of 100k packets/s per core (docs/benchmarks.md). A Raspberry
 * Pi 4 has no AES instructions, so SRTP runs in software several times slower; 25k per core is
 * a quarter of the x86 figure, safe on a Pi and cautious on a mini-PC (which can raise it after
 * a load test, see docs/operations.md).
 */
export const DEFAULT_PPS_PER_CORE = 25_000;
/** Share of capacity (and of the box's CPU) past which new members get sound only. */
export const DEFAULT_SAFE_LOAD_PCT = 75;
/** Below this share free, the clinician sees "limited". */
const LIMITED_BELOW_PCT = 25;
/** Fewer video joins left than this (in a known room) is also "limited". */
const LIMITED_JOINS = 3;
/**
 * A join's media takes a few seconds to reach its full rate (DTLS, the first keyframe), and the
 * measured rate is a per-second average: until then its estimate is counted on top, so two quick
 * joins cannot both slip under the limit. Counting it twice for a moment errs on the safe side.
 */
const SETTLE_MS = 5_000;
/** The videoJoinsLeft count stops here: beyond it, "many". */
const MAX_JOINS_COUNTED = 64;

export function defaultCapacityPps(sfuCores: number): number {
  return DEFAULT_PPS_PER_CORE * Math.max(1, Math.floor(sfuCores));
}

export interface AdmissionOptions {
  /** Forwarded packets/s the box carries at full load (HEARTH_SFU_CAPACITY_PPS). */
  capacityPps: number;
  /** Percent of capacity and of CPU that is safe to use (HEARTH_SFU_SAFE_LOAD_PCT). */
  safeLoadPct?: number;
  /** Packets/s the SFU forwards now, summed over its workers. */
  forwardedPps: () => number;
  /** The box's latest CPU sample (HealthSampler.latest): percent of all cores, and when. */
  cpu?: () => { cpuLoadPct: number; at: number } | null;
  /** A CPU sample older than this is not believed (the sampler may have stopped). */
  cpuMaxAgeMs?: number;
  now?: () => number;
}

export class Admission {
  readonly capacityPps: number;
  readonly safeLoadPct: number;
  readonly #forwardedPps: () => number;
  readonly #cpu: () => { cpuLoadPct: number; at: number } | null;
  readonly #cpuMaxAgeMs: number;
  readonly #now: () => number;
  /** Recent decisions' packets/s, not yet visible in the measured rate. */
  readonly #reserved: { at: number; pps: number }[] = [];

  constructor(options: AdmissionOptions) {
    if (!(options.capacityPps > 0)) throw new RangeError("capacityPps must be positive");
    this.capacityPps = options.capacityPps;
    this.safeLoadPct = options.safeLoadPct ?? DEFAULT_SAFE_LOAD_PCT;
    if (!(this.safeLoadPct > 0 && this.safeLoadPct <= 100)) throw new RangeError("safeLoadPct must be within 1-100");
    this.#forwardedPps = options.forwardedPps;
    this.#cpu = options.cpu ?? (() => null);
    this.#cpuMaxAgeMs = options.cpuMaxAgeMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  get safePps(): number {
    return (this.capacityPps * this.safeLoadPct) / 100;
  }

  /**
   * A member is being admitted: video, or sound only? The room's shape is before they join.
   * Whatever the answer, its packets/s are reserved until the measured rate catches up.
   */
  consider(room: RoomShape, opts: { clinician?: boolean; wantsVideo?: boolean } = {}): AdmissionDecision {
    const audio = joinAudioPps(room);
    if (opts.clinician) return this.#reserve({ audioOnly: false, reason: "clinician", addedPps: audio + joinVideoPps(room) });
    if (opts.wantsVideo === false) return this.#reserve({ audioOnly: true, reason: "chosen", addedPps: audio });
    return this.#decide(audio, joinVideoPps(room));
  }

  /** An admitted member on sound only asks for video: only the video is new. */
  considerVideo(room: RoomShape): AdmissionDecision {
    return this.#decide(0, joinVideoPps(room));
  }

  #decide(audioPps: number, videoPps: number): AdmissionDecision {
    const refused = this.#refusal(videoPps);
    return this.#reserve(refused ? { audioOnly: true, reason: refused, addedPps: audioPps } : { audioOnly: false, reason: "fits", addedPps: audioPps + videoPps });
  }

  /** Why video of this many packets/s would not fit now, or null when it fits. */
  #refusal(videoPps: number): "cpu" | "capacity" | null {
    if (this.#cpuPast(this.#cpuNow())) return "cpu";
    if (this.#usedPps() + videoPps > this.safePps) return "capacity";
    return null;
  }

  /** How much room the box has left, for the clinician; with a room's shape, how many more could join it with video. */
  headroom(room?: RoomShape): Headroom {
    const used = this.#usedPps();
    const cpu = this.#cpuNow();
    const load = Math.max(used / this.safePps, cpu === null ? 0 : cpu / this.safeLoadPct);
    const percentFree = Math.max(0, Math.min(100, Math.round((1 - load) * 100)));
    const joins = room ? this.#videoJoinsLeft(room, used, cpu) : undefined;
    // The same tests consider() makes: no more video once the rate is at the safe share or the CPU past it.
    const full = used >= this.safePps || this.#cpuPast(cpu) || joins === 0;
    const limited = percentFree < LIMITED_BELOW_PCT || (joins !== undefined && joins < LIMITED_JOINS);
    return {
      level: full ? "full" : limited ? "limited" : "ample",
      percentFree: full ? 0 : percentFree,
      usedPps: Math.round(used),
      safePps: Math.round(this.safePps),
      cpuLoadPct: cpu,
      ...(joins === undefined ? {} : { videoJoinsLeft: joins }),
    };
  }

  /** Members joining one after another with video, each seeing the ones before. */
  #videoJoinsLeft(room: RoomShape, used: number, cpu: number | null): number {
    if (this.#cpuPast(cpu)) return 0;
    let shape = { ...room, videoReceivers: room.videoReceivers ?? room.receivers };
    let joins = 0;
    while (joins < MAX_JOINS_COUNTED) {
      const added = joinAudioPps(shape) + joinVideoPps(shape);
      if (used + added > this.safePps) break;
      used += added;
      joins++;
      shape = {
        videoSenders: shape.videoSenders + 1,
        audioSenders: shape.audioSenders + 1,
        receivers: shape.receivers + 1,
        videoReceivers: shape.videoReceivers + 1,
      };
    }
    return joins;
  }

  #reserve(decision: AdmissionDecision): AdmissionDecision {
    if (decision.addedPps > 0) this.#reserved.push({ at: this.#now(), pps: decision.addedPps });
    return decision;
  }

  #usedPps(): number {
    const now = this.#now();
    while (this.#reserved.length && now - this.#reserved[0]!.at >= SETTLE_MS) this.#reserved.shift();
    let pending = 0;
    for (const r of this.#reserved) pending += r.pps;
    const measured = this.#forwardedPps();
    return (Number.isFinite(measured) && measured > 0 ? measured : 0) + pending;
  }

  #cpuPast(cpu: number | null): boolean {
    return cpu !== null && cpu > this.safeLoadPct;
  }

  #cpuNow(): number | null {
    const sample = this.#cpu();
    if (!sample || !Number.isFinite(sample.cpuLoadPct)) return null;
    const age = this.#now() - sample.at;
    return age <= this.#cpuMaxAgeMs ? sample.cpuLoadPct : null;
  }
}

/** The newcomer's audio to each receiver, and everyone's audio to them. */
function joinAudioPps(room: RoomShape): number {
  return (room.receivers + room.audioSenders) * AUDIO_PPS;
}

/** The newcomer's camera to each video receiver, and everyone's camera to them. */
function joinVideoPps(room: RoomShape): number {
  return ((room.videoReceivers ?? room.receivers) + room.videoSenders) * VIDEO_PPS;
}

/**
 * The appliance's Admission: capacity from HEARTH_SFU_CAPACITY_PPS (or the per-core default for
 * the SFU's cores), the box's CPU from the health sampler, the forwarding rate from the SFU.
 */
export function admissionFor(hearth: Pick<Hearth, "config" | "health">, forwardedPps: () => number, sfuCores = 1): Admission {
  return new Admission({
    capacityPps: hearth.config.sfuCapacityPps ?? defaultCapacityPps(sfuCores),
    safeLoadPct: hearth.config.sfuSafeLoadPct,
    forwardedPps,
    cpu: () => hearth.health.latest,
    // Three missed samples: the sampler has stopped, and an old figure would mislead.
    cpuMaxAgeMs: 3 * hearth.config.healthIntervalMs,
  });
}

/** What the clinician's page is sent (the `room` message's `headroom`): the level and counts, not the rates. */
export function headroomView(h: Headroom): HeadroomView {
  return { level: h.level, percentFree: h.percentFree, ...(h.videoJoinsLeft === undefined ? {} : { videoJoinsLeft: h.videoJoinsLeft }) };
}
