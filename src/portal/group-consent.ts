import type { Hearth } from "../context.ts";
import type { GroupSession } from "../clinic/sessions.ts";
import { groupRoleOf } from "../identity/policy.ts";
import { formById, statusOf, type Form } from "./consent.ts";

/**
 * Which consent forms a group requires before its members join a session, and which of them a
 * member still has to sign: a form counts only signed in its latest version and not withdrawn,
 * so a new version or a withdrawal closes the door again until the member signs.
 */
export function requiredFormIds(hearth: Hearth, groupId: number): number[] {
  return hearth.db.query<{ form_id: number }, [number]>("SELECT form_id FROM group_consent_requirements WHERE group_id = ? ORDER BY form_id").all(groupId).map((r) => r.form_id);
}

/** Replaces the group's required forms with these (unknown form ids are ignored). */
export function setRequiredForms(hearth: Hearth, by: number, groupId: number, formIds: readonly number[]): void {
  const known = [...new Set(formIds)].filter((id) => formById(hearth, id) !== null);
  hearth.db.transaction(() => {
    hearth.db.query("DELETE FROM group_consent_requirements WHERE group_id = ?").run(groupId);
    const insert = hearth.db.query("INSERT INTO group_consent_requirements (group_id, form_id, set_by, set_at) VALUES (?, ?, ?, ?)");
    for (const id of known) insert.run(groupId, id, by, hearth.now());
  })();
  hearth.audit.append({ actor: `person:${by}`, action: "consent.group_requirements_set", subject: `group:${groupId}`, outcome: "ok" });
}

/**
 * The forms this person must still sign before knocking on this session's door. Only the group's
 * patient members are asked: its clinicians run the room, and a guest has no portal to sign in.
 */
export function formsToSign(hearth: Hearth, session: GroupSession, personId: number): Form[] {
  if (groupRoleOf(hearth, personId, session.groupId) !== "member") return [];
  const out: Form[] = [];
  for (const id of requiredFormIds(hearth, session.groupId)) {
    const form = formById(hearth, id);
    if (form && statusOf(hearth, personId, form).status !== "signed") out.push(form);
  }
  return out;
}
