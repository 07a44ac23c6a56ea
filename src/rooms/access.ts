import type { Hearth } from "../context.ts";
import type { Locale } from "../ui/i18n.ts";
import { pageFor } from "../ui/request.ts";
import { viewerOf } from "../identity/guard.ts";
import { displayName } from "../identity/people.ts";
import { groupRoleOf, type Role } from "../identity/policy.ts";
import type { GroupSession } from "../clinic/sessions.ts";
import type { RoomRole } from "./protocol.ts";
import { sessionGuestOf } from "../safety/guests.ts";

/**
 * The narrow door between rooms and identity. Rooms need three answers: who opened this
 * socket, may they attend this session, may they run it. Identity answers all three: its guard
 * has already read the session cookie of the upgrade request, and its policy knows each
 * person's part in a group (the clinic plugs group membership into it).
 */

/** A signed-in person, as identity describes them to a room. */
export interface RoomPerson {
  personId: number;
  /** Account role (identity's people.role). */
  role: Role;
  /** Shown to the others in the session. */
  displayName: string;
  locale: Locale;
}

export interface RoomAccess {
  /** Who sent this upgrade request; null when nobody is signed in. */
  authenticate(request: Request): Promise<RoomPerson | null>;
  mayJoin(person: RoomPerson, session: GroupSession): boolean;
  mayRunSession(person: RoomPerson, session: GroupSession): boolean;
}

/** The role a person has in a session's room, or null when they may not enter it. */
export function roomRole(access: RoomAccess, person: RoomPerson, session: GroupSession): RoomRole | null {
  if (access.mayRunSession(person, session)) return "clinician";
  return access.mayJoin(person, session) ? "member" : null;
}

/**
 * Identity's answers. The group's clinicians run its sessions; its members and guests attend.
 * An admin who is not in the group gets nothing: running the appliance is not a reason to
 * enter a therapy session.
 */
export function identityAccess(hearth: Hearth): RoomAccess {
  return {
    async authenticate(request) {
      const viewer = viewerOf(request);
      if (!viewer) return null;
      // Identity opens the sealed profile (and caches it); a locked vault means no name to show.
      const name = await displayName(hearth, viewer.id);
      return { personId: viewer.id, role: viewer.role, displayName: name ?? "", locale: pageFor(request).locale };
    },
    mayRunSession(person, session) {
      return person.role === "clinician" && groupRoleOf(hearth, person.personId, session.groupId) === "clinician";
    },
    mayJoin(person, session) {
      // Or a guest invited to this one session (an interpreter, a relative: src/safety/guests.ts).
      return groupRoleOf(hearth, person.personId, session.groupId) !== null || sessionGuestOf(hearth, person.personId, session.id) !== null;
    },
  };
}
