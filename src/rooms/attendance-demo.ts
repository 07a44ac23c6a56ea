import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { closeSession, createSession, openSession } from "../clinic/sessions.ts";
import { endVisit, heldSessionsOf, markAdmitted, markAway, startVisit } from "./attendance.ts";

const MIN = 60_000;
const WEEK = 7 * 24 * 60 * MIN;

/** The demo's past sessions of a group: those the schedule demo already held, or three made here. */
function pastSessions(hearth: Hearth, groupId: number, clinicianId: number): { id: number; start: number; end: number }[] {
  const held = heldSessionsOf(hearth.db, groupId, 12)
    .filter((s) => s.closedAt !== null && !hearth.db.query("SELECT 1 FROM attendance WHERE session_id = ?").get(s.id))
    .map((s) => ({ id: s.id, start: s.openedAt, end: s.closedAt! }));
  if (held.length) return held.reverse();
  const today = new Date(hearth.now());
  today.setHours(18, 0, 0, 0);
  const made = [];
  for (let week = 3; week >= 1; week--) {
    const start = today.getTime() - week * WEEK - 5 * MIN;
    const end = start + 95 * MIN;
    const id = createSession(hearth.db, groupId, start + 5 * MIN);
    openSession(hearth.db, id, clinicianId, start);
    closeSession(hearth.db, id, end);
    hearth.audit.append({ actor: `person:${clinicianId}`, action: "group_session.closed", subject: `group_session:${id}`, outcome: "ok" });
    made.push({ id, start, end });
  }
  return made;
}

/**
 * Who came to the demo's past sessions, through attendance's own recording functions: the
 * clinician from opening to close; most members let in a few minutes after opening; one late by
 * twenty minutes once, one who lost the connection and came back in the last session, one who
 * missed a week, so the group page and the session records show what a real register looks like.
 */
export async function attendanceDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const db = hearth.db;
  for (const [gi, group] of clinic.groups.entries()) {
    const sessions = pastSessions(hearth, group.id, group.clinicianId);
    for (const [si, { id: sessionId, start, end }] of sessions.entries()) {
      const last = si === sessions.length - 1;
      const lead = startVisit(db, sessionId, group.clinicianId, start);
      markAdmitted(db, lead, group.clinicianId, start);
      for (const [mi, memberId] of group.memberIds.entries()) {
        if ((mi + si + gi) % 7 === 3) continue; // missed this one
        const late = mi === 1 && si === 1 ? 20 * MIN : 0;
        const knocked = start + 8 * MIN + late;
        const visit = startVisit(db, sessionId, memberId, knocked);
        markAdmitted(db, visit, group.clinicianId, knocked + MIN);
        if (mi === 2 && last) {
          // Lost the connection half-way through, came back five minutes later.
          const mid = Math.round((start + end) / 2);
          markAway(db, visit, mid);
          endVisit(db, visit, "dropped", mid + MIN);
          const again = startVisit(db, sessionId, memberId, mid + 4 * MIN);
          markAdmitted(db, again, group.clinicianId, mid + 5 * MIN);
          endVisit(db, again, "ended", end);
        } else {
          endVisit(db, visit, "ended", end);
        }
      }
      endVisit(db, lead, "ended", end);
    }
  }
}
