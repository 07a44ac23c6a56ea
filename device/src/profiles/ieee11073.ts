// IEEE 11073-20601 SFLOAT (16-bit) and FLOAT (32-bit) as used by the Bluetooth SIG health profiles.
// SFLOAT: 4-bit signed exponent (high nibble), 12-bit signed mantissa; value = mantissa * 10^exponent.
// FLOAT: 8-bit signed exponent (high byte), 24-bit signed mantissa.
// Reserved mantissas (IEEE 11073-20601 section F.8, Bluetooth "Personal Health Devices Transcoding" 2.2):
//   SFLOAT 0x07FF NaN, 0x0800 NRes, 0x07FE +INFINITY, 0x0802 -INFINITY, 0x0801 reserved
//   FLOAT  0x7FFFFF NaN, 0x800000 NRes, 0x7FFFFE +INFINITY, 0x800002 -INFINITY, 0x800001 reserved

export type Special = "NaN" | "NRes" | "+INFINITY" | "-INFINITY" | "reserved";
export type MedFloat = { value: number; special?: undefined } | { value: number; special: Special };

const SFLOAT_SPECIAL: Record<number, Special> = {
  0x07ff: "NaN", 0x0800: "NRes", 0x07fe: "+INFINITY", 0x0802: "-INFINITY", 0x0801: "reserved",
};
const FLOAT_SPECIAL: Record<number, Special> = {
  0x7fffff: "NaN", 0x800000: "NRes", 0x7ffffe: "+INFINITY", 0x800002: "-INFINITY", 0x800001: "reserved",
};

function specialValue(s: Special): number {
  if (s === "+INFINITY") return Infinity;
  if (s === "-INFINITY") return -Infinity;
  return NaN;
}

/** Rounds away binary noise from mantissa * 10^exp (e.g. 365 * 10^-1 gives exactly 36.5). */
function scale(mantissa: number, exponent: number): number {
  if (exponent >= 0) return mantissa * 10 ** exponent;
  return Number((mantissa / 10 ** -exponent).toFixed(-exponent));
}

export function decodeSfloat(raw: number): MedFloat {
  const m = raw & 0x0fff;
  const special = SFLOAT_SPECIAL[m];
  if (special) return { value: specialValue(special), special };
  const mantissa = m >= 0x0800 ? m - 0x1000 : m;
  let exponent = (raw >> 12) & 0x0f;
  if (exponent >= 0x08) exponent -= 0x10;
  return { value: scale(mantissa, exponent) };
}

export function decodeFloat(raw: number): MedFloat {
  const m = raw & 0xffffff;
  const special = FLOAT_SPECIAL[m];
  if (special) return { value: specialValue(special), special };
  const mantissa = m >= 0x800000 ? m - 0x1000000 : m;
  let exponent = (raw >>> 24) & 0xff;
  if (exponent >= 0x80) exponent -= 0x100;
  return { value: scale(mantissa, exponent) };
}

/** Encoders for tests and the simulator's BLE-shaped frames. */
export function encodeSfloat(mantissa: number, exponent: number): number {
  return ((exponent & 0x0f) << 12) | (mantissa & 0x0fff);
}
export function encodeFloat(mantissa: number, exponent: number): number {
  return (((exponent & 0xff) << 24) | (mantissa & 0xffffff)) >>> 0;
}
export const SFLOAT = { NaN: 0x07ff, NRes: 0x0800, PosInf: 0x07fe, NegInf: 0x0802, Reserved: 0x0801 } as const;
export const FLOAT = { NaN: 0x007fffff, NRes: 0x00800000, PosInf: 0x007ffffe, NegInf: 0x00800002, Reserved: 0x00800001 } as const;
