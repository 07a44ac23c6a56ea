import type { Hearth } from "../context.ts";
import { readContacts } from "../identity/people.ts";
import { readWhereabouts } from "./whereabouts.ts";

/**
 * Alerts raised in a session: "I need help now", the group's code word in chat, crisis words in
 * chat. Each is stored sealed with the session's record (what kind, and what the facilitators
 * were shown) and audited when raised and when acknowledged; ids and times stay plain.
 */
export type AlertKind = "button" | "code-word" | "words";

/** What a facilitator is shown: who, and how to reach them today. */
export interface AlertDetail {
  kind: AlertKind;
  name: string;
  location: string;
  phone: string;
  emergencyContact: string;
  /** True when the member gave nothing for this session and these come from their profile. */
  fromProfile: boolean;
}

export interface StoredAlert extends AlertDetail {
  id: number;
  personId: number;
  raisedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: number | null;
}

/**
 * How to reach a member now: what they said for this session, or else their profile's usual
 * place and emergency contact. Read on the member's own behalf (they raised the alert); each
 * facilitator it is shown to is audited where it is shown (src/rooms/safety.ts).
 */
export async function reachOf(hearth: Hearth, sessionId: number, personId: number): Promise<Omit<AlertDetail, "kind" | "name">> {
  const given = await readWhereabouts(hearth, personId, sessionId, personId);
  if (given && (given.location || given.phone || given.emergencyContact)) {
    return { location: given.location, phone: given.phone, emergencyContact: given.emergencyContact, fromProfile: false };
  }
  const c = await readContacts(hearth, personId, personId);
  return { location: c.usualLocation, phone: "", emergencyContact: c.emergencyContact, fromProfile: true };
}

export async function raiseAlert(hearth: Hearth, sessionId: number, personId: number, detail: AlertDetail): Promise<{ id: number; raisedAt: number }> {
  const sealed = await hearth.vault.sealJson(detail);
  const raisedAt = hearth.now();
  const id = hearth.db.transaction(() => {
    const row = hearth.db
      .query<{ id: number }, [number, number, number, Uint8Array]>("INSERT INTO safety_alerts (session_id, person_id, raised_at, detail) VALUES (?, ?, ?, ?) RETURNING id")
      .get(sessionId, personId, raisedAt, sealed)!;
    hearth.audit.append({ actor: `person:${personId}`, action: "safety.alert_raised", subject: `safety_alert:${row.id}`, ownerId: personId, outcome: "ok" });
    return row.id;
  }).immediate();
  return { id, raisedAt };
}

/** Marks an alert acknowledged; false when it already was (another facilitator was first). */
export function acknowledgeAlert(hearth: Hearth, alertId: number, sessionId: number, byId: number): boolean {
  return hearth.db.transaction(() => {
    const done = hearth.db
      .query("UPDATE safety_alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND session_id = ? AND acknowledged_at IS NULL")
      .run(hearth.now(), byId, alertId, sessionId).changes;
    if (!done) return false;
    const owner = hearth.db.query<{ person_id: number }, [number]>("SELECT person_id FROM safety_alerts WHERE id = ?").get(alertId)!.person_id;
    hearth.audit.append({ actor: `person:${byId}`, action: "safety.alert_acknowledged", subject: `safety_alert:${alertId}`, ownerId: owner, outcome: "ok" });
    return true;
  }).immediate();
}

interface Row {
  id: number;
  person_id: number;
  raised_at: number;
  detail: Uint8Array;
  acknowledged_at: number | null;
  acknowledged_by: number | null;
}

/** A session's alerts, opened for `readerId` (each one audited as a read of its member's data). */
export async function alertsOf(hearth: Hearth, readerId: number, sessionId: number, opts: { openOnly?: boolean } = {}): Promise<StoredAlert[]> {
  const rows = hearth.db
    .query<Row, [number]>(
      `SELECT id, person_id, raised_at, detail, acknowledged_at, acknowledged_by FROM safety_alerts WHERE session_id = ?${opts.openOnly ? " AND acknowledged_at IS NULL" : ""} ORDER BY id`,
    )
    .all(sessionId);
  const out: StoredAlert[] = [];
  for (const r of rows) {
    const detail = await hearth.vault.openJson<AlertDetail>(r.detail);
    hearth.audit.append({ actor: `person:${readerId}`, action: "safety.alert_read", subject: `safety_alert:${r.id}`, ownerId: r.person_id, outcome: "ok" });
    out.push({ ...detail, id: r.id, personId: r.person_id, raisedAt: r.raised_at, acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by });
  }
  return out;
}

/** A session's alerts nobody has acknowledged yet, for a room starting again (shown, and audited, when delivered). */
export async function openAlerts(hearth: Hearth, sessionId: number): Promise<(AlertDetail & { id: number; personId: number; raisedAt: number })[]> {
  const rows = hearth.db
    .query<Row, [number]>("SELECT id, person_id, raised_at, detail, acknowledged_at, acknowledged_by FROM safety_alerts WHERE session_id = ? AND acknowledged_at IS NULL ORDER BY id")
    .all(sessionId);
  const out = [];
  for (const r of rows) out.push({ ...(await hearth.vault.openJson<AlertDetail>(r.detail)), id: r.id, personId: r.person_id, raisedAt: r.raised_at });
  return out;
}
