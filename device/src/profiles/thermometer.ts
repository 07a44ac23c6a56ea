// Temperature Measurement, characteristic 0x2A1C of the Health Thermometer Service 0x1809
// (Bluetooth SIG, Health Thermometer Service 1.0, section 3.1, and GATT Specification Supplement 3.216).
// Flags: bit0 units (0 Celsius, 1 Fahrenheit) · bit1 Time Stamp · bit2 Temperature Type (UINT8).
// Field: temperature as an IEEE-11073 32-bit FLOAT.
import { Cursor, type DateTime } from "./bytes.ts";
import type { MedFloat } from "./ieee11073.ts";
import { LOINC, observe, type Observation } from "./observation.ts";

/** Temperature Type characteristic 0x2A1D values. */
export const TEMPERATURE_TYPES: Record<number, string> = {
  1: "armpit", 2: "body", 3: "ear", 4: "finger", 5: "gastro-intestinal", 6: "mouth", 7: "rectum", 8: "toe", 9: "tympanum",
};

export type TemperatureMeasurement = {
  unit: "Cel" | "[degF]";
  temperature: MedFloat;
  timestamp?: DateTime;
  type?: string;
  observations: Observation[];
};

export function parseTemperature(bytes: Uint8Array): TemperatureMeasurement {
  const c = new Cursor(bytes, "thermometer 0x2A1C");
  const flags = c.u8();
  const unit = flags & 0x01 ? "[degF]" : "Cel";
  const m: TemperatureMeasurement = { unit, temperature: c.float(), observations: [] };
  if (flags & 0x02) m.timestamp = c.dateTime();
  if (flags & 0x04) {
    const t = c.u8();
    m.type = TEMPERATURE_TYPES[t] ?? "reserved";
  }
  c.end();
  m.observations.push(observe(LOINC.bodyTemperature, unit, m.temperature, m.timestamp?.iso));
  return m;
}
