// Weight Measurement, characteristic 0x2A9D of the Weight Scale Service 0x181D
// (Bluetooth SIG, Weight Scale Service 1.0, section 3.2, and GATT Specification Supplement 3.251).
// Flags: bit0 units (0 SI: kg, m; 1 imperial: lb, in) · bit1 Time Stamp · bit2 User ID (UINT8) ·
// bit3 BMI and Height (UINT16 each). Weight UINT16 with resolution 0.005 kg or 0.01 lb;
// BMI resolution 0.1 kg/m2; height 0.001 m or 0.1 in. Weight 0xFFFF means "measurement unsuccessful".
import { Cursor, type DateTime } from "./bytes.ts";
import { LOINC, type Observation } from "./observation.ts";

export type WeightMeasurement = {
  unit: "kg" | "[lb_av]";
  /** null when the scale reported 0xFFFF (measurement unsuccessful). */
  weight: number | null;
  timestamp?: DateTime;
  userId?: number;
  bmi?: number;
  height?: { value: number; unit: "m" | "[in_i]" };
  observations: Observation[];
};

const round = (n: number, digits: number) => Number(n.toFixed(digits));

export function parseWeight(bytes: Uint8Array): WeightMeasurement {
  const c = new Cursor(bytes, "weight-scale 0x2A9D");
  const flags = c.u8();
  const imperial = !!(flags & 0x01);
  const raw = c.u16();
  const unit = imperial ? "[lb_av]" : "kg";
  const m: WeightMeasurement = { unit, weight: raw === 0xffff ? null : imperial ? round(raw * 0.01, 2) : round(raw * 0.005, 3), observations: [] };
  if (flags & 0x02) m.timestamp = c.dateTime();
  if (flags & 0x04) m.userId = c.u8();
  if (flags & 0x08) {
    m.bmi = round(c.u16() * 0.1, 1);
    const h = c.u16();
    m.height = imperial ? { value: round(h * 0.1, 1), unit: "[in_i]" } : { value: round(h * 0.001, 3), unit: "m" };
  }
  c.end();
  const at = m.timestamp?.iso;
  const w: Observation = m.weight === null ? { loinc: LOINC.bodyWeight, unit, value: NaN, special: "NaN" } : { loinc: LOINC.bodyWeight, unit, value: m.weight };
  if (at !== undefined) w.measuredAt = at;
  m.observations.push(w);
  if (m.bmi !== undefined && m.height) {
    m.observations.push({ loinc: LOINC.bmi, unit: "kg/m2", value: m.bmi, ...(at !== undefined ? { measuredAt: at } : {}) });
    m.observations.push({ loinc: LOINC.bodyHeight, unit: m.height.unit, value: m.height.value, ...(at !== undefined ? { measuredAt: at } : {}) });
  }
  return m;
}
