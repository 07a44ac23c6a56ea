/** Test fixtures for the clinic's tests: people made through identity's own functions. */
import type { Hearth } from "../context.ts";
import { insertPerson, newWebauthnHandle, sealProfile, writeContacts } from "../identity/people.ts";
import type { Role } from "../identity/policy.ts";

export async function makePerson(hearth: Hearth, role: Role, displayName: string, email = ""): Promise<number> {
  const id = insertPerson(hearth, { role, sealedProfile: await sealProfile(hearth, { displayName, pronouns: "", language: "" }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null });
  if (email) await writeContacts(hearth, id, id, { reminderContact: email, emergencyContact: "", usualLocation: "" });
  return id;
}
