// Blood Pressure Measurement, characteristic 0x2A35 of the Blood Pressure Service 0x1810
// (Bluetooth SIG, Blood Pressure Service 1.1, section 3.1, and GATT Specification Supplement 3.31).
// Flags: bit0 units (0 mmHg, 1 kPa) · bit1 Time Stamp · bit2 Pulse Rate (SFLOAT) · bit3 User ID (UINT8)
// · bit4 Measurement Status (UINT16). Fields: systolic, diastolic, mean arterial pressure (SFLOAT each).
import { Cursor, type DateTime } from "./bytes.ts";
import type { MedFloat } from "./ieee11073.ts";
import { LOINC, observe, type Observation } from "./observation.ts";

export type BloodPressureStatus = {
  bodyMovement: boolean;
  cuffTooLoose: boolean;
  irregularPulse: boolean;
  pulseRange: "within" | "above" | "below" | "reserved";
  improperPosition: boolean;
};

export type BloodPressureMeasurement = {
  unit: "mm[Hg]" | "kPa";
  systolic: MedFloat;
  diastolic: MedFloat;
  meanArterial: MedFloat;
  timestamp?: DateTime;
  pulseRate?: MedFloat;
  userId?: number;
  status?: BloodPressureStatus;
  observations: Observation[];
};

export function parseBloodPressure(bytes: Uint8Array): BloodPressureMeasurement {
  const c = new Cursor(bytes, "blood-pressure 0x2A35");
  const flags = c.u8();
  const unit = flags & 0x01 ? "kPa" : "mm[Hg]";
  const m: BloodPressureMeasurement = { unit, systolic: c.sfloat(), diastolic: c.sfloat(), meanArterial: c.sfloat(), observations: [] };
  if (flags & 0x02) m.timestamp = c.dateTime();
  if (flags & 0x04) m.pulseRate = c.sfloat();
  if (flags & 0x08) m.userId = c.u8();
  if (flags & 0x10) {
    const s = c.u16();
    const range = (s >> 3) & 0x03;
    m.status = {
      bodyMovement: !!(s & 0x01), cuffTooLoose: !!(s & 0x02), irregularPulse: !!(s & 0x04),
      pulseRange: (["within", "above", "below", "reserved"] as const)[range]!, improperPosition: !!(s & 0x20),
    };
  }
  c.end();
  const at = m.timestamp?.iso;
  m.observations.push(observe(LOINC.systolic, unit, m.systolic, at), observe(LOINC.diastolic, unit, m.diastolic, at), observe(LOINC.meanArterial, unit, m.meanArterial, at));
  if (m.pulseRate) m.observations.push(observe(LOINC.heartRate, "/min", m.pulseRate, at));
  return m;
}
