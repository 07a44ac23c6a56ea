import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Hearth } from "../context.ts";

/**
 * Erasure requests. A patient asks; an admin decides, because the clinic may have to keep
 * records by law. "Erased" removes what the patient made in the portal for themself: their
 * journal (and its keys), goals and check-ins, their worksheet answers and the documents they
 * uploaded (files included). Messages and signed consents are part of the clinical record and
 * stay; the page says so. Every step is audited.
 */
export interface ErasureRequest {
  id: number;
  patientId: number;
  requestedAt: number;
  decidedAt: number | null;
  outcome: "erased" | "kept" | null;
  reason: string | null;
}

interface Row {
  id: number;
  patient_id: number;
  requested_at: number;
  decided_at: number | null;
  outcome: "erased" | "kept" | null;
  reason: string | null;
}

const toRequest = (r: Row): ErasureRequest => ({ id: r.id, patientId: r.patient_id, requestedAt: r.requested_at, decidedAt: r.decided_at, outcome: r.outcome, reason: r.reason });
const COLUMNS = "id, patient_id, requested_at, decided_at, outcome, reason";

/** A new request, unless one is already waiting (then that one). */
export function requestErasure(hearth: Hearth, patientId: number): number {
  const open = hearth.db.query<{ id: number }, [number]>("SELECT id FROM erasure_requests WHERE patient_id = ? AND decided_at IS NULL").get(patientId);
  if (open) return open.id;
  const id = hearth.db.query<{ id: number }, [number, number]>("INSERT INTO erasure_requests (patient_id, requested_at) VALUES (?, ?) RETURNING id").get(patientId, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${patientId}`, action: "erasure.requested", subject: `erasure:${id}`, ownerId: patientId, outcome: "ok" });
  return id;
}

export function requestsOf(hearth: Hearth, patientId: number): ErasureRequest[] {
  return hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM erasure_requests WHERE patient_id = ? ORDER BY id DESC`).all(patientId).map(toRequest);
}

export function openRequests(hearth: Hearth): ErasureRequest[] {
  return hearth.db.query<Row, []>(`SELECT ${COLUMNS} FROM erasure_requests WHERE decided_at IS NULL ORDER BY id`).all().map(toRequest);
}

export function requestById(hearth: Hearth, id: number): ErasureRequest | null {
  const r = hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM erasure_requests WHERE id = ?`).get(id);
  return r ? toRequest(r) : null;
}

/** The admin's decision; "erased" removes the patient's own portal data in one transaction, then the document files. */
export function decide(hearth: Hearth, adminId: number, request: ErasureRequest, outcome: "erased" | "kept", reason: string): boolean {
  const db = hearth.db;
  const blobs: string[] = [];
  const done = db.transaction(() => {
    const changed = db.query("UPDATE erasure_requests SET decided_at = ?, decided_by = ?, outcome = ?, reason = ? WHERE id = ? AND decided_at IS NULL").run(hearth.now(), adminId, outcome, reason, request.id).changes;
    if (!changed || outcome === "kept") return changed > 0;
    const p = request.patientId;
    const entries = "SELECT id FROM journal_entries WHERE owner_id = ?1";
    db.query(`DELETE FROM journal_versions WHERE entry_id IN (${entries})`).run(p);
    db.query(`DELETE FROM journal_wraps WHERE entry_id IN (${entries})`).run(p);
    db.query("DELETE FROM journal_entries WHERE owner_id = ?").run(p);
    db.query("DELETE FROM journal_key_wraps WHERE person_id = ?").run(p);
    db.query("DELETE FROM journal_keys WHERE person_id = ?").run(p);
    db.query("DELETE FROM goal_checkins WHERE goal_id IN (SELECT id FROM goals WHERE patient_id = ?)").run(p);
    db.query("DELETE FROM goals WHERE patient_id = ?").run(p);
    db.query("UPDATE worksheet_assignments SET answers = NULL, status = 'assigned', submitted_at = NULL WHERE patient_id = ?").run(p);
    // What they opened in the library, if the clinic recorded it (what was recommended stays: the clinicians' record).
    db.query("DELETE FROM library_reads WHERE patient_id = ?").run(p);
    // A message that carried one of them keeps its words (the file's title), not the file.
    db.query("UPDATE messages SET document_id = NULL WHERE document_id IN (SELECT id FROM portal_documents WHERE patient_id = ?1 AND uploaded_by = ?1)").run(p);
    for (const r of db.query<{ blob: string }, [number, number]>("SELECT blob FROM portal_documents WHERE patient_id = ? AND uploaded_by = ?").all(p, p)) blobs.push(r.blob);
    db.query("DELETE FROM portal_documents WHERE patient_id = ? AND uploaded_by = ?").run(p, p);
    return true;
  })();
  if (!done) return false;
  for (const b of blobs) rmSync(join(hearth.config.dataDir, "documents", b), { force: true });
  hearth.audit.append({ actor: `person:${adminId}`, action: outcome === "erased" ? "erasure.done" : "erasure.refused", subject: `erasure:${request.id}`, ownerId: request.patientId, outcome: "ok" });
  return true;
}
