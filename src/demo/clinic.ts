import type { Hearth } from "../context.ts";
import type { Role } from "../identity/policy.ts";
import { insertPerson, newWebauthnHandle, sealProfile } from "../identity/people.ts";
import { createInvitation } from "../identity/invitations.ts";
import { addMember, createGroup } from "../clinic/groups.ts";
import { isLocale, type Locale } from "../ui/i18n.ts";

/**
 * The demo clinic's people and groups, made through the real service functions (sealed
 * profiles, sealed group names, audited membership), so every page shows them as it would show a
 * real clinic's. Names are invented.
 */
export interface DemoPerson {
  id: number;
  role: Role;
  name: string;
  /** A one-time link that registers this person's passkey (a re-invitation to their account). */
  signInUrl: string;
}

export interface DemoGroup {
  id: number;
  name: string;
  clinicianId: number;
  memberIds: number[];
}

export interface DemoClinic {
  admin: DemoPerson;
  clinicians: DemoPerson[];
  patients: DemoPerson[];
  groups: DemoGroup[];
}

// Spanish speakers read Spanish once the locale lands (issue 15), English until then.
const ES = (isLocale("es") ? "es" : "en") as Locale;
const CLINICIANS: [string, Locale][] = [["Dr. Camille Roy", "fr"], ["Sam Okafor, LCSW", "en"]];
const PATIENTS: [string, Locale][] = [
  ["Alex Martin", "en"], ["Béatrice Leclerc", "fr"], ["Carlos Ruiz", ES], ["Dana Whitfield", "en"],
  ["Élodie Gagnon", "fr"], ["Farah Haddad", "en"], ["Gabriel Torres", ES], ["Hana Kim", "en"],
  ["Isaac Cohen", "en"], ["Julie Tremblay", "fr"], ["Kofi Mensah", "en"], ["Lucía Fernández", ES],
];
const GROUPS = [
  { name: "Tuesday DBT skills", description: "Skills practice every Tuesday evening: mindfulness, distress tolerance, emotion regulation." },
  { name: "Evening IOP", description: "Intensive outpatient program, three evenings a week for eight weeks." },
  { name: "Anxiety circle", description: "A gentle weekly group for living with worry and panic." },
];

async function person(hearth: Hearth, role: Role, name: string, language: Locale, invitedBy: number | null): Promise<{ id: number; role: Role; name: string }> {
  const id = insertPerson(hearth, {
    role,
    sealedProfile: await sealProfile(hearth, { displayName: name, pronouns: "", language }),
    webauthnHandle: newWebauthnHandle(),
    invitedBy,
    accessEndsAt: null,
  });
  return { id, role, name };
}

export async function createDemoClinic(hearth: Hearth): Promise<DemoClinic> {
  const a = await person(hearth, "admin", "Morgan Admin", "en", null);
  const link = (p: { id: number; role: Role }) => createInvitation(hearth, { createdBy: a.id, role: p.role, personId: p.id, ttlDays: 7 }).url;
  const admin = { ...a, signInUrl: link(a) };
  const clinicians: DemoPerson[] = [];
  for (const [name, lang] of CLINICIANS) {
    const c = await person(hearth, "clinician", name, lang, a.id);
    clinicians.push({ ...c, signInUrl: link(c) });
  }
  const patients: DemoPerson[] = [];
  for (const [name, lang] of PATIENTS) {
    const p = await person(hearth, "patient", name, lang, clinicians[0]!.id);
    patients.push({ ...p, signInUrl: link(p) });
  }
  const groups: DemoGroup[] = [];
  for (const [i, g] of GROUPS.entries()) {
    const clinicianId = clinicians[i % clinicians.length]!.id;
    const id = await createGroup(hearth, { name: g.name, description: g.description, createdBy: clinicianId });
    // Four members each; the last group also has the other clinician as co-facilitator.
    const memberIds = patients.slice(i * 4, i * 4 + 4).map((p) => p.id);
    for (const m of memberIds) addMember(hearth, clinicianId, id, m, "member");
    if (i === GROUPS.length - 1) addMember(hearth, clinicianId, id, clinicians[(i + 1) % clinicians.length]!.id, "clinician");
    groups.push({ id, name: g.name, clinicianId, memberIds });
  }
  return { admin, clinicians, patients, groups };
}
