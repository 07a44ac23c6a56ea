// The five Bluetooth SIG health profiles the agent reads, keyed by characteristic UUID (16-bit).
import { parseBloodPressure } from "./blood-pressure.ts";
import { parseHeartRate } from "./heart-rate.ts";
import type { Observation } from "./observation.ts";
import { parsePlxContinuous, parsePlxSpotCheck } from "./pulse-oximeter.ts";
import { parseTemperature } from "./thermometer.ts";
import { parseWeight } from "./weight-scale.ts";

export type Profile = { service: number; characteristic: number; sensor: string; parse: (b: Uint8Array) => { observations: Observation[] } };

export const PROFILES: Profile[] = [
  { service: 0x180d, characteristic: 0x2a37, sensor: "heart-rate", parse: parseHeartRate },
  { service: 0x1810, characteristic: 0x2a35, sensor: "blood-pressure", parse: parseBloodPressure },
  { service: 0x1809, characteristic: 0x2a1c, sensor: "thermometer", parse: parseTemperature },
  { service: 0x1822, characteristic: 0x2a5e, sensor: "pulse-oximeter", parse: parsePlxSpotCheck },
  { service: 0x1822, characteristic: 0x2a5f, sensor: "pulse-oximeter", parse: parsePlxContinuous },
  { service: 0x181d, characteristic: 0x2a9d, sensor: "weight-scale", parse: parseWeight },
];

/** The 128-bit form BlueZ uses for a 16-bit SIG UUID. */
export function uuid128(short: number): string {
  return `0000${short.toString(16).padStart(4, "0")}-0000-1000-8000-00805f9b34fb`;
}

export function profileFor(characteristicUuid: string): Profile | undefined {
  return PROFILES.find((p) => uuid128(p.characteristic) === characteristicUuid.toLowerCase());
}

export type { Observation } from "./observation.ts";
