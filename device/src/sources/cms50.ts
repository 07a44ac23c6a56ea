// Contec CMS50 pulse oximeters (CMS50D+, CMS50E and their rebadges) over their USB serial bridge:
// the real-time data stream, 19200 baud 8N1, five-byte packets, the first byte with bit 7 set as a
// sync marker and the other four with bit 7 clear.
// Source: Contec "Communication Protocol of Pulse Oximeter" (CMS50 series, real-time data section)
// as transcribed and implemented in atbrask/CMS50Dplus (cms50dplus.py, class LiveDataPoint,
// https://github.com/atbrask/CMS50Dplus), whose field layout this follows:
//   byte 1: bit7 sync=1 · bit6 pulse beep · bit5 SpO2 dropping · bit4 finger out · bits3-0 signal strength
//   byte 2: bits6-0 pleth waveform
//   byte 3: bit6 pulse rate bit 7 · bit5 searching · bit4 probe error · bits3-0 bar graph
//   byte 4: bits6-0 pulse rate bits 6-0
//   byte 5: bits6-0 SpO2 (%)
// While the finger is out or the device is still searching, it sends pulse 0xFF / SpO2 0x7F.
import { LOINC } from "../profiles/observation.ts";
import type { SourceReading } from "./source.ts";

export type Cms50Sample = {
  signalStrength: number;
  fingerOut: boolean;
  spo2Dropping: boolean;
  beep: boolean;
  pleth: number;
  barGraph: number;
  probeError: boolean;
  searching: boolean;
  pulseRate: number;
  spo2: number;
};

export function decodeCms50(p: ArrayLike<number>): Cms50Sample {
  return {
    signalStrength: p[0]! & 0x0f, fingerOut: !!(p[0]! & 0x10), spo2Dropping: !!(p[0]! & 0x20), beep: !!(p[0]! & 0x40),
    pleth: p[1]! & 0x7f, barGraph: p[2]! & 0x0f, probeError: !!(p[2]! & 0x10), searching: !!(p[2]! & 0x20),
    pulseRate: ((p[2]! & 0x40) << 1) | (p[3]! & 0x7f), spo2: p[4]! & 0x7f,
  };
}

export function encodeCms50(s: Partial<Cms50Sample> & { pulseRate: number; spo2: number }): Uint8Array {
  return new Uint8Array([
    0x80 | (s.beep ? 0x40 : 0) | (s.spo2Dropping ? 0x20 : 0) | (s.fingerOut ? 0x10 : 0) | ((s.signalStrength ?? 8) & 0x0f),
    (s.pleth ?? 64) & 0x7f,
    ((s.pulseRate & 0x80) >> 1) | (s.searching ? 0x20 : 0) | (s.probeError ? 0x10 : 0) | ((s.barGraph ?? 5) & 0x0f),
    s.pulseRate & 0x7f,
    s.spo2 & 0x7f,
  ]);
}

/** Reassembles packets from a byte stream that may start mid-packet or lose bytes; resyncs on bit 7. */
export class Cms50Decoder {
  private buf: number[] = [];
  /** Packets dropped because a sync byte came before the packet was complete. */
  dropped = 0;
  push(chunk: Uint8Array): Cms50Sample[] {
    const out: Cms50Sample[] = [];
    for (const b of chunk) {
      if (b & 0x80) {
        if (this.buf.length > 0) this.dropped++;
        this.buf = [b];
      } else if (this.buf.length > 0) {
        this.buf.push(b);
        if (this.buf.length === 5) {
          out.push(decodeCms50(this.buf));
          this.buf = [];
        }
      }
    }
    return out;
  }
}

/** One reading from a sample (the agent keeps one a second, not the 60 packets/s the device sends). */
export function cms50Reading(s: Cms50Sample): SourceReading {
  const invalid = s.fingerOut || s.probeError || s.searching || s.pulseRate === 0xff || s.spo2 === 0x7f;
  if (invalid) {
    return { sensor: "pulse-oximeter", artefact: s.fingerOut || s.spo2 === 0x7f ? "finger-off" : s.probeError ? "probe-error" : "searching",
      observations: [{ loinc: LOINC.spo2, unit: "%", value: NaN, special: "NRes" }, { loinc: LOINC.pulseRateOximetry, unit: "/min", value: NaN, special: "NRes" }] };
  }
  return { sensor: "pulse-oximeter", observations: [{ loinc: LOINC.spo2, unit: "%", value: s.spo2 }, { loinc: LOINC.pulseRateOximetry, unit: "/min", value: s.pulseRate }] };
}
