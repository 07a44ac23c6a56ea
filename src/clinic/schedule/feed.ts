import ical, { ICalAlarmType, ICalEventStatus } from "ical-generator";
import type { Hearth } from "../../context.ts";
import { readProfileLanguage } from "../../identity/people.ts";
import { fill, isLocale } from "../../ui/i18n.ts";
import { prefsOf } from "../../notify/notify.ts";
import { groupIdsOf, readGroup } from "../groups.ts";
import { plannedSessions } from "./schedules.ts";
import { scheduleStrings } from "./strings.ts";

/**
 * Each person's private calendar feed (RFC 5545, made with ical-generator). The URL holds a
 * 256-bit random token; only its SHA-256 is stored, so a copy of the database opens no feed.
 * Making a new one replaces the old (revoked at once). An event carries the group's name, the
 * time, a link to Hearth and the person's reminder as a VALARM; never who is in the group.
 * A moved session keeps its UID with a higher SEQUENCE, so calendars update it in place; a
 * cancelled one stays as STATUS:CANCELLED.
 */
export const FEED_PAST_MS = 30 * 86_400_000;
export const FEED_AHEAD_MS = 366 * 86_400_000;

function hashToken(token: string): Uint8Array {
  return new Bun.CryptoHasher("sha256").update(token).digest() as Uint8Array;
}

/** Makes (or replaces) the person's feed; returns the token, shown to them once. */
export function newFeed(hearth: Hearth, personId: number): string {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  hearth.db
    .query("INSERT INTO calendar_feeds (person_id, token_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at")
    .run(personId, hashToken(token), hearth.now());
  hearth.audit.append({ actor: `person:${personId}`, action: "calendar_feed.created", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return token;
}

export function revokeFeed(hearth: Hearth, personId: number): boolean {
  const gone = hearth.db.query("DELETE FROM calendar_feeds WHERE person_id = ?").run(personId).changes === 1;
  if (gone) hearth.audit.append({ actor: `person:${personId}`, action: "calendar_feed.revoked", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return gone;
}

export function hasFeed(hearth: Hearth, personId: number): boolean {
  return hearth.db.query("SELECT 1 FROM calendar_feeds WHERE person_id = ?").get(personId) !== null;
}

export function feedOwner(hearth: Hearth, token: string): number | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  return hearth.db.query<{ person_id: number }, [Uint8Array]>("SELECT person_id FROM calendar_feeds WHERE token_hash = ?").get(hashToken(token))?.person_id ?? null;
}

export function feedUrl(hearth: Hearth, token: string): string {
  return `${hearth.config.publicUrl}/ics/${token}`;
}

/** The person's calendar as text/calendar. Opening group names is audited (readGroup). */
export async function feedFor(hearth: Hearth, personId: number): Promise<string> {
  const lang = await readProfileLanguage(hearth, personId);
  const locale = isLocale(lang) ? lang : "en";
  const s = scheduleStrings(locale);
  const host = new URL(hearth.config.publicUrl).hostname;
  const now = hearth.now();
  const groups = groupIdsOf(hearth.db, personId, ["clinician", "member", "guest"]);
  const names = new Map<number, string>();
  for (const id of groups) {
    const g = await readGroup(hearth, personId, id);
    if (g) names.set(id, g.name);
  }
  const remind = prefsOf(hearth, personId).remind;
  const link = `${hearth.config.publicUrl}/`;
  const cal = ical({ name: s.feedCalendarName, prodId: { company: "Hearth", product: "Hearth", language: locale.toUpperCase() }, ttl: 60 * 60 });
  for (const p of plannedSessions(hearth, groups, now - FEED_PAST_MS, now + FEED_AHEAD_MS)) {
    const name = names.get(p.groupId);
    if (!name) continue;
    const event = cal.createEvent({
      id: `hearth-${p.scheduleId}-${p.wall}@${host}`,
      start: new Date(p.startsAt),
      end: new Date(p.endsAt),
      stamp: new Date(now),
      summary: name,
      description: fill(s.feedEventDescription, { link }),
      url: link,
      // Each change of an occurrence (move, cancel, restore) must read as newer to a calendar app:
      // seconds since 2024 at its last change, which only grows.
      sequence: p.changedAt === null ? 0 : Math.max(1, Math.floor((p.changedAt - Date.UTC(2024, 0, 1)) / 1000)),
      status: p.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
    if (remind !== "none" && !p.cancelled) {
      event.createAlarm({ type: ICalAlarmType.display, triggerBefore: remind === "24h" ? 86_400 : 3_600, description: s.feedAlarm });
    }
  }
  hearth.audit.append({ actor: `person:${personId}`, action: "calendar_feed.read", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return cal.toString();
}
