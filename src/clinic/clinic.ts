import type { Hearth } from "../context.ts";
import { provideGroupMembership, provideItemGroup } from "../identity/policy.ts";
import { groupOfMaterial } from "./materials/store.ts";
import { scheduleStrings } from "./schedule/strings.ts";
import { intakeStrings } from "./intake/strings.ts";
import { onInvitationAccepted, type Invitation } from "../identity/invitations.ts";
import { extendHome, extendNav } from "../identity/extensions.ts";
import { log } from "../log.ts";
import { addMember, groupMembership, partIn, sealLegacyNames, type GroupRole } from "./groups.ts";
import { homeSection } from "./home.ts";
import { clinicStrings } from "./strings.ts";

/**
 * What the clinic plugs into the rest of Hearth when it starts: group membership for identity's
 * policy, joining the group an accepted invitation names, the clinicians' "Groups" item, the
 * home page's groups, and sealing any group name stored before names were sealed.
 */
export async function startClinic(hearth: Hearth): Promise<void> {
  provideGroupMembership(hearth, groupMembership(hearth.db));
  onInvitationAccepted(hearth, (invitation, personId) => joinInvitedGroup(hearth, invitation, personId));
  provideItemGroup(hearth, "group", (id) => (hearth.db.query("SELECT 1 FROM groups WHERE id = ? AND archived_at IS NULL").get(id) ? id : null));
  provideItemGroup(hearth, "material", (id) => groupOfMaterial(hearth, id));
  extendNav(hearth, "clinic", (locale, role) => (role === "clinician" ? [{ href: "/groups", label: clinicStrings(locale).navGroups }] : []));
  extendNav(hearth, "clinic-calendar", (locale, role) =>
    role === "admin" ? [{ href: "/admin/clinic", label: scheduleStrings(locale).navClinic }] : [{ href: "/calendar", label: scheduleStrings(locale).navCalendar }],
  );
  extendNav(hearth, "clinic-intake", (locale, role) => (role === "clinician" ? [{ href: "/intake", label: intakeStrings(locale).navIntake }] : []));
  extendHome(hearth, "clinic", (_request, viewer, locale) => homeSection(hearth, viewer, locale));
  const seal = () => sealLegacyNames(hearth).catch((err) => log.error("group names could not be sealed", { kind: (err as Error).name }));
  hearth.vault.onUnlock(() => void seal());
  await seal();
}

const PART_FOR_ROLE: Partial<Record<Invitation["role"], GroupRole>> = { patient: "member", guest: "guest", clinician: "clinician" };

/**
 * Someone accepted an invitation bound to a group: they join it, in the part their account
 * gives them, as long as whoever invited them still leads that group (a clinician who stepped
 * down cannot still bring people in).
 */
export function joinInvitedGroup(hearth: Hearth, invitation: Invitation, personId: number): void {
  const part = PART_FOR_ROLE[invitation.role];
  if (invitation.groupId === null || !part) return;
  if (partIn(hearth.db, invitation.groupId, invitation.createdBy) !== "clinician") {
    hearth.audit.append({ actor: `person:${personId}`, action: "group.member_added", subject: `group:${invitation.groupId}`, ownerId: personId, outcome: "denied" });
    return;
  }
  addMember(hearth, personId, invitation.groupId, personId, part);
}
