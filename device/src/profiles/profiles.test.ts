// Byte vectors worked from the Bluetooth SIG profile specifications (field order and flag bits as
// cited in each parser). Each profile is exercised over every combination of its flag bits; the
// IEEE-11073 special values are checked for SFLOAT and FLOAT.
import { describe, expect, test } from "bun:test";
import { parseBloodPressure } from "./blood-pressure.ts";
import { ProfileError } from "./bytes.ts";
import { parseHeartRate } from "./heart-rate.ts";
import { decodeFloat, decodeSfloat, encodeFloat, encodeSfloat, FLOAT, SFLOAT } from "./ieee11073.ts";
import { profileFor, uuid128 } from "./index.ts";
import { parsePlxContinuous, parsePlxSpotCheck } from "./pulse-oximeter.ts";
import { parseTemperature } from "./thermometer.ts";
import { parseWeight } from "./weight-scale.ts";

const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const bytes = (...parts: number[][]) => new Uint8Array(parts.flat());
// 2026-12-05 14:30:09
const TS = [...u16(2026), 12, 5, 14, 30, 9];
const TS_ISO = "2026-12-05T14:30:09";

describe("IEEE-11073 SFLOAT", () => {
  test("worked values", () => {
    expect(decodeSfloat(0xf16d).value).toBe(36.5); // exponent -1, mantissa 365
    expect(decodeSfloat(0x0078).value).toBe(120); // exponent 0, mantissa 120
    expect(decodeSfloat(0x2001).value).toBe(100); // exponent 2, mantissa 1
    expect(decodeSfloat(0x0fff).value).toBe(-1); // mantissa -1
    expect(decodeSfloat(0xe3e8).value).toBe(10); // 1000 * 10^-2
    expect(decodeSfloat(encodeSfloat(-2045, -8)).value).toBe(-0.00002045);
    expect(decodeSfloat(encodeSfloat(2045, 7)).value).toBe(2045e7);
  });
  test("special values", () => {
    expect(decodeSfloat(SFLOAT.NaN)).toEqual({ value: NaN, special: "NaN" });
    expect(decodeSfloat(SFLOAT.NRes)).toEqual({ value: NaN, special: "NRes" });
    expect(decodeSfloat(SFLOAT.PosInf)).toEqual({ value: Infinity, special: "+INFINITY" });
    expect(decodeSfloat(SFLOAT.NegInf)).toEqual({ value: -Infinity, special: "-INFINITY" });
    expect(decodeSfloat(SFLOAT.Reserved)).toEqual({ value: NaN, special: "reserved" });
  });
});

describe("IEEE-11073 FLOAT", () => {
  test("worked values", () => {
    expect(decodeFloat(0xff000172).value).toBe(37); // 370 * 10^-1
    expect(decodeFloat(0xfe000e72).value).toBe(36.98); // 3698 * 10^-2
    expect(decodeFloat(encodeFloat(-5, 0)).value).toBe(-5);
    expect(decodeFloat(encodeFloat(986, -1)).value).toBe(98.6);
    expect(decodeFloat(encodeFloat(1, 3)).value).toBe(1000);
  });
  test("special values", () => {
    expect(decodeFloat(FLOAT.NaN)).toEqual({ value: NaN, special: "NaN" });
    expect(decodeFloat(FLOAT.NRes)).toEqual({ value: NaN, special: "NRes" });
    expect(decodeFloat(FLOAT.PosInf)).toEqual({ value: Infinity, special: "+INFINITY" });
    expect(decodeFloat(FLOAT.NegInf)).toEqual({ value: -Infinity, special: "-INFINITY" });
    expect(decodeFloat(FLOAT.Reserved)).toEqual({ value: NaN, special: "reserved" });
  });
});

describe("Heart Rate Measurement 0x2A37", () => {
  test("every flag combination", () => {
    for (let flags = 0; flags < 0x20; flags++) {
      const hr = flags & 0x01 ? u16(312) : [72];
      const energy = flags & 0x08 ? u16(1234) : [];
      const rr = flags & 0x10 ? [...u16(1024), ...u16(512)] : [];
      const m = parseHeartRate(bytes([flags], hr, energy, rr));
      expect(m.bpm).toBe(flags & 0x01 ? 312 : 72);
      const c = (flags >> 1) & 3;
      expect(m.contact).toBe(c === 3 ? "detected" : c === 2 ? "not-detected" : "not-supported");
      expect(m.energyExpendedKj).toBe(flags & 0x08 ? 1234 : undefined);
      expect(m.rrIntervals).toEqual(flags & 0x10 ? [1, 0.5] : []);
      expect(m.observations).toEqual([{ loinc: "8867-4", unit: "/min", value: m.bpm }]);
    }
  });
  test("the spec's plain vector: UINT8 72 bpm, contact detected", () => {
    expect(parseHeartRate(bytes([0x06, 0x48])).bpm).toBe(72);
  });
  test("several RR intervals in one notification", () => {
    const m = parseHeartRate(bytes([0x10, 60], u16(1024), u16(1075), u16(983), u16(1000)));
    expect(m.rrIntervals.map((s) => Math.round(s * 1024))).toEqual([1024, 1075, 983, 1000]);
  });
});

describe("Blood Pressure Measurement 0x2A35", () => {
  test("every flag combination", () => {
    for (let flags = 0; flags < 0x20; flags++) {
      const v = bytes(
        [flags], u16(encodeSfloat(121, 0)), u16(encodeSfloat(81, 0)), u16(encodeSfloat(106, 0)),
        flags & 0x02 ? TS : [], flags & 0x04 ? u16(encodeSfloat(66, 0)) : [], flags & 0x08 ? [3] : [],
        flags & 0x10 ? u16(0b1_01_101) : [],
      );
      const m = parseBloodPressure(v);
      expect(m.unit).toBe(flags & 0x01 ? "kPa" : "mm[Hg]");
      expect([m.systolic.value, m.diastolic.value, m.meanArterial.value]).toEqual([121, 81, 106]);
      expect(m.timestamp?.iso).toBe(flags & 0x02 ? TS_ISO : undefined);
      expect(m.pulseRate?.value).toBe(flags & 0x04 ? 66 : undefined);
      expect(m.userId).toBe(flags & 0x08 ? 3 : undefined);
      expect(m.status).toEqual(flags & 0x10 ? { bodyMovement: true, cuffTooLoose: false, irregularPulse: true, pulseRange: "above", improperPosition: true } : undefined);
      expect(m.observations.map((o) => o.loinc)).toEqual(["8480-6", "8462-4", "8478-0", ...(flags & 0x04 ? ["8867-4"] : [])]);
      expect(m.observations[0]!.unit).toBe(m.unit);
    }
  });
  test("kPa with one decimal and an unknown MAP (NaN)", () => {
    const m = parseBloodPressure(bytes([0x01], u16(0xf0a2), u16(0xf06c), u16(SFLOAT.NaN)));
    expect(m.systolic.value).toBe(16.2);
    expect(m.diastolic.value).toBe(10.8);
    expect(m.meanArterial.special).toBe("NaN");
    expect(m.observations[2]).toMatchObject({ loinc: "8478-0", special: "NaN" });
  });
  test("a timestamp of zeros is unknown, not 0000-00-00", () => {
    const m = parseBloodPressure(bytes([0x02], u16(0x78), u16(0x50), u16(0x5d), [0, 0, 0, 0, 0, 0, 0]));
    expect(m.timestamp?.iso).toBeNull();
  });
});

describe("Temperature Measurement 0x2A1C", () => {
  test("every flag combination", () => {
    for (let flags = 0; flags < 0x08; flags++) {
      const m = parseTemperature(bytes([flags], u32(encodeFloat(365, -1)), flags & 0x02 ? TS : [], flags & 0x04 ? [6] : []));
      expect(m.unit).toBe(flags & 0x01 ? "[degF]" : "Cel");
      expect(m.temperature.value).toBe(36.5);
      expect(m.timestamp?.iso).toBe(flags & 0x02 ? TS_ISO : undefined);
      expect(m.type).toBe(flags & 0x04 ? "mouth" : undefined);
      expect(m.observations).toEqual([{ loinc: "8310-5", unit: m.unit, value: 36.5, ...(flags & 0x02 ? { measuredAt: TS_ISO } : {}) }]);
    }
  });
  test("the special values reach the observation", () => {
    for (const [raw, special] of [[FLOAT.NaN, "NaN"], [FLOAT.NRes, "NRes"], [FLOAT.PosInf, "+INFINITY"], [FLOAT.NegInf, "-INFINITY"]] as const) {
      expect(parseTemperature(bytes([0], u32(raw))).observations[0]!.special).toBe(special);
    }
  });
  test("Fahrenheit 98.6, ear", () => {
    const m = parseTemperature(bytes([0x05, 0xda, 0x03, 0x00, 0xff, 0x03]));
    expect(m).toMatchObject({ unit: "[degF]", temperature: { value: 98.6 }, type: "ear" });
  });
});

describe("PLX Spot-Check Measurement 0x2A5E", () => {
  test("every flag combination", () => {
    for (let flags = 0; flags < 0x20; flags++) {
      const m = parsePlxSpotCheck(bytes(
        [flags], u16(encodeSfloat(97, 0)), u16(encodeSfloat(64, 0)), flags & 0x01 ? TS : [],
        flags & 0x02 ? u16(1 << 7) : [], flags & 0x04 ? u24(1 << 5) : [], flags & 0x08 ? u16(encodeSfloat(52, -1)) : [],
      ));
      expect([m.normal.spo2.value, m.normal.pulseRate.value]).toEqual([97, 64]);
      expect(m.timestamp?.iso).toBe(flags & 0x01 ? TS_ISO : undefined);
      expect(m.measurementStatus).toEqual(flags & 0x02 ? ["validated"] : undefined);
      expect(m.sensorStatus).toEqual(flags & 0x04 ? ["low-perfusion"] : undefined);
      expect(m.pulseAmplitudeIndex?.value).toBe(flags & 0x08 ? 5.2 : undefined);
      expect(m.clockNotSet).toBe(!!(flags & 0x10));
      expect(m.artefact).toBe(false);
      expect(m.observations.map((o) => [o.loinc, o.unit, o.value])).toEqual([["59408-5", "%", 97], ["8889-8", "/min", 64]]);
    }
  });
  test("finger off: sensor unconnected, values NRes", () => {
    const m = parsePlxSpotCheck(bytes([0x04], u16(SFLOAT.NRes), u16(SFLOAT.NRes), u24(1 << 11)));
    expect(m.artefact).toBe(true);
    expect(m.sensorStatus).toEqual(["sensor-unconnected"]);
    expect(m.observations.every((o) => o.special === "NRes")).toBe(true);
  });
});

describe("PLX Continuous Measurement 0x2A5F", () => {
  test("every flag combination, up to three readings in one notification", () => {
    for (let flags = 0; flags < 0x20; flags++) {
      const m = parsePlxContinuous(bytes(
        [flags], u16(encodeSfloat(96, 0)), u16(encodeSfloat(70, 0)),
        flags & 0x01 ? [...u16(encodeSfloat(95, 0)), ...u16(encodeSfloat(72, 0))] : [],
        flags & 0x02 ? [...u16(encodeSfloat(97, 0)), ...u16(encodeSfloat(68, 0))] : [],
        flags & 0x04 ? u16(1 << 15) : [], flags & 0x08 ? u24((1 << 15) | (1 << 4)) : [], flags & 0x10 ? u16(encodeSfloat(31, -1)) : [],
      ));
      expect(m.normal.spo2.value).toBe(96);
      expect(m.fast?.spo2.value).toBe(flags & 0x01 ? 95 : undefined);
      expect(m.slow?.pulseRate.value).toBe(flags & 0x02 ? 68 : undefined);
      expect(m.measurementStatus).toEqual(flags & 0x04 ? ["invalid-measurement"] : undefined);
      expect(m.sensorStatus).toEqual(flags & 0x08 ? ["poor-signal", "sensor-disconnected"] : undefined);
      expect(m.pulseAmplitudeIndex?.value).toBe(flags & 0x10 ? 3.1 : undefined);
      expect(m.artefact).toBe(!!(flags & 0x0c));
      const readings = 1 + (flags & 0x01) + ((flags >> 1) & 0x01);
      expect(m.observations.length).toBe(readings * 2);
    }
  });
});

describe("Weight Measurement 0x2A9D", () => {
  test("every flag combination", () => {
    for (let flags = 0; flags < 0x10; flags++) {
      const imperial = !!(flags & 0x01);
      const m = parseWeight(bytes([flags], u16(imperial ? 15432 : 14000), flags & 0x02 ? TS : [], flags & 0x04 ? [2] : [], flags & 0x08 ? [...u16(229), ...u16(imperial ? 689 : 1750)] : []));
      expect(m.unit).toBe(imperial ? "[lb_av]" : "kg");
      expect(m.weight).toBe(imperial ? 154.32 : 70);
      expect(m.timestamp?.iso).toBe(flags & 0x02 ? TS_ISO : undefined);
      expect(m.userId).toBe(flags & 0x04 ? 2 : undefined);
      expect(m.bmi).toBe(flags & 0x08 ? 22.9 : undefined);
      expect(m.height).toEqual(flags & 0x08 ? (imperial ? { value: 68.9, unit: "[in_i]" } : { value: 1.75, unit: "m" }) : undefined);
      expect(m.observations.map((o) => o.loinc)).toEqual(["29463-7", ...(flags & 0x08 ? ["39156-5", "8302-2"] : [])]);
    }
  });
  test("0xFFFF: measurement unsuccessful", () => {
    const m = parseWeight(bytes([0], u16(0xffff)));
    expect(m.weight).toBeNull();
    expect(m.observations[0]!.special).toBe("NaN");
  });
});

describe("wrong vectors", () => {
  test("a truncated notification is refused, with a machine-readable code", () => {
    // Flags say UINT16 heart rate + energy expended, but only one byte follows.
    expect(() => parseHeartRate(bytes([0x09, 72]))).toThrow(ProfileError);
    try { parseBloodPressure(bytes([0x02], u16(0x78), u16(0x50), u16(0x5d), [0xea, 0x07])); } catch (e) {
      expect((e as ProfileError).code).toBe("truncated");
    }
    expect(() => parseTemperature(bytes([0], [0x6d, 0x01, 0x00]))).toThrow(ProfileError);
  });
  test("bytes left after the last field are refused", () => {
    expect(() => parseWeight(bytes([0], u16(14000), [0x02]))).toThrow(/left after the last field/);
    expect(() => parsePlxSpotCheck(bytes([0], u16(0x61), u16(0x40), [0]))).toThrow(ProfileError);
  });
  test("a deliberately wrong vector fails its expectation", () => {
    // The vector claims 36.5 °C but encodes the mantissa as SFLOAT inside a FLOAT field: read per the
    // spec it is not 36.5, so a test that expected 36.5 from it fails.
    const wrong = bytes([0x00], u16(encodeSfloat(365, -1)), [0, 0]);
    expect(parseTemperature(wrong).temperature.value).not.toBe(36.5);
    expect(() => expect(parseTemperature(wrong).temperature.value).toBe(36.5)).toThrow();
  });
});

test("profiles are found by BlueZ's 128-bit UUIDs", () => {
  expect(uuid128(0x2a37)).toBe("00002a37-0000-1000-8000-00805f9b34fb");
  expect(profileFor("00002A5F-0000-1000-8000-00805F9B34FB")?.sensor).toBe("pulse-oximeter");
  expect(profileFor(uuid128(0x2a00))).toBeUndefined();
});
