import type { Hearth } from "../context.ts";
import { findSession, sessionState } from "../clinic/sessions.ts";
import { createInvitation, type Invitation } from "../identity/invitations.ts";
import { endAllSessions } from "../identity/sessions.ts";

/**
 * Guests for one session: an interpreter for a named member, or a family member or support
 * person, invited by the session's facilitator. The invitation is identity's (role guest, single
 * use); session_guests binds it to one session. A guest may enter that session's room while it
 * is live and nothing else: they are in no group, so no group page, material, record or portal
 * route lets them in, and when the session ends the unused invitation is withdrawn, the guest's
 * access ends and their sign-ins are closed (`endGuestsOfEndedSessions`).
 */
export const GUEST_PARTS = ["interpreter", "family", "support"] as const;
export type GuestPart = (typeof GUEST_PARTS)[number];

export interface SessionGuest {
  part: GuestPart;
  forPersonId: number | null;
}

export function inviteGuest(
  hearth: Hearth,
  o: { sessionId: number; by: number; part: GuestPart; forPersonId: number | null },
): { url: string; expiresAt: number } {
  // A day at most either way: the session ends sooner, and then the link and the access end with it.
  const inv = createInvitation(hearth, { createdBy: o.by, role: "guest", ttlDays: 1, accessDays: 1 });
  hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [number, number, string, number | null, number, number]>(
        "INSERT INTO session_guests (session_id, invitation_id, part, for_person_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      )
      .get(o.sessionId, inv.id, o.part, o.forPersonId, o.by, hearth.now())!.id;
    hearth.audit.append({ actor: `person:${o.by}`, action: "session_guest.invited", subject: `group_session:${o.sessionId}`, ownerId: o.forPersonId, outcome: "ok" });
    return id;
  }).immediate();
  return { url: inv.url, expiresAt: inv.expiresAt };
}

/** identity's onInvitationAccepted: the new guest is bound to their session (or, if it already ended, their access ends now). */
export function guestAccepted(hearth: Hearth, invitation: Invitation, personId: number): void {
  const row = hearth.db.query<{ id: number; session_id: number }, [number]>("SELECT id, session_id FROM session_guests WHERE invitation_id = ?").get(invitation.id);
  if (!row) return;
  hearth.db.query("UPDATE session_guests SET person_id = ? WHERE id = ?").run(personId, row.id);
  const session = findSession(hearth.db, row.session_id);
  if (!session || sessionState(session) === "closed") endGuestsOfEndedSessions(hearth);
}

/** This person's part as a guest of this session, while it is not over. */
export function sessionGuestOf(hearth: Hearth, personId: number, sessionId: number): SessionGuest | null {
  const r = hearth.db
    .query<{ part: GuestPart; for_person_id: number | null }, [number, number]>(
      `SELECT sg.part, sg.for_person_id FROM session_guests sg JOIN group_sessions s ON s.id = sg.session_id
       WHERE sg.person_id = ? AND sg.session_id = ? AND sg.ended_at IS NULL AND s.closed_at IS NULL`,
    )
    .get(personId, sessionId);
  return r ? { part: r.part, forPersonId: r.for_person_id } : null;
}

/** The live session a guest was invited to, if any (for their home page). */
export function liveSessionOfGuest(hearth: Hearth, personId: number): number | null {
  return (
    hearth.db
      .query<{ session_id: number }, [number]>(
        `SELECT sg.session_id FROM session_guests sg JOIN group_sessions s ON s.id = sg.session_id
         WHERE sg.person_id = ? AND sg.ended_at IS NULL AND s.closed_at IS NULL AND s.opened_at IS NOT NULL ORDER BY sg.id DESC LIMIT 1`,
      )
      .get(personId)?.session_id ?? null
  );
}

/**
 * For every guest of a session that has ended: the invitation is withdrawn if unused, the guest's
 * access ends, their sign-ins close. Idempotent; run on a timer and whenever a session is seen
 * ending. Returns how many guests it ended.
 */
export function endGuestsOfEndedSessions(hearth: Hearth): number {
  const rows = hearth.db
    .query<{ id: number; invitation_id: number; person_id: number | null; session_id: number; closed_at: number }, []>(
      `SELECT sg.id, sg.invitation_id, sg.person_id, sg.session_id, s.closed_at FROM session_guests sg JOIN group_sessions s ON s.id = sg.session_id
       WHERE sg.ended_at IS NULL AND s.closed_at IS NOT NULL`,
    )
    .all();
  const now = hearth.now();
  for (const r of rows) {
    hearth.db.transaction(() => {
      hearth.db.query("UPDATE invitations SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL").run(now, r.invitation_id);
      if (r.person_id !== null) {
        hearth.db.query("UPDATE people SET access_ends_at = ? WHERE id = ? AND role = 'guest' AND (access_ends_at IS NULL OR access_ends_at > ?)").run(now, r.person_id, now);
        endAllSessions(hearth, r.person_id);
      }
      hearth.db.query("UPDATE session_guests SET ended_at = ? WHERE id = ?").run(now, r.id);
      hearth.audit.append({ actor: "system", action: "session_guest.ended", subject: `group_session:${r.session_id}`, ownerId: r.person_id, outcome: "ok" });
    }).immediate();
  }
  return rows.length;
}

const sweepers = new WeakMap<Hearth, ReturnType<typeof setInterval>>();

/** Ends the guests of ended sessions every few seconds (once per appliance; the timer never keeps the process up). */
export function startGuestSweeper(hearth: Hearth, everyMs = 5000): void {
  if (sweepers.has(hearth)) return;
  const timer = setInterval(() => {
    try {
      endGuestsOfEndedSessions(hearth);
    } catch {
      // Database closed (shutdown) or busy: the next round tries again.
    }
  }, everyMs);
  timer.unref?.();
  sweepers.set(hearth, timer);
}
