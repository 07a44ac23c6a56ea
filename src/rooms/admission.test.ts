import { describe, expect, test } from "bun:test";
import type { HealthSampler } from "../appliance/health.ts";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { Admission, admissionFor, AUDIO_PPS, DEFAULT_PPS_PER_CORE, defaultCapacityPps, VIDEO_PPS, type RoomShape } from "./admission.ts";

/** Admission with numbers: a settable forwarding rate, CPU sample and clock. */
function world(capacityPps: number, safeLoadPct = 75) {
  const state = { pps: 0, cpu: null as { cpuLoadPct: number; at: number } | null, now: 1_000_000 };
  const admission = new Admission({
    capacityPps,
    safeLoadPct,
    forwardedPps: () => state.pps,
    cpu: () => state.cpu,
    cpuMaxAgeMs: 30_000,
    now: () => state.now,
  });
  return { admission, state };
}

/** A room of n people, all sending and receiving audio and video. */
const room = (n: number): RoomShape => ({ videoSenders: n, audioSenders: n, receivers: n });

describe("admission: video or sound only", () => {
  test("a join's cost: its video and audio to each receiver, everyone's to it", () => {
    const { admission } = world(1_000_000);
    const d = admission.consider(room(4));
    expect(d).toEqual({ audioOnly: false, reason: "fits", addedPps: 4 * (VIDEO_PPS + AUDIO_PPS) * 2 });
    // Audio-only receivers get no video: only the senders' video and the audio count for them.
    const mixed = admission.consider({ videoSenders: 3, audioSenders: 4, receivers: 4, videoReceivers: 3 });
    expect(mixed.addedPps).toBe((3 + 3) * VIDEO_PPS + (4 + 4) * AUDIO_PPS);
  });

  test("a join past capacity gets sound only, and says it is the capacity; one within it gets video", () => {
    // Safe share: 75% of 10,000 = 7,500 packets/s.
    const { admission, state } = world(10_000);
    state.pps = 5_000;
    // 4 people: video adds 800 + audio 400, fits under 7,500.
    expect(admission.consider(room(4))).toMatchObject({ audioOnly: false, reason: "fits" });
    state.now += 10_000; // the join is now in the measured rate
    state.pps = 7_000;
    const past = admission.consider(room(5));
    expect(past).toEqual({ audioOnly: true, reason: "capacity", addedPps: 10 * AUDIO_PPS });
  });

  test("the box's CPU past the safe load means sound only, whatever the packet rate; an old sample is not believed", () => {
    const { admission, state } = world(1_000_000);
    state.cpu = { cpuLoadPct: 80, at: state.now - 5_000 };
    expect(admission.consider(room(2))).toMatchObject({ audioOnly: true, reason: "cpu" });
    state.cpu = { cpuLoadPct: 70, at: state.now - 5_000 };
    expect(admission.consider(room(2))).toMatchObject({ audioOnly: false, reason: "fits" });
    state.cpu = { cpuLoadPct: 99, at: state.now - 60_000 };
    expect(admission.consider(room(2))).toMatchObject({ audioOnly: false, reason: "fits" });
  });

  test("a clinician always gets video; a member who chose sound only is not refused anything", () => {
    const { admission, state } = world(1_000, 50);
    state.pps = 900;
    state.cpu = { cpuLoadPct: 100, at: state.now };
    expect(admission.consider(room(3), { clinician: true })).toEqual({ audioOnly: false, reason: "clinician", addedPps: 3 * 2 * (VIDEO_PPS + AUDIO_PPS) });
    expect(admission.consider(room(3), { wantsVideo: false })).toEqual({ audioOnly: true, reason: "chosen", addedPps: 6 * AUDIO_PPS });
  });

  test("quick joins count until the measured rate can show them, then only the measurement counts", () => {
    const { admission, state } = world(4_000, 100);
    // Each join of a 3-person room adds 900 packets/s; four fit in 4,000, the fifth does not.
    for (let i = 0; i < 4; i++) expect(admission.consider(room(3)).audioOnly).toBe(false);
    expect(admission.consider(room(3))).toMatchObject({ audioOnly: true, reason: "capacity" });
    // Five seconds on, the joins are forgotten: the measured rate (still 0 here) is all there is.
    state.now += 5_000;
    expect(admission.consider(room(3)).audioOnly).toBe(false);
  });

  test("an audio-only member asking for video is weighed on the video alone", () => {
    const { admission, state } = world(10_000, 100);
    state.pps = 10_000 - 800;
    // 4 receivers and 4 senders of video: 800 more packets/s, exactly what is left.
    expect(admission.considerVideo(room(4))).toEqual({ audioOnly: false, reason: "fits", addedPps: 800 });
    expect(admission.considerVideo(room(4))).toEqual({ audioOnly: true, reason: "capacity", addedPps: 0 });
  });

  test("bad settings are refused at construction", () => {
    expect(() => new Admission({ capacityPps: 0, forwardedPps: () => 0 })).toThrow(RangeError);
    expect(() => new Admission({ capacityPps: 100, safeLoadPct: 0, forwardedPps: () => 0 })).toThrow(RangeError);
    expect(() => new Admission({ capacityPps: 100, safeLoadPct: 101, forwardedPps: () => 0 })).toThrow(RangeError);
  });

  test("a broken rate reading (NaN, negative) counts as nothing measured, not as room to spare forever", () => {
    const { admission, state } = world(10_000, 100);
    state.pps = Number.NaN;
    expect(admission.headroom().usedPps).toBe(0);
    state.pps = -5;
    expect(admission.headroom().usedPps).toBe(0);
  });
});

describe("admission: the clinician's headroom", () => {
  test("ample, limited, full, with the share of the safe load still free", () => {
    const { admission, state } = world(10_000); // safe: 7,500
    state.pps = 1_500;
    expect(admission.headroom()).toEqual({ level: "ample", percentFree: 80, usedPps: 1_500, safePps: 7_500, cpuLoadPct: null });
    state.pps = 6_000;
    expect(admission.headroom()).toMatchObject({ level: "limited", percentFree: 20 });
    state.pps = 7_500;
    expect(admission.headroom()).toMatchObject({ level: "full", percentFree: 0 });
    state.pps = 20_000;
    expect(admission.headroom()).toMatchObject({ level: "full", percentFree: 0 });
  });

  test("the busier of packet rate and CPU sets the level", () => {
    const { admission, state } = world(10_000);
    state.pps = 750; // 10% of the safe rate
    state.cpu = { cpuLoadPct: 60, at: state.now }; // 80% of the safe CPU
    expect(admission.headroom()).toMatchObject({ level: "limited", percentFree: 20, cpuLoadPct: 60 });
    state.cpu = { cpuLoadPct: 90, at: state.now };
    expect(admission.headroom()).toMatchObject({ level: "full", percentFree: 0 });
  });

  test("with the room's shape, how many more could join it with video; none left is full", () => {
    const { admission, state } = world(10_000, 100);
    // Joins into a room of 2: 600, then 900, 1,200, 1,500, 1,800 ... packets/s each.
    // 600 + 900 + 1,200 + 1,500 + 1,800 + 2,100 = 8,100 fit in 10,000; a seventh (2,400) does not.
    expect(admission.headroom(room(2))).toMatchObject({ level: "ample", videoJoinsLeft: 6 });
    state.pps = 10_000 - 600;
    expect(admission.headroom(room(2))).toMatchObject({ level: "limited", videoJoinsLeft: 1 });
    state.pps = 10_000 - 599;
    expect(admission.headroom(room(2))).toMatchObject({ level: "full", videoJoinsLeft: 0, percentFree: 0 });
  });

  test("CPU past the safe load: full, no more video joins; at exactly the safe load, not yet", () => {
    const { admission, state } = world(10_000, 60);
    state.cpu = { cpuLoadPct: 61, at: state.now };
    expect(admission.headroom(room(2))).toMatchObject({ level: "full", videoJoinsLeft: 0, percentFree: 0 });
    state.cpu = { cpuLoadPct: 60, at: state.now };
    expect(admission.headroom(room(2))).toMatchObject({ level: "limited", videoJoinsLeft: 5, percentFree: 0 });
    expect(admission.consider(room(2)).audioOnly).toBe(false);
  });
});

describe("admission: settings", () => {
  const base = { HEARTH_DATA_DIR: "/tmp/hearth-admission-test" };

  test("capacity and safe load are read and checked; unset capacity follows the SFU's cores", () => {
    expect(loadConfig(base)).toMatchObject({ sfuCapacityPps: undefined, sfuSafeLoadPct: 75 });
    expect(loadConfig({ ...base, HEARTH_SFU_CAPACITY_PPS: "60000", HEARTH_SFU_SAFE_LOAD_PCT: "80" })).toMatchObject({ sfuCapacityPps: 60_000, sfuSafeLoadPct: 80 });
    expect(() => loadConfig({ ...base, HEARTH_SFU_CAPACITY_PPS: "lots" })).toThrow(/HEARTH_SFU_CAPACITY_PPS must be a whole number/);
    expect(() => loadConfig({ ...base, HEARTH_SFU_CAPACITY_PPS: "50" })).toThrow(/HEARTH_SFU_CAPACITY_PPS must be a number of forwarded packets per second/);
    expect(() => loadConfig({ ...base, HEARTH_SFU_SAFE_LOAD_PCT: "120" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, HEARTH_SFU_SAFE_LOAD_PCT: "5" })).toThrow(/HEARTH_SFU_SAFE_LOAD_PCT must be a percentage from 10 to 100/);
    expect(defaultCapacityPps(4)).toBe(4 * DEFAULT_PPS_PER_CORE);
    expect(defaultCapacityPps(0)).toBe(DEFAULT_PPS_PER_CORE);
  });

  test("the appliance's Admission reads the config and the health sampler's latest sample", () => {
    const config = { ...loadConfig(base), sfuCapacityPps: 2_000, sfuSafeLoadPct: 50 } satisfies Config;
    let latest: { cpuLoadPct: number; at: number } | null = null;
    const health = { get latest() { return latest; } } as unknown as HealthSampler;
    const admission = admissionFor({ config, health }, () => 0);
    expect(admission.capacityPps).toBe(2_000);
    expect(admission.safePps).toBe(1_000);
    expect(admission.consider(room(1)).audioOnly).toBe(false);
    latest = { cpuLoadPct: 51, at: Date.now() };
    expect(admission.consider(room(1))).toMatchObject({ audioOnly: true, reason: "cpu" });
    const unset = admissionFor({ config: { ...config, sfuCapacityPps: undefined }, health }, () => 0, 2);
    expect(unset.capacityPps).toBe(2 * DEFAULT_PPS_PER_CORE);
  });
});
