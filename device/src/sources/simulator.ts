// Simulated patient: heart rate, SpO2, blood pressure, temperature and weight that drift with time
// (a slow circadian swing, breathing-scale wobble, noise), with the artefacts real sensors give:
// a finger-off (the oximeter reports NRes and says the sensor is unconnected) and, now and then,
// an implausible value (heart rate 400) that the appliance must flag rather than chart.
// Deterministic for a seed, so tests and the chaos run can count exactly what was produced.
import { LOINC } from "../profiles/observation.ts";
import type { Source, SourceReading } from "./source.ts";

export function prng(seed: number): () => number {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SimulatorOptions = { seed?: number; intervalMs?: number; fingerOffEvery?: number; implausibleEvery?: number; battery?: number };

export class Simulator {
  private readonly rand: () => number;
  private n = 0;
  private heartRates = 0;
  constructor(private readonly opts: SimulatorOptions = {}) {
    this.rand = prng(opts.seed ?? 1);
  }

  /** The reading at time `t` (ms since epoch); each call is the next reading in the sequence. */
  next(t: number): SourceReading {
    const i = this.n++;
    const hours = t / 3_600_000;
    const circadian = Math.sin((2 * Math.PI * hours) / 24);
    const noise = () => (this.rand() - 0.5) * 2;
    const fingerOffEvery = this.opts.fingerOffEvery ?? 97;
    const implausibleEvery = this.opts.implausibleEvery ?? 43;
    const battery = Math.max(5, (this.opts.battery ?? 96) - Math.floor(i / 500));
    const kind = i % 5;
    if (kind === 0 || kind === 1) {
      if (i % fingerOffEvery === fingerOffEvery - 1) {
        return { sensor: "pulse-oximeter", artefact: "finger-off", battery, firmware: "sim-1.0",
          observations: [{ loinc: LOINC.spo2, unit: "%", value: NaN, special: "NRes" }, { loinc: LOINC.pulseRateOximetry, unit: "/min", value: NaN, special: "NRes" }] };
      }
      const hr = Math.round(72 + 8 * circadian + 4 * Math.sin(i / 7) + 2 * noise());
      const spo2 = Math.round(97 + 0.8 * noise() - (this.rand() < 0.02 ? 5 : 0));
      if (kind === 0) {
        const value = ++this.heartRates % implausibleEvery === 0 ? 400 : hr;
        return { sensor: "heart-rate", battery, firmware: "sim-1.0", observations: [{ loinc: LOINC.heartRate, unit: "/min", value }] };
      }
      return { sensor: "pulse-oximeter", battery, firmware: "sim-1.0", observations: [{ loinc: LOINC.spo2, unit: "%", value: spo2 }, { loinc: LOINC.pulseRateOximetry, unit: "/min", value: hr }] };
    }
    if (kind === 2) {
      const sys = Math.round(122 + 6 * circadian + 4 * noise());
      const dia = Math.round(79 + 4 * circadian + 3 * noise());
      return { sensor: "blood-pressure", battery, firmware: "sim-1.0", observations: [
        { loinc: LOINC.systolic, unit: "mm[Hg]", value: sys }, { loinc: LOINC.diastolic, unit: "mm[Hg]", value: dia },
        { loinc: LOINC.meanArterial, unit: "mm[Hg]", value: Math.round((sys + 2 * dia) / 3) }] };
    }
    if (kind === 3) {
      return { sensor: "thermometer", battery, firmware: "sim-1.0", observations: [{ loinc: LOINC.bodyTemperature, unit: "Cel", value: Number((36.7 + 0.3 * circadian + 0.1 * noise()).toFixed(1)) }] };
    }
    return { sensor: "weight-scale", battery, firmware: "sim-1.0", observations: [{ loinc: LOINC.bodyWeight, unit: "kg", value: Number((70.2 + 0.3 * noise()).toFixed(1)) }] };
  }
}

/** The simulator as a Source: one reading every intervalMs until stopped (or `limit` readings). */
export class SimulatorSource implements Source {
  readonly name = "simulator";
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly sim: Simulator;
  private produced = 0;
  constructor(private readonly opts: SimulatorOptions & { limit?: number; now?: () => number } = {}) {
    this.sim = new Simulator(opts);
  }
  async start(emit: (r: SourceReading) => void): Promise<void> {
    const now = this.opts.now ?? Date.now;
    this.timer = setInterval(() => {
      if (this.opts.limit !== undefined && this.produced >= this.opts.limit) return void this.stop();
      this.produced++;
      emit(this.sim.next(now()));
    }, this.opts.intervalMs ?? 1000);
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
