import { createHash } from "node:crypto";
import type { Hearth } from "../../context.ts";
import { instrument, type InstrumentId, type MeasureLanguage } from "./instruments.ts";

/**
 * FHIR R4 resources for the clinic's record, as plain JSON, and the Bundle (type collection) that
 * carries them. Other capabilities add their own resources to an export through
 * `provideExportEntries` (vitals' Observations, recording consents) using the same builders:
 * every resource gets a stable `urn:uuid` from its kind and id, so references between entries
 * made by different capabilities agree.
 */
export type FhirResource = { resourceType: string; id: string } & Record<string, unknown>;
export interface Reference {
  reference: string;
  display?: string;
}

const LOINC = "http://loinc.org";

/** A stable UUID (v5-shaped, from SHA-1) for one Hearth item, so every export names it the same way. */
export function uuidFor(kind: string, id: number | string): string {
  const h = createHash("sha1").update(`hearth:${kind}:${id}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export function refTo(kind: string, id: number | string, display?: string): Reference {
  return display ? { reference: `urn:uuid:${uuidFor(kind, id)}`, display } : { reference: `urn:uuid:${uuidFor(kind, id)}` };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const IDENTIFIER_SYSTEM = "urn:hearth:person";

export function patientResource(p: { id: number; name: string; language?: string }): FhirResource {
  return {
    resourceType: "Patient",
    id: uuidFor("person", p.id),
    identifier: [{ system: IDENTIFIER_SYSTEM, value: String(p.id) }],
    active: true,
    name: [{ text: p.name }],
    ...(p.language ? { communication: [{ language: { coding: [{ system: "urn:ietf:bcp:47", code: p.language }] } }] } : {}),
  };
}

export function practitionerResource(p: { id: number; name: string }): FhirResource {
  return { resourceType: "Practitioner", id: uuidFor("person", p.id), identifier: [{ system: IDENTIFIER_SYSTEM, value: String(p.id) }], active: true, name: [{ text: p.name }] };
}

export function groupResource(g: { id: number; name: string; memberIds: readonly number[]; clinicianId?: number }): FhirResource {
  return {
    resourceType: "Group",
    id: uuidFor("group", g.id),
    identifier: [{ system: "urn:hearth:group", value: String(g.id) }],
    type: "person",
    actual: true,
    name: g.name,
    quantity: g.memberIds.length,
    ...(g.clinicianId ? { managingEntity: refTo("person", g.clinicianId) } : {}),
    member: g.memberIds.map((id) => ({ entity: refTo("person", id) })),
  };
}

/** A session a member attended, held by video: class VR (virtual). */
export function encounterResource(e: { sessionId: number; patientId: number; groupId: number; clinicianId: number | null; start: number; end: number | null }): FhirResource {
  return {
    resourceType: "Encounter",
    id: uuidFor("encounter", `${e.sessionId}:${e.patientId}`),
    status: e.end === null ? "in-progress" : "finished",
    class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR", display: "virtual" },
    serviceType: { coding: [{ system: "http://www.ama-assn.org/go/cpt", code: "90853", display: "Group psychotherapy" }] },
    subject: refTo("person", e.patientId),
    ...(e.clinicianId ? { participant: [{ individual: refTo("person", e.clinicianId) }] } : {}),
    period: { start: iso(e.start), ...(e.end !== null ? { end: iso(e.end) } : {}) },
    identifier: [{ system: "urn:hearth:group-session", value: String(e.sessionId) }],
    // The group this session belongs to, as the FHIR Group of the same export.
    extension: [{ url: "urn:hearth:fhir:group", valueReference: refTo("group", e.groupId) }],
  };
}

export interface ResponseForFhir {
  id: number;
  instrument: InstrumentId;
  personId: number;
  answeredAt: number;
  answers: readonly number[];
  difficulty: number | null;
  language: MeasureLanguage;
  total: number;
}

/** The filled-in questionnaire: LOINC panel 44249-1 (PHQ-9) or 69737-5 (GAD-7), each item's LOINC as its linkId. */
export function questionnaireResponseResource(r: ResponseForFhir): FhirResource {
  const inst = instrument(r.instrument);
  const w = inst.wording[r.language];
  const answerItems = inst.loinc.items.map((code, i) => ({ linkId: code, text: w.items[i], answer: [{ valueInteger: r.answers[i]! }] }));
  return {
    resourceType: "QuestionnaireResponse",
    id: uuidFor("measure_response", r.id),
    identifier: { system: "urn:hearth:measure-response", value: String(r.id) },
    questionnaire: `${LOINC}/q/${inst.loinc.panel}`,
    status: "completed",
    subject: refTo("person", r.personId),
    authored: iso(r.answeredAt),
    author: refTo("person", r.personId),
    item: [
      ...answerItems,
      ...(r.difficulty !== null ? [{ linkId: inst.loinc.difficulty, text: w.difficulty, answer: [{ valueString: w.difficultyOptions[r.difficulty] }] }] : []),
      { linkId: inst.loinc.total, text: `${inst.short} total score`, answer: [{ valueInteger: r.total }] },
    ],
  };
}

/** The total score (44261-6 / 70274-6) with each item as its own Observation in hasMember. */
export function measureObservations(r: ResponseForFhir): FhirResource[] {
  const inst = instrument(r.instrument);
  const base = {
    status: "final",
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "survey", display: "Survey" }] }],
    subject: refTo("person", r.personId),
    effectiveDateTime: iso(r.answeredAt),
    derivedFrom: [refTo("measure_response", r.id)],
  };
  const items: FhirResource[] = inst.loinc.items.map((code, i) => ({
    resourceType: "Observation",
    id: uuidFor("measure_item", `${r.id}:${i + 1}`),
    ...base,
    code: { coding: [{ system: LOINC, code }], text: inst.wording.en.items[i] },
    valueInteger: r.answers[i]!,
  }));
  const total: FhirResource = {
    resourceType: "Observation",
    id: uuidFor("measure_total", r.id),
    ...base,
    code: { coding: [{ system: LOINC, code: inst.loinc.total, display: `${inst.short} total score` }], text: `${inst.short} total score` },
    valueInteger: r.total,
    interpretation: [{ text: inst.bands.find((b) => r.total >= b.min && r.total <= b.max)!.key }],
    hasMember: items.map((o) => ({ reference: `urn:uuid:${o.id}` })),
  };
  return [total, ...items];
}

/** A signed note released for export, as text, with who signed it and the SHA-256 it was signed over. */
export function documentReferenceResource(d: { noteId: number; patientId: number; authorId: number; signedAt: number; sessionId: number; text: string; contentHash: string }): FhirResource {
  return {
    resourceType: "DocumentReference",
    id: uuidFor("clinical_note", d.noteId),
    identifier: [{ system: "urn:hearth:clinical-note", value: String(d.noteId) }, { system: "urn:hearth:sha256", value: d.contentHash }],
    status: "current",
    docStatus: "final",
    type: { coding: [{ system: LOINC, code: "11506-3", display: "Progress note" }] },
    subject: refTo("person", d.patientId),
    date: iso(d.signedAt),
    author: [refTo("person", d.authorId)],
    authenticator: refTo("person", d.authorId),
    content: [{ attachment: { contentType: "text/plain; charset=utf-8", data: Buffer.from(d.text, "utf8").toString("base64"), creation: iso(d.signedAt) } }],
    context: { encounter: [refTo("encounter", `${d.sessionId}:${d.patientId}`)] },
  };
}

export function bundle(resources: readonly FhirResource[], now: number): FhirResource {
  // A JSON round trip drops undefined members: FHIR forbids null and empty values.
  const clean = JSON.parse(JSON.stringify(resources)) as FhirResource[];
  return {
    resourceType: "Bundle",
    id: uuidFor("bundle", `${now}:${clean.length}`),
    type: "collection",
    timestamp: iso(now),
    entry: clean.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: r })),
  };
}

/** What the export is about: one patient, or one group. */
export type ExportScope = { kind: "patient"; patientId: number; groupIds: readonly number[] } | { kind: "group"; groupId: number; patientIds: readonly number[] };

export type ExportEntries = (scope: ExportScope, actorId: number) => Promise<FhirResource[]> | FhirResource[];

const contributors = new WeakMap<Hearth, Map<string, ExportEntries>>();

/** Another capability's resources for an export (registering again under the same key replaces). */
export function provideExportEntries(hearth: Hearth, key: string, entries: ExportEntries): void {
  let m = contributors.get(hearth);
  if (!m) contributors.set(hearth, (m = new Map()));
  m.set(key, entries);
}

export async function contributedEntries(hearth: Hearth, scope: ExportScope, actorId: number): Promise<FhirResource[]> {
  const out: FhirResource[] = [];
  for (const source of contributors.get(hearth)?.values() ?? []) out.push(...(await source(scope, actorId)));
  return out;
}
