// What a profile parser hands on: one coded observation per measured quantity (LOINC + UCUM), with
// the special value kept (a NaN or NRes is not a number to chart) and the device's own timestamp.
import type { MedFloat, Special } from "./ieee11073.ts";

export type Observation = {
  loinc: string;
  /** UCUM unit code. */
  unit: string;
  value: number;
  special?: Special;
  /** Device timestamp (ISO, no zone) when the profile carried one. */
  measuredAt?: string | null;
};

export function observe(loinc: string, unit: string, f: MedFloat, measuredAt?: string | null): Observation {
  const o: Observation = { loinc, unit, value: f.value };
  if (f.special) o.special = f.special;
  if (measuredAt !== undefined) o.measuredAt = measuredAt;
  return o;
}

export const LOINC = {
  heartRate: "8867-4",
  bpPanel: "85354-9",
  systolic: "8480-6",
  diastolic: "8462-4",
  meanArterial: "8478-0",
  spo2: "59408-5",
  pulseRateOximetry: "8889-8",
  bodyTemperature: "8310-5",
  bodyWeight: "29463-7",
  bmi: "39156-5",
  bodyHeight: "8302-2",
} as const;
