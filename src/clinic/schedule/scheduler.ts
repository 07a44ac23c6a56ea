import type { Hearth } from "../../context.ts";
import { log } from "../../log.ts";
import { defineNotice } from "../../notify/notices.ts";
import { notify, prefsOf } from "../../notify/notify.ts";
import { membersOf } from "../groups.ts";
import { liveSessionOf, type LiveRooms } from "../sessions.ts";
import { localParts } from "./recurrence.ts";
import { openLeadMinutes, plannedSessions, scheduledGroupIds, type PlannedSession } from "./schedules.ts";
import { reminderText } from "./strings.ts";

/**
 * The clinic's clock work: scheduled sessions open by themselves a few minutes early (the
 * clinic's lead, 10 min unless the admin changed it), close an hour after their planned end if
 * nobody ended them, and each member gets their reminder (24 h or 1 h before, as they chose).
 * Nothing is kept in memory between ticks: each tick works out from the stored schedules, the
 * group_sessions rows (one per occurrence, unique) and notify's once-keys what should have
 * happened by now, so a restart, a late tick or a tick run twice does each thing exactly once.
 */
export const REMINDER_KIND = "clinic.reminder";
defineNotice(REMINDER_KIND, reminderText);

export const CLOSE_AFTER_END_MS = 60 * 60_000;
const HOUR = 3_600_000;
const REMIND_MS = { "24h": 24 * HOUR, "1h": HOUR } as const;

export interface TickResult {
  opened: number[];
  closed: number[];
  reminders: number;
}

/** The group_sessions row of an occurrence, made if missing (not opened). */
export function sessionOfOccurrence(hearth: Hearth, p: Pick<PlannedSession, "groupId" | "scheduleId" | "wall" | "startsAt">): number {
  hearth.db
    .query("INSERT INTO group_sessions (group_id, scheduled_for, schedule_id, wall) VALUES (?, ?, ?, ?) ON CONFLICT (schedule_id, wall) WHERE schedule_id IS NOT NULL DO UPDATE SET scheduled_for = excluded.scheduled_for")
    .run(p.groupId, p.startsAt, p.scheduleId, p.wall);
  return hearth.db.query<{ id: number }, [number, number]>("SELECT id FROM group_sessions WHERE schedule_id = ? AND wall = ?").get(p.scheduleId, p.wall)!.id;
}

/** The stored row of an occurrence, if the scheduler (or a clinician) made one. */
export function occurrenceSession(hearth: Hearth, scheduleId: number, wall: number): { id: number; openedAt: number | null; closedAt: number | null } | null {
  return hearth.db
    .query<{ id: number; openedAt: number | null; closedAt: number | null }, [number, number]>(
      "SELECT id, opened_at AS openedAt, closed_at AS closedAt FROM group_sessions WHERE schedule_id = ? AND wall = ?",
    )
    .get(scheduleId, wall);
}

export class ClinicScheduler {
  #timer: ReturnType<typeof setInterval> | null = null;
  #running: Promise<TickResult> | null = null;

  constructor(
    private hearth: Hearth,
    private rooms: LiveRooms,
  ) {}

  start(everyMs = 15_000): void {
    if (this.#timer) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), everyMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass; a tick asked for while one runs waits for it and does nothing more. */
  tick(): Promise<TickResult> {
    if (this.#running) return this.#running;
    const run = Promise.resolve().then(() => this.#pass());
    this.#running = run.finally(() => (this.#running = null));
    return this.#running.catch((err) => {
      log.error("clinic scheduler pass failed", { kind: (err as Error).name });
      return { opened: [], closed: [], reminders: 0 };
    });
  }

  #pass(): TickResult {
    const { hearth } = this;
    const now = hearth.now();
    const lead = openLeadMinutes(hearth) * 60_000;
    const result: TickResult = { opened: [], closed: [], reminders: 0 };
    const groups = scheduledGroupIds(hearth);
    const planned = plannedSessions(hearth, groups, now - CLOSE_AFTER_END_MS - 24 * HOUR, now + 24 * HOUR + lead + 1);
    // First close what is over, so the next occurrence of the same group can open.
    for (const p of planned) {
      const row = occurrenceSession(hearth, p.scheduleId, p.wall);
      if (!row || row.openedAt === null || row.closedAt !== null) continue;
      if (p.cancelled || now >= p.endsAt + CLOSE_AFTER_END_MS) {
        this.rooms.end(row.id);
        if (hearth.db.query("UPDATE group_sessions SET closed_at = ? WHERE id = ? AND closed_at IS NULL").run(now, row.id).changes === 1) {
          hearth.audit.append({ actor: "system", action: "group_session.closed", subject: `group_session:${row.id}`, outcome: "ok" });
        }
        result.closed.push(row.id);
      }
    }
    for (const p of planned) {
      if (p.cancelled) continue;
      if (now >= p.startsAt - lead && now < p.endsAt) {
        const opened = hearth.db.transaction(() => {
          const existing = occurrenceSession(hearth, p.scheduleId, p.wall);
          // Opened already (or ended early by its clinician): nothing to do.
          if (existing && existing.openedAt !== null) return null;
          // One live session per group: an ad-hoc one still open keeps this one waiting.
          if (liveSessionOf(hearth.db, p.groupId)) return null;
          const id = sessionOfOccurrence(hearth, p);
          hearth.db.query("UPDATE group_sessions SET opened_at = ?, opened_by = NULL WHERE id = ? AND opened_at IS NULL").run(now, id);
          hearth.audit.append({ actor: "system", action: "group_session.opened", subject: `group_session:${id}`, outcome: "ok" });
          return id;
        }).immediate();
        if (opened !== null) result.opened.push(opened);
      }
      if (p.startsAt > now) result.reminders += this.#remind(p, now);
    }
    return result;
  }

  /** Each person of the group gets the reminder they chose, once (notify's once-key). */
  #remind(p: PlannedSession, now: number): number {
    let sent = 0;
    const when = localParts(p.zone, p.startsAt);
    for (const m of membersOf(this.hearth.db, p.groupId)) {
      const choice = prefsOf(this.hearth, m.personId).remind;
      if (choice === "none" || now < p.startsAt - REMIND_MS[choice]) continue;
      const id = notify(this.hearth, m.personId, {
        kind: REMINDER_KIND,
        link: "/calendar",
        params: { date: when.date, time: when.time, zone: p.zone },
        // Keyed by the start too: a session moved after its reminder gets one with the new time.
        once: `reminder:${p.scheduleId}:${p.wall}:${p.startsAt}:${m.personId}:${choice}`,
      });
      if (id !== null) sent++;
    }
    return sent;
  }
}

const schedulers = new WeakMap<Hearth, ClinicScheduler>();
/** This hearth's scheduler (tests reach it here to tick it with their clock). */
export function schedulerOf(hearth: Hearth, rooms?: LiveRooms): ClinicScheduler {
  let s = schedulers.get(hearth);
  if (!s) schedulers.set(hearth, (s = new ClinicScheduler(hearth, rooms ?? { end: () => {} })));
  return s;
}
