// Heart Rate Measurement, characteristic 0x2A37 of the Heart Rate Service 0x180D
// (Bluetooth SIG, Heart Rate Service 1.0, section 3.1, and GATT Specification Supplement 3.106).
// Flags: bit0 value format (0 UINT8, 1 UINT16) · bits1-2 sensor contact (2 supported/not detected,
// 3 supported/detected, 0-1 not supported) · bit3 Energy Expended (UINT16 kJ) · bit4 RR-Interval(s)
// (UINT16 each, 1/1024 s, as many as fill the notification).
import { Cursor } from "./bytes.ts";
import { LOINC, type Observation } from "./observation.ts";

export type HeartRateMeasurement = {
  bpm: number;
  contact: "not-supported" | "not-detected" | "detected";
  energyExpendedKj?: number;
  /** RR intervals in seconds (1/1024 s resolution). */
  rrIntervals: number[];
  observations: Observation[];
};

export function parseHeartRate(bytes: Uint8Array): HeartRateMeasurement {
  const c = new Cursor(bytes, "heart-rate 0x2A37");
  const flags = c.u8();
  const bpm = flags & 0x01 ? c.u16() : c.u8();
  const contactBits = (flags >> 1) & 0x03;
  const contact = contactBits === 3 ? "detected" : contactBits === 2 ? "not-detected" : "not-supported";
  const m: HeartRateMeasurement = { bpm, contact, rrIntervals: [], observations: [] };
  if (flags & 0x08) m.energyExpendedKj = c.u16();
  if (flags & 0x10) {
    while (c.remaining() >= 2) m.rrIntervals.push(c.u16() / 1024);
  }
  c.end();
  m.observations.push({ loinc: LOINC.heartRate, unit: "/min", value: bpm });
  return m;
}
