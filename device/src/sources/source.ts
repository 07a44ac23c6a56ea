// The one small interface every source of readings implements: the simulator, a serial pulse
// oximeter, and Bluetooth LE health profiles through BlueZ.
import type { Observation } from "../profiles/observation.ts";

export type SourceReading = {
  /** e.g. "heart-rate", "pulse-oximeter"; with the device's address when a source has several. */
  sensor: string;
  observations: Observation[];
  /** Set when the source itself says the value is not to be trusted (finger off, probe error). */
  artefact?: string;
  battery?: number;
  firmware?: string;
};

export interface Source {
  readonly name: string;
  start(emit: (reading: SourceReading) => void, fail: (error: Error) => void): Promise<void>;
  stop(): Promise<void>;
}
