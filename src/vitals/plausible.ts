// Physiological ranges outside which a value is stored flagged "implausible" and never charted.
const RANGES: Record<string, Record<string, [number, number]>> = {
  "8867-4": { "/min": [20, 250] },
  "8889-8": { "/min": [20, 250] },
  "59408-5": { "%": [50, 100] },
  "8480-6": { "mm[Hg]": [50, 260], kPa: [6.7, 34.7] },
  "8462-4": { "mm[Hg]": [25, 160], kPa: [3.3, 21.3] },
  "8478-0": { "mm[Hg]": [30, 200], kPa: [4, 26.7] },
  "8310-5": { Cel: [30, 43], "[degF]": [86, 109.4] },
  "29463-7": { kg: [1, 400], "[lb_av]": [2, 880] },
};

export function plausible(loinc: string, unit: string, value: number): boolean {
  const range = RANGES[loinc]?.[unit];
  if (!range) return true;
  return value >= range[0] && value <= range[1];
}
