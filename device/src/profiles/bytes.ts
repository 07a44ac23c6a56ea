// A little-endian cursor over a characteristic value. Running past the end throws a ProfileError,
// so a truncated or mis-flagged notification is refused rather than half-read.
import { decodeFloat, decodeSfloat, type MedFloat } from "./ieee11073.ts";

export class ProfileError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
  }
}

export type DateTime = {
  /** ISO 8601 without zone (the SIG Date Time has none), or null when year/month/day are 0 (unknown). */
  iso: string | null;
  year: number; month: number; day: number; hours: number; minutes: number; seconds: number;
};

export class Cursor {
  private at = 0;
  constructor(private readonly bytes: Uint8Array, private readonly profile: string) {}
  private need(n: number): number {
    if (this.at + n > this.bytes.length) {
      throw new ProfileError("truncated", `${this.profile}: value ends at byte ${this.bytes.length}, needed ${this.at + n}`);
    }
    const start = this.at;
    this.at += n;
    return start;
  }
  u8(): number { return this.bytes[this.need(1)]!; }
  u16(): number { const i = this.need(2); return this.bytes[i]! | (this.bytes[i + 1]! << 8); }
  u24(): number { const i = this.need(3); return this.bytes[i]! | (this.bytes[i + 1]! << 8) | (this.bytes[i + 2]! << 16); }
  u32(): number { const i = this.need(4); return (this.bytes[i]! | (this.bytes[i + 1]! << 8) | (this.bytes[i + 2]! << 16) | (this.bytes[i + 3]! << 24)) >>> 0; }
  sfloat(): MedFloat { return decodeSfloat(this.u16()); }
  float(): MedFloat { return decodeFloat(this.u32()); }
  remaining(): number { return this.bytes.length - this.at; }
  /** Date Time characteristic (0x2A08): year u16, month, day, hours, minutes, seconds. */
  dateTime(): DateTime {
    const year = this.u16(), month = this.u8(), day = this.u8(), hours = this.u8(), minutes = this.u8(), seconds = this.u8();
    const p = (n: number) => String(n).padStart(2, "0");
    const known = year > 0 && month > 0 && day > 0 && month <= 12 && day <= 31 && hours < 24 && minutes < 60 && seconds < 60;
    return { iso: known ? `${year}-${p(month)}-${p(day)}T${p(hours)}:${p(minutes)}:${p(seconds)}` : null, year, month, day, hours, minutes, seconds };
  }
  end(): void {
    if (this.remaining() !== 0) throw new ProfileError("trailing-bytes", `${this.profile}: ${this.remaining()} byte(s) left after the last field`);
  }
}
