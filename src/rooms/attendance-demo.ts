import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { closeSession, createSession, openSession } from "../clinic/sessions.ts";
import { endVisit, markAdmitted, markAway, startVisit } from "./attendance.ts";

const MIN = 60_000;
const WEEK = 7 * 24 * 60 * MIN;

/**
 * The demo's past sessions and who came, through attendance's own recording functions: each
 * group met at 18:00 on each of the last three weeks for 90 minutes; most members came on time,
 * one was late, one lost their connection, one missed a week, so the group page and the session
 * records show what a real register looks like.
 */
export async function attendanceDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const db = hearth.db;
  const today = new Date(hearth.now());
  today.setHours(18, 0, 0, 0);
  for (const [gi, group] of clinic.groups.entries()) {
    for (let week = 3; week >= 1; week--) {
      const start = today.getTime() - week * WEEK;
      const end = start + 90 * MIN;
      const sessionId = createSession(db, group.id, start);
      openSession(db, sessionId, group.clinicianId, start - 5 * MIN);
      const lead = startVisit(db, sessionId, group.clinicianId, start - 5 * MIN);
      markAdmitted(db, lead, group.clinicianId, start - 5 * MIN);
      for (const [mi, memberId] of group.memberIds.entries()) {
        if ((mi + week + gi) % 7 === 0) continue; // missed this week
        const late = mi === 1 && week === 2 ? 20 * MIN : 0;
        const knocked = start - 2 * MIN + late;
        const visit = startVisit(db, sessionId, memberId, knocked);
        markAdmitted(db, visit, group.clinicianId, knocked + MIN);
        if (mi === 2 && week === 1) {
          // Lost the connection 50 minutes in, came back 5 minutes later.
          markAway(db, visit, start + 50 * MIN);
          endVisit(db, visit, "dropped", start + 51 * MIN);
          const again = startVisit(db, sessionId, memberId, start + 55 * MIN);
          markAdmitted(db, again, group.clinicianId, start + 56 * MIN);
          endVisit(db, again, "ended", end);
        } else {
          endVisit(db, visit, "ended", end);
        }
      }
      endVisit(db, lead, "ended", end);
      closeSession(db, sessionId, end);
      hearth.audit.append({ actor: `person:${group.clinicianId}`, action: "group_session.closed", subject: `group_session:${sessionId}`, outcome: "ok" });
    }
  }
}
