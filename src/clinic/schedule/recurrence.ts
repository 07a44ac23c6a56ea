import { RRule, Weekday } from "rrule";

/**
 * Recurrence of a group's sessions, with the `rrule` library doing the recurring and the clinic's
 * IANA zone doing the clock. rrule runs in "floating" wall-clock time (each date's UTC fields
 * hold the local date and time, e.g. Tuesday 18:00); each wall-clock start is then turned into a
 * UTC instant in the zone, so a weekly 18:00 stays 18:00 local across daylight-saving changes.
 * Stored: the rule text (RFC 5545 RRULE, with DTSTART floating) and the zone beside it.
 */
export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type WeekdayCode = (typeof WEEKDAYS)[number];

export interface Recurrence {
  /** First day, YYYY-MM-DD in the clinic's zone. */
  startsOn: string;
  /** Local start time, HH:MM. */
  time: string;
  durationMin: number;
  zone: string;
  days: WeekdayCode[];
  /** Every N weeks. */
  interval: number;
  /** Either a count of sessions or a last day (YYYY-MM-DD, inclusive). */
  count?: number;
  until?: string;
}

export class RecurrenceError extends Error {
  constructor(
    readonly field: "startsOn" | "time" | "durationMin" | "zone" | "days" | "interval" | "count" | "until",
    message: string,
  ) {
    super(message);
  }
}

export function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone.includes("/") || zone === "UTC";
  } catch {
    return false;
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

function parseDate(field: "startsOn" | "until", s: string): [number, number, number] {
  const m = DATE.exec(s);
  if (!m) throw new RecurrenceError(field, "must be a date like 2026-03-03");
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const back = new Date(Date.UTC(y, mo - 1, d));
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) throw new RecurrenceError(field, "is not a real date");
  return [y, mo, d];
}

// Building an Intl.DateTimeFormat costs far more than formatting with one: one per zone, kept.
const formats = new Map<string, Intl.DateTimeFormat>();
function formatIn(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) formats.set(zone, (f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })));
  return f;
}

/** The zone's offset from UTC (ms) at this instant. */
function offsetAt(zone: string, utcMs: number): number {
  const parts = formatIn(zone).formatToParts(utcMs);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The UTC instant of a wall-clock time in a zone. A time that does not exist (skipped by a
 * spring-forward) moves forward by the gap; an ambiguous one (fall-back) takes the first.
 */
export function wallToUtc(zone: string, wallAsUtcMs: number): number {
  const day = 86_400_000;
  // The offsets a day before and after; a zone changes at most once in that span.
  const before = wallAsUtcMs - offsetAt(zone, wallAsUtcMs - day);
  const after = wallAsUtcMs - offsetAt(zone, wallAsUtcMs + day);
  const valid = [before, after].filter((c) => c + offsetAt(zone, c) === wallAsUtcMs);
  if (valid.length) return Math.min(...valid);
  // In the gap: the old offset puts it just past the change, moved forward by the gap.
  return before;
}

/** Checks every field and builds the rule; throws RecurrenceError naming the field. */
export function ruleOf(r: Recurrence): RRule {
  if (!isZone(r.zone)) throw new RecurrenceError("zone", "must be a time zone like America/Toronto");
  const [y, mo, d] = parseDate("startsOn", r.startsOn);
  const t = TIME.exec(r.time);
  if (!t) throw new RecurrenceError("time", "must be a time like 18:00");
  if (!Number.isInteger(r.durationMin) || r.durationMin < 5 || r.durationMin > 600) throw new RecurrenceError("durationMin", "must be 5 to 600 minutes");
  if (!r.days.length || r.days.some((x) => !WEEKDAYS.includes(x))) throw new RecurrenceError("days", "must name at least one weekday");
  if (!Number.isInteger(r.interval) || r.interval < 1 || r.interval > 52) throw new RecurrenceError("interval", "must be every 1 to 52 weeks");
  if (r.count === undefined && r.until === undefined) throw new RecurrenceError("count", "give a number of sessions or a last day");
  if (r.count !== undefined && (!Number.isInteger(r.count) || r.count < 1 || r.count > 520)) throw new RecurrenceError("count", "must be 1 to 520 sessions");
  let until: Date | undefined;
  if (r.until !== undefined) {
    const [uy, um, ud] = parseDate("until", r.until);
    until = new Date(Date.UTC(uy, um - 1, ud, 23, 59, 59));
    if (until.getTime() < Date.UTC(y, mo - 1, d)) throw new RecurrenceError("until", "is before the first day");
  }
  const rule = new RRule({
    freq: RRule.WEEKLY,
    interval: r.interval,
    byweekday: r.days.map((x) => new Weekday(WEEKDAYS.indexOf(x))),
    dtstart: new Date(Date.UTC(y, mo - 1, d, Number(t[1]), Number(t[2]))),
    ...(r.count !== undefined ? { count: r.count } : {}),
    ...(until ? { until } : {}),
  });
  if (!rule.after(new Date(Date.UTC(y, mo - 1, d) - 1), true)) throw new RecurrenceError("days", "this recurrence has no session at all");
  return rule;
}

// Pages ask for the same stored rules again and again: keep each checked rule (rrule caches its
// own results per instance), keyed by the whole recurrence, bounded.
const checked = new Map<string, RRule>();
function cachedRule(r: Recurrence): RRule {
  const key = JSON.stringify(r);
  let rule = checked.get(key);
  if (!rule) {
    if (checked.size >= 2000) checked.clear();
    checked.set(key, (rule = ruleOf(r)));
  }
  return rule;
}

export interface Occurrence {
  /** UTC start and end (ms). */
  startsAt: number;
  endsAt: number;
  /** The wall-clock start in the zone, as floating ms (the occurrence's identity in the rule). */
  wall: number;
}

/** Occurrences whose start lies in [fromUtc, toUtc), at most `limit`. */
export function occurrences(r: Recurrence, fromUtc: number, toUtc: number, limit = 5000): Occurrence[] {
  const rule = cachedRule(r);
  // Floating times differ from UTC by at most 14 h: widen the window, then filter exactly.
  const day = 86_400_000;
  const out: Occurrence[] = [];
  // No iterator callback: rrule caches a plain `between` per rule instance.
  for (const date of rule.between(new Date(fromUtc - day), new Date(toUtc + day), true)) {
    const startsAt = wallToUtc(r.zone, date.getTime());
    if (startsAt >= fromUtc && startsAt < toUtc) out.push({ startsAt, endsAt: startsAt + r.durationMin * 60_000, wall: date.getTime() });
    if (out.length >= limit) break;
  }
  return out;
}

/** Every occurrence of a rule that ends by count or date. */
export function allOccurrences(r: Recurrence, limit = 5000): Occurrence[] {
  return cachedRule(r)
    .all()
    .slice(0, limit)
    .map((date) => {
      const startsAt = wallToUtc(r.zone, date.getTime());
      return { startsAt, endsAt: startsAt + r.durationMin * 60_000, wall: date.getTime() };
    });
}

/** A UTC instant shown as local date and time in a zone, with the zone named ("18:00 America/Toronto"). */
export function localParts(zone: string, utcMs: number): { date: string; time: string } {
  const wall = utcMs + offsetAt(zone, utcMs);
  const iso = new Date(wall).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}
