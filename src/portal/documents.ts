import { join } from "node:path";
import type { Hearth } from "../context.ts";
import { isCarerOf, type Role } from "../identity/policy.ts";
import { ALLOWED_TYPES, openSealedStream, sealFileStream } from "../clinic/materials/store.ts";

/**
 * Documents in a patient's space, under the same rules as the clinic's materials and through the
 * same code (clinic/materials/store.ts sealFileStream / openSealedStream): streamed, never whole in
 * memory, size-limited, typed from content, sealed at rest. Who sees one is the uploader's choice:
 * the patient, their care team (clinicians who care for them, by identity's isCarerOf), or both.
 */
export const DOCUMENT_MAX_BYTES = 50 * 1024 * 1024;
export const TITLE_MAX = 120;

export type Audience = "both" | "patient" | "team";

export interface PortalDocument {
  id: number;
  patientId: number;
  title: string;
  mime: string;
  bytes: number;
  audience: Audience;
  uploadedBy: number;
  uploadedAt: number;
}

interface Row {
  id: number;
  patient_id: number;
  title: Uint8Array;
  mime: string;
  bytes: number;
  patient_sees: number;
  team_sees: number;
  uploaded_by: number;
  uploaded_at: number;
}

const dirOf = (hearth: Hearth) => join(hearth.config.dataDir, "documents");

/** May this person see this document? The uploader always; the patient or a carer as the uploader chose. */
export function maySee(hearth: Hearth, viewer: { id: number; role: Role }, d: { patientId: number; uploadedBy: number; patientSees: boolean; teamSees: boolean }): boolean {
  if (viewer.role === "patient") return viewer.id === d.patientId && (d.patientSees || d.uploadedBy === viewer.id);
  if (viewer.role !== "clinician" || !isCarerOf(hearth, viewer.id, d.patientId)) return false;
  return d.teamSees || d.uploadedBy === viewer.id;
}

export async function addDocument(
  hearth: Hearth,
  input: { patientId: number; uploadedBy: number; title: string; audience: Audience; source: ReadableStream<Uint8Array> },
): Promise<number> {
  const file = await sealFileStream(hearth, dirOf(hearth), input.source, DOCUMENT_MAX_BYTES);
  const title = await hearth.vault.seal(input.title);
  const patientSees = input.audience !== "team" ? 1 : 0;
  const teamSees = input.audience !== "patient" ? 1 : 0;
  const id = hearth.db
    .query<{ id: number }, [number, Uint8Array, Uint8Array, string, string, number, number, number, number, number]>(
      `INSERT INTO portal_documents (patient_id, title, file_key, blob, mime, bytes, patient_sees, team_sees, uploaded_by, uploaded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(input.patientId, title, file.sealedKey, file.blob, file.mime, file.bytes, patientSees, teamSees, input.uploadedBy, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${input.uploadedBy}`, action: "document.uploaded", subject: `document:${id}`, ownerId: input.patientId, outcome: "ok" });
  return id;
}

function rule(r: Row) {
  return { patientId: r.patient_id, uploadedBy: r.uploaded_by, patientSees: r.patient_sees === 1, teamSees: r.team_sees === 1 };
}

async function toDocument(hearth: Hearth, r: Row): Promise<PortalDocument> {
  const audience: Audience = r.patient_sees && r.team_sees ? "both" : r.patient_sees ? "patient" : "team";
  return { id: r.id, patientId: r.patient_id, title: await hearth.vault.openText(r.title), mime: r.mime, bytes: r.bytes, audience, uploadedBy: r.uploaded_by, uploadedAt: r.uploaded_at };
}

const COLUMNS = "id, patient_id, title, mime, bytes, patient_sees, team_sees, uploaded_by, uploaded_at";

/** The documents of one patient this viewer may see, newest first (titles opened, the listing audited). */
export async function documentsOf(hearth: Hearth, viewer: { id: number; role: Role }, patientId: number): Promise<PortalDocument[]> {
  const rows = hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM portal_documents WHERE patient_id = ? ORDER BY id DESC`).all(patientId).filter((r) => maySee(hearth, viewer, rule(r)));
  hearth.audit.append({ actor: `person:${viewer.id}`, action: "document.listed", subject: `person:${patientId}`, ownerId: patientId, outcome: "ok" });
  return Promise.all(rows.map((r) => toDocument(hearth, r)));
}

/** A document as a stream for download, audited; null when it does not exist or is not for this viewer. */
export async function openDocument(hearth: Hearth, viewer: { id: number; role: Role }, id: number): Promise<{ stream: ReadableStream<Uint8Array>; doc: PortalDocument; filename: string } | null> {
  const r = hearth.db.query<Row & { file_key: Uint8Array; blob: string }, [number]>(`SELECT ${COLUMNS}, file_key, blob FROM portal_documents WHERE id = ?`).get(id);
  if (!r || !maySee(hearth, viewer, rule(r))) return null;
  const stream = await openSealedStream(hearth, dirOf(hearth), r.blob, r.file_key);
  const doc = await toDocument(hearth, r);
  hearth.audit.append({ actor: `person:${viewer.id}`, action: "document.downloaded", subject: `document:${id}`, ownerId: r.patient_id, outcome: "ok" });
  return { stream, doc, filename: `${doc.title}.${ALLOWED_TYPES[doc.mime] ?? "bin"}` };
}
