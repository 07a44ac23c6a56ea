import type { Hearth } from "../../context.ts";
import { displayName, readProfileLanguage } from "../../identity/people.ts";
import { membersOf, readGroup } from "../groups.ts";
import { findSession } from "../sessions.ts";
import { heldSessions, sessionPresence } from "./attendance.ts";
import { historyOf } from "./measures.ts";
import { addendaOf, readNote, releasedNotesOf, TEMPLATE_FIELDS } from "./notes.ts";
import {
  bundle, contributedEntries, documentReferenceResource, encounterResource, groupResource, measureObservations, patientResource,
  practitionerResource, questionnaireResponseResource, type ExportScope, type FhirResource,
} from "./fhir.ts";

/**
 * Builds the FHIR export of one patient (all their groups, or those given) or of one group, from
 * the record as it is: every opening of sealed data goes through the same audited reads as the
 * pages, and the export itself is audited once.
 */
class Entries {
  readonly #byId = new Map<string, FhirResource>();
  add(...rs: FhirResource[]): void {
    for (const r of rs) if (!this.#byId.has(`${r.resourceType}/${r.id}`)) this.#byId.set(`${r.resourceType}/${r.id}`, r);
  }
  all(): FhirResource[] {
    return [...this.#byId.values()];
  }
}

async function addPatient(hearth: Hearth, out: Entries, actorId: number, patientId: number, groupIds: readonly number[]): Promise<void> {
  out.add(patientResource({ id: patientId, name: (await displayName(hearth, patientId)) ?? `#${patientId}`, language: (await readProfileLanguage(hearth, patientId)) ?? undefined }));
  for (const groupId of groupIds) {
    for (const s of heldSessions(hearth.db, groupId)) {
      const p = sessionPresence(hearth.db, s.id, hearth.now()).get(patientId);
      if (!p) continue;
      const opener = findSession(hearth.db, s.id)?.openedBy ?? null;
      out.add(encounterResource({ sessionId: s.id, patientId, groupId, clinicianId: opener, start: p.from, end: s.closedAt === null ? null : p.to }));
    }
  }
  for (const r of await historyOf(hearth, actorId, patientId, { groupIds })) out.add(questionnaireResponseResource(r), ...measureObservations(r));
  for (const meta of releasedNotesOf(hearth, patientId)) {
    if (!groupIds.includes(meta.groupId) || !meta.contentHash) continue;
    const note = (await readNote(hearth, actorId, meta.id, { audited: false }))!;
    const addenda = await addendaOf(hearth, meta.id);
    const text = [
      ...TEMPLATE_FIELDS[note.template].map((f) => `${f.toUpperCase()}\n${note.fields[f] ?? ""}`),
      ...addenda.map((a) => `ADDENDUM ${new Date(a.createdAt).toISOString()}\n${a.text}`),
    ].join("\n\n");
    out.add(documentReferenceResource({ noteId: note.id, patientId, authorId: note.signedBy!, signedAt: note.signedAt!, sessionId: note.sessionId, text, contentHash: meta.contentHash }));
  }
}

async function addClinicians(hearth: Hearth, out: Entries, groupId: number): Promise<number[]> {
  const ids = membersOf(hearth.db, groupId).filter((m) => m.role === "clinician").map((m) => m.personId);
  for (const id of ids) out.add(practitionerResource({ id, name: (await displayName(hearth, id)) ?? `#${id}` }));
  return ids;
}

/** One patient: their groups appear with them as the only member (other members are not theirs to export). */
export async function exportPatient(hearth: Hearth, actorId: number, patientId: number, groupIds: readonly number[]): Promise<FhirResource> {
  const out = new Entries();
  for (const groupId of groupIds) {
    const group = await readGroup(hearth, actorId, groupId);
    const clinicians = await addClinicians(hearth, out, groupId);
    if (group) out.add(groupResource({ id: groupId, name: group.name, memberIds: [patientId], clinicianId: clinicians[0] }));
  }
  await addPatient(hearth, out, actorId, patientId, groupIds);
  const scope: ExportScope = { kind: "patient", patientId, groupIds };
  out.add(...(await contributedEntries(hearth, scope, actorId)));
  hearth.audit.append({ actor: `person:${actorId}`, action: "record.exported", subject: `person:${patientId}`, ownerId: patientId, outcome: "ok" });
  return bundle(out.all(), hearth.now());
}

/** One group: the group, its clinicians, and each member's record in this group. */
export async function exportGroup(hearth: Hearth, actorId: number, groupId: number): Promise<FhirResource> {
  const out = new Entries();
  const group = await readGroup(hearth, actorId, groupId);
  const clinicians = await addClinicians(hearth, out, groupId);
  const patientIds = membersOf(hearth.db, groupId).filter((m) => m.role === "member").map((m) => m.personId);
  if (group) out.add(groupResource({ id: groupId, name: group.name, memberIds: patientIds, clinicianId: clinicians[0] }));
  for (const id of patientIds) await addPatient(hearth, out, actorId, id, [groupId]);
  out.add(...(await contributedEntries(hearth, { kind: "group", groupId, patientIds }, actorId)));
  hearth.audit.append({ actor: `person:${actorId}`, action: "record.exported", subject: `group:${groupId}`, outcome: "ok" });
  return bundle(out.all(), hearth.now());
}
