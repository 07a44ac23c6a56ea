// Pulse Oximeter Service 0x1822 (Bluetooth SIG, Pulse Oximeter Service 1.0.1, sections 3.1 and 3.2;
// GATT Specification Supplement 3.168 and 3.169).
// PLX Spot-Check Measurement 0x2A5E, flags: bit0 Timestamp · bit1 Measurement Status (UINT16) ·
//   bit2 Device and Sensor Status (UINT24) · bit3 Pulse Amplitude Index (SFLOAT) · bit4 device clock not set.
//   Fields: SpO2 (SFLOAT, %), PR (SFLOAT, /min), then the optional ones in flag order.
// PLX Continuous Measurement 0x2A5F, flags: bit0 SpO2PR-Fast · bit1 SpO2PR-Slow · bit2 Measurement Status ·
//   bit3 Device and Sensor Status · bit4 Pulse Amplitude Index. Fields: SpO2PR-Normal, then the optional
//   ones: one notification carries up to three readings (normal, fast, slow averaging).
import { Cursor, type DateTime } from "./bytes.ts";
import type { MedFloat } from "./ieee11073.ts";
import { LOINC, observe, type Observation } from "./observation.ts";

const MEASUREMENT_STATUS = [
  [5, "measurement-ongoing"], [6, "early-estimate"], [7, "validated"], [8, "fully-qualified"],
  [9, "from-storage"], [10, "demonstration"], [11, "testing"], [12, "calibration-ongoing"],
  [13, "measurement-unavailable"], [14, "questionable-measurement"], [15, "invalid-measurement"],
] as const;
const SENSOR_STATUS = [
  [0, "extended-display-update"], [1, "equipment-malfunction"], [2, "signal-processing-irregularity"],
  [3, "inadequate-signal"], [4, "poor-signal"], [5, "low-perfusion"], [6, "erratic-signal"],
  [7, "non-pulsatile-signal"], [8, "questionable-pulse"], [9, "signal-analysis-ongoing"],
  [10, "sensor-interference"], [11, "sensor-unconnected"], [12, "unknown-sensor"], [13, "sensor-displaced"],
  [14, "sensor-malfunction"], [15, "sensor-disconnected"],
] as const;

function bits(value: number, table: ReadonlyArray<readonly [number, string]>): string[] {
  return table.filter(([b]) => value & (1 << b)).map(([, name]) => name);
}

export type SpO2PR = { spo2: MedFloat; pulseRate: MedFloat };

export type PlxMeasurement = {
  kind: "spot-check" | "continuous";
  normal: SpO2PR;
  fast?: SpO2PR;
  slow?: SpO2PR;
  timestamp?: DateTime;
  clockNotSet?: boolean;
  measurementStatus?: string[];
  sensorStatus?: string[];
  pulseAmplitudeIndex?: MedFloat;
  /** True when the sensor says the finger is off or the signal is not to be trusted. */
  artefact: boolean;
  observations: Observation[];
};

function pair(c: Cursor): SpO2PR {
  return { spo2: c.sfloat(), pulseRate: c.sfloat() };
}

function tail(c: Cursor, m: PlxMeasurement, hasStatus: boolean, hasSensor: boolean, hasPai: boolean): void {
  if (hasStatus) m.measurementStatus = bits(c.u16(), MEASUREMENT_STATUS);
  if (hasSensor) m.sensorStatus = bits(c.u24(), SENSOR_STATUS);
  if (hasPai) m.pulseAmplitudeIndex = c.sfloat();
  c.end();
  const bad = new Set(["sensor-unconnected", "sensor-displaced", "sensor-disconnected", "invalid-measurement", "measurement-unavailable", "equipment-malfunction"]);
  m.artefact = [...(m.measurementStatus ?? []), ...(m.sensorStatus ?? [])].some((s) => bad.has(s));
}

function observeAll(m: PlxMeasurement): void {
  const at = m.timestamp?.iso;
  for (const r of [m.normal, m.fast, m.slow]) {
    if (!r) continue;
    m.observations.push(observe(LOINC.spo2, "%", r.spo2, at), observe(LOINC.pulseRateOximetry, "/min", r.pulseRate, at));
  }
}

export function parsePlxSpotCheck(bytes: Uint8Array): PlxMeasurement {
  const c = new Cursor(bytes, "pulse-oximeter 0x2A5E");
  const flags = c.u8();
  const m: PlxMeasurement = { kind: "spot-check", normal: pair(c), artefact: false, observations: [] };
  if (flags & 0x01) m.timestamp = c.dateTime();
  m.clockNotSet = !!(flags & 0x10);
  tail(c, m, !!(flags & 0x02), !!(flags & 0x04), !!(flags & 0x08));
  observeAll(m);
  return m;
}

export function parsePlxContinuous(bytes: Uint8Array): PlxMeasurement {
  const c = new Cursor(bytes, "pulse-oximeter 0x2A5F");
  const flags = c.u8();
  const m: PlxMeasurement = { kind: "continuous", normal: pair(c), artefact: false, observations: [] };
  if (flags & 0x01) m.fast = pair(c);
  if (flags & 0x02) m.slow = pair(c);
  tail(c, m, !!(flags & 0x04), !!(flags & 0x08), !!(flags & 0x10));
  observeAll(m);
  return m;
}
