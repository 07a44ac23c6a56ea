import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, openSync, writeSync, closeSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cms50Decoder, decodeCms50, encodeCms50 } from "./cms50.ts";
import { SerialSource } from "./serial.ts";
import { Simulator } from "./simulator.ts";
import type { SourceReading } from "./source.ts";

describe("simulator", () => {
  test("time-varying, deterministic for a seed, with a finger-off and an implausible value", () => {
    const a = new Simulator({ seed: 7 }), b = new Simulator({ seed: 7 });
    const t0 = Date.UTC(2026, 11, 5, 8);
    const ra = Array.from({ length: 1000 }, (_, i) => a.next(t0 + i * 1000));
    const rb = Array.from({ length: 1000 }, (_, i) => b.next(t0 + i * 1000));
    expect(JSON.stringify(ra)).toBe(JSON.stringify(rb));
    const hr = ra.filter((r) => r.sensor === "heart-rate").map((r) => r.observations[0]!.value);
    expect(new Set(hr).size).toBeGreaterThan(5);
    expect(hr).toContain(400);
    expect(ra.some((r) => r.artefact === "finger-off" && r.observations[0]!.special === "NRes")).toBe(true);
    const sensors = new Set(ra.map((r) => r.sensor));
    expect([...sensors].sort()).toEqual(["blood-pressure", "heart-rate", "pulse-oximeter", "thermometer", "weight-scale"]);
  });
});

describe("CMS50 serial protocol", () => {
  test("packet fields round-trip, including pulse rate above 127", () => {
    const s = decodeCms50(encodeCms50({ pulseRate: 181, spo2: 95, fingerOut: false, signalStrength: 6, beep: true }));
    expect(s).toMatchObject({ pulseRate: 181, spo2: 95, signalStrength: 6, beep: true, fingerOut: false });
  });
  test("a stream starting mid-packet resyncs on the sync bit", () => {
    const d = new Cms50Decoder();
    const p = encodeCms50({ pulseRate: 70, spo2: 98 });
    const stream = new Uint8Array([...p.slice(2), ...p, ...p.slice(0, 3), ...encodeCms50({ pulseRate: 71, spo2: 97 })]);
    expect(d.push(stream).map((s) => s.pulseRate)).toEqual([70, 71]);
    expect(d.dropped).toBe(1);
  });
});

describe("serial source over a socat pty pair", () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-pty-"));
  const agentEnd = join(dir, "agent"), deviceEnd = join(dir, "device");
  let socat: ReturnType<typeof Bun.spawn>;
  beforeAll(async () => {
    socat = Bun.spawn(["socat", `pty,raw,echo=0,link=${agentEnd}`, `pty,raw,echo=0,link=${deviceEnd}`], { stderr: "ignore" });
    for (let i = 0; i < 100 && !(existsSync(agentEnd) && existsSync(deviceEnd)); i++) await Bun.sleep(20);
  });
  afterAll(() => socat.kill());

  test("packets written at the device end come out as readings, finger-off as an artefact", async () => {
    let t = 0;
    const source = new SerialSource({ path: agentEnd, everyMs: 1000, now: () => (t += 1000) });
    const got: SourceReading[] = [];
    const errors: Error[] = [];
    await source.start((r) => got.push(r), (e) => errors.push(e));
    const fd = openSync(deviceEnd, "w");
    writeSync(fd, new Uint8Array([0x12, 0x34])); // line noise before the first packet
    writeSync(fd, encodeCms50({ pulseRate: 66, spo2: 97 }));
    writeSync(fd, encodeCms50({ pulseRate: 0xff, spo2: 0x7f, fingerOut: true }));
    writeSync(fd, encodeCms50({ pulseRate: 140, spo2: 93 }));
    for (let i = 0; i < 100 && got.length < 3; i++) await Bun.sleep(20);
    await source.stop();
    // Closed only after the source stopped: a device end going away is a read error (EIO) at the
    // agent end, which is what the source reports when a real oximeter is unplugged.
    closeSync(fd);
    expect(errors).toEqual([]);
    expect(got.map((r) => r.observations.map((o) => o.value))).toEqual([[97, 66], [NaN, NaN], [93, 140]]);
    expect(got[1]!.artefact).toBe("finger-off");
    expect(got[0]!.artefact).toBeUndefined();
  });
});
