import type { Hearth } from "../context.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { isNoticeKind, noticeText } from "./notices.ts";
import { notifyStrings } from "./strings.ts";

/**
 * Notify: tell a person something, in Hearth and (if they want it and SMTP is set) by e-mail.
 *
 *   import { notify } from "../notify/notify.ts";
 *   import { defineNotice } from "../notify/notices.ts";
 *   defineNotice("portal.message", portalMessageText);      // once, at module load
 *   await notify(hearth, personId, { kind: "portal.message", link: "/portal/messages", params: { n: 2 } });
 *
 * - `kind` must be registered with defineNotice (its localized title/e-mail text).
 * - `link` is a path inside Hearth ("/..."); the e-mail carries publicUrl + link.
 * - `params` fill {placeholders}: times, counts, never names or clinical words.
 * - `once` (optional) is a key that makes the call idempotent, even across restarts: a reminder
 *   for session 12 at 24 h passes once: "reminder:12:24h".
 * Returns the notification id, or null when `once` had already been used.
 * The e-mail goes through the durable outbox (src/notify/outbox.ts): retried with back-off while
 * SMTP is down, sent once.
 */
export interface Notice {
  kind: string;
  link: string;
  params?: Record<string, string | number>;
  once?: string;
}

export interface Notification {
  id: number;
  kind: string;
  link: string;
  params: Record<string, string | number>;
  createdAt: number;
  readAt: number | null;
}

export type ReminderChoice = "24h" | "1h" | "none";
export interface NotifyPrefs {
  email: boolean;
  remind: ReminderChoice;
}

export function notify(hearth: Hearth, personId: number, notice: Notice): number | null {
  if (!isNoticeKind(notice.kind)) throw new Error(`notify: kind "${notice.kind}" is not registered (defineNotice)`);
  if (!notice.link.startsWith("/") || notice.link.startsWith("//")) throw new Error("notify: link must be a path inside Hearth");
  const now = hearth.now();
  return hearth.db.transaction(() => {
    const row = hearth.db
      .query<{ id: number }, [number, string, string, string, string | null, number]>(
        "INSERT INTO notifications (person_id, kind, link, params, once_key, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (once_key) DO NOTHING RETURNING id",
      )
      .get(personId, notice.kind, notice.link, JSON.stringify(notice.params ?? {}), notice.once ?? null, now);
    if (!row) return null;
    if (hearth.config.smtpUrl && prefsOf(hearth, personId).email) {
      hearth.db.query("INSERT INTO mail_outbox (notification_id, next_at, created_at) VALUES (?, ?, ?)").run(row.id, now, now);
    }
    return row.id;
  }).immediate();
}

interface Row {
  id: number;
  kind: string;
  link: string;
  params: string;
  created_at: number;
  read_at: number | null;
}

function toNotification(r: Row): Notification {
  return { id: r.id, kind: r.kind, link: r.link, params: JSON.parse(r.params), createdAt: r.created_at, readAt: r.read_at };
}

export function notificationById(hearth: Hearth, id: number): (Notification & { personId: number }) | null {
  const r = hearth.db.query<Row & { person_id: number }, [number]>("SELECT id, person_id, kind, link, params, created_at, read_at FROM notifications WHERE id = ?").get(id);
  return r ? { ...toNotification(r), personId: r.person_id } : null;
}

export function listNotifications(hearth: Hearth, personId: number, limit = 100): Notification[] {
  return hearth.db
    .query<Row, [number, number]>("SELECT id, kind, link, params, created_at, read_at FROM notifications WHERE person_id = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .all(personId, limit)
    .map(toNotification);
}

export function unreadCount(hearth: Hearth, personId: number): number {
  return hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM notifications WHERE person_id = ? AND read_at IS NULL").get(personId)!.n;
}

export function markAllRead(hearth: Hearth, personId: number): void {
  hearth.db.query("UPDATE notifications SET read_at = ? WHERE person_id = ? AND read_at IS NULL").run(hearth.now(), personId);
}

/** The words of a notification in this language (the kind's title, filled with its params). */
export function titleOf(n: Pick<Notification, "kind" | "params">, locale: Locale): string {
  const text = noticeText(n.kind, locale);
  return text ? fill(text.title, n.params) : notifyStrings(locale).unknownKind;
}

export function prefsOf(hearth: Hearth, personId: number): NotifyPrefs {
  const r = hearth.db.query<{ email: number; remind: ReminderChoice }, [number]>("SELECT email, remind FROM notify_prefs WHERE person_id = ?").get(personId);
  return r ? { email: r.email === 1, remind: r.remind } : { email: true, remind: "24h" };
}

export function setPrefs(hearth: Hearth, personId: number, prefs: NotifyPrefs): void {
  hearth.db
    .query("INSERT INTO notify_prefs (person_id, email, remind) VALUES (?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET email = excluded.email, remind = excluded.remind")
    .run(personId, prefs.email ? 1 : 0, prefs.remind);
}
