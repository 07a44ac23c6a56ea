import type { Hearth } from "../../context.ts";
import { LOCALES } from "../../ui/i18n.ts";
import { membersOf } from "../groups.ts";
import { localParts, WEEKDAYS, type WeekdayCode } from "../schedule/recurrence.ts";
import { plannedSessions } from "../schedule/schedules.ts";

/**
 * Intake answers, what clinicians and groups offer, and the ranking. Matching suggests and says
 * why; a clinician decides. Scores are plain sums of named parts, so each reason shown is the
 * part of the score it stands for.
 */
export const FOCUS_AREAS = ["anxiety", "depression", "trauma", "grief", "substance", "eating", "emotions", "relationships", "stress"] as const;
export type FocusArea = (typeof FOCUS_AREAS)[number];
export const PARTS_OF_DAY = { morning: [8, 12], afternoon: [12, 17], evening: [17, 22] } as const;
export type PartOfDay = keyof typeof PARTS_OF_DAY;
/** "TU-evening": a weekday and a part of the day, in the clinic's zone. */
export type Window = `${WeekdayCode}-${PartOfDay}`;
export const WINDOWS: Window[] = WEEKDAYS.flatMap((d) => (Object.keys(PARTS_OF_DAY) as PartOfDay[]).map((p) => `${d}-${p}` as Window));
export type Preference = "group" | "individual" | "either";

export interface IntakeAnswers {
  focus: FocusArea[];
  language: string;
  windows: Window[];
  preference: Preference;
}

export class IntakeError extends Error {
  constructor(readonly field: "focus" | "language" | "windows" | "preference" | "capacity") {
    super(field);
  }
}

export function checkAnswers(a: IntakeAnswers): IntakeAnswers {
  if (!a.focus.length || a.focus.some((f) => !FOCUS_AREAS.includes(f))) throw new IntakeError("focus");
  if (!(LOCALES as readonly string[]).includes(a.language)) throw new IntakeError("language");
  if (!a.windows.length || a.windows.some((w) => !WINDOWS.includes(w))) throw new IntakeError("windows");
  if (!["group", "individual", "either"].includes(a.preference)) throw new IntakeError("preference");
  return a;
}

/** The window an instant falls in (in the zone), or null outside the parts of the day. */
export function windowOf(zone: string, ms: number): Window | null {
  const { date, time } = localParts(zone, ms);
  const day = WEEKDAYS[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7]!;
  const hour = Number(time.slice(0, 2));
  const part = (Object.keys(PARTS_OF_DAY) as PartOfDay[]).find((p) => hour >= PARTS_OF_DAY[p][0] && hour < PARTS_OF_DAY[p][1]);
  return part ? `${day}-${part}` : null;
}

export interface GroupOffer {
  groupId: number;
  capacity: number;
  focus: FocusArea[];
  language: string;
}
export interface ClinicianOffer {
  personId: number;
  focus: FocusArea[];
  languages: string[];
  hours: Window[];
}

export function groupOffers(hearth: Hearth): GroupOffer[] {
  return hearth.db
    .query<{ group_id: number; capacity: number; focus: string; language: string }, []>(
      "SELECT o.group_id, o.capacity, o.focus, o.language FROM group_offers o JOIN groups g ON g.id = o.group_id WHERE g.archived_at IS NULL",
    )
    .all()
    .map((r) => ({ groupId: r.group_id, capacity: r.capacity, focus: JSON.parse(r.focus), language: r.language }));
}

export function clinicianOffers(hearth: Hearth): ClinicianOffer[] {
  return hearth.db
    .query<{ person_id: number; focus: string; languages: string; hours: string }, []>(
      "SELECT o.person_id, o.focus, o.languages, o.hours FROM clinician_offers o JOIN people p ON p.id = o.person_id WHERE p.status = 'active'",
    )
    .all()
    .map((r) => ({ personId: r.person_id, focus: JSON.parse(r.focus), languages: JSON.parse(r.languages), hours: JSON.parse(r.hours) }));
}

export function setGroupOffer(hearth: Hearth, actorId: number, o: GroupOffer): void {
  if (!Number.isInteger(o.capacity) || o.capacity < 1 || o.capacity > 50) throw new IntakeError("capacity");
  if (o.focus.some((f) => !FOCUS_AREAS.includes(f))) throw new IntakeError("focus");
  if (!(LOCALES as readonly string[]).includes(o.language)) throw new IntakeError("language");
  hearth.db
    .query(
      `INSERT INTO group_offers (group_id, capacity, focus, language, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (group_id) DO UPDATE SET capacity = excluded.capacity, focus = excluded.focus, language = excluded.language, updated_at = excluded.updated_at`,
    )
    .run(o.groupId, o.capacity, JSON.stringify(o.focus), o.language, hearth.now());
  hearth.audit.append({ actor: `person:${actorId}`, action: "group.offer_set", subject: `group:${o.groupId}`, ownerId: null, outcome: "ok" });
}

export function setClinicianOffer(hearth: Hearth, o: ClinicianOffer): void {
  if (o.focus.some((f) => !FOCUS_AREAS.includes(f))) throw new IntakeError("focus");
  if (o.languages.some((l) => !(LOCALES as readonly string[]).includes(l))) throw new IntakeError("language");
  if (o.hours.some((w) => !WINDOWS.includes(w))) throw new IntakeError("windows");
  hearth.db
    .query(
      `INSERT INTO clinician_offers (person_id, focus, languages, hours, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (person_id) DO UPDATE SET focus = excluded.focus, languages = excluded.languages, hours = excluded.hours, updated_at = excluded.updated_at`,
    )
    .run(o.personId, JSON.stringify(o.focus), JSON.stringify(o.languages), JSON.stringify(o.hours), hearth.now());
}

/** One reason: what was compared, whether it fits, and the points it gave. */
export type Reason =
  | { kind: "focus"; matched: FocusArea[]; points: number }
  | { kind: "language"; language: string; fits: boolean; points: number }
  | { kind: "schedule"; inWindows: number; of: number; points: number }
  | { kind: "seats"; open: number; capacity: number; points: number }
  | { kind: "speaks"; fits: boolean; points: number }
  | { kind: "hours"; overlap: number; points: number }
  | { kind: "preference"; fits: boolean; points: number };

export interface Ranked<T> {
  item: T;
  score: number;
  reasons: Reason[];
}

const total = (reasons: Reason[]) => reasons.reduce((n, r) => n + r.points, 0);

/**
 * Groups with an open seat, ranked: focus areas in common (3 each), the group's language (2),
 * the share of its next four weeks' sessions inside the person's windows (up to 3), open seats
 * (up to 1), and whether a group is what they asked for (1, or -2 when they asked for individual).
 */
export function rankGroups(hearth: Hearth, a: IntakeAnswers): Ranked<GroupOffer>[] {
  const now = hearth.now();
  const want = new Set(a.windows);
  const out: Ranked<GroupOffer>[] = [];
  for (const g of groupOffers(hearth)) {
    const taken = membersOf(hearth.db, g.groupId).filter((m) => m.role !== "clinician").length;
    const open = g.capacity - taken;
    if (open <= 0) continue;
    const matched = a.focus.filter((f) => g.focus.includes(f));
    const sessions = plannedSessions(hearth, [g.groupId], now, now + 28 * 86_400_000).filter((p) => !p.cancelled);
    const inWindows = sessions.filter((p) => {
      const w = windowOf(p.zone, p.startsAt);
      return w !== null && want.has(w);
    }).length;
    const reasons: Reason[] = [
      { kind: "focus", matched, points: 3 * matched.length },
      { kind: "language", language: g.language, fits: g.language === a.language, points: g.language === a.language ? 2 : 0 },
      { kind: "schedule", inWindows, of: sessions.length, points: sessions.length ? Math.round((3 * inWindows) / sessions.length * 10) / 10 : 0 },
      { kind: "seats", open, capacity: g.capacity, points: Math.round((open / g.capacity) * 10) / 10 },
      { kind: "preference", fits: a.preference !== "individual", points: a.preference === "individual" ? -2 : 1 },
    ];
    out.push({ item: g, score: total(reasons), reasons });
  }
  return out.sort((x, y) => y.score - x.score || x.item.groupId - y.item.groupId);
}

/** Clinicians for individual work, ranked by focus (3 each), language (2), hours in common (up to 3), preference. */
export function rankClinicians(hearth: Hearth, a: IntakeAnswers): Ranked<ClinicianOffer>[] {
  return clinicianOffers(hearth)
    .map((c) => {
      const matched = a.focus.filter((f) => c.focus.includes(f));
      const overlap = a.windows.filter((w) => c.hours.includes(w)).length;
      const reasons: Reason[] = [
        { kind: "focus", matched, points: 3 * matched.length },
        { kind: "speaks", fits: c.languages.includes(a.language), points: c.languages.includes(a.language) ? 2 : 0 },
        { kind: "hours", overlap, points: Math.min(3, overlap) },
        { kind: "preference", fits: a.preference !== "group", points: a.preference === "group" ? -2 : 1 },
      ];
      return { item: c, score: total(reasons), reasons };
    })
    .sort((x, y) => y.score - x.score || x.item.personId - y.item.personId);
}
