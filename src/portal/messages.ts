import type { Hearth } from "../context.ts";
import { isCarerOf, type Role } from "../identity/policy.ts";
import { defineNotice } from "../notify/notices.ts";
import { notify } from "../notify/notify.ts";
import { screenText } from "../safety/screen.ts";
import { messageNoticeText } from "./message-strings.ts";

/**
 * Secure messaging between a patient and their care team, or one clinician of it. Subjects and
 * bodies are sealed by the vault; read state is kept per person. Who may see a thread is decided
 * here from identity's policy (isCarerOf): the patient; the clinician it is addressed to while
 * they care for the patient; or, addressed to the care team, every clinician who cares for them.
 * A thread always has exactly one patient, so a patient can never write to another patient.
 */
export const MESSAGE_NOTICE = "portal.message";
defineNotice(MESSAGE_NOTICE, messageNoticeText);

export const BODY_MAX = 10_000;
export const SUBJECT_MAX = 120;

export interface Thread {
  id: number;
  patientId: number;
  /** null: the patient's whole care team. */
  clinicianId: number | null;
  createdBy: number;
  createdAt: number;
  lastMessageAt: number;
  closedAt: number | null;
}

export interface ThreadSummary extends Thread {
  unread: number;
}

export interface Message {
  id: number;
  authorId: number;
  body: string;
  createdAt: number;
  /** An attached document (in the patient's space), if any. */
  documentId: number | null;
}

interface ThreadRow {
  id: number;
  patient_id: number;
  clinician_id: number | null;
  created_by: number;
  created_at: number;
  last_message_at: number;
  closed_at: number | null;
}

const THREAD_COLUMNS = "id, patient_id, clinician_id, created_by, created_at, last_message_at, closed_at";

function toThread(r: ThreadRow): Thread {
  return {
    id: r.id,
    patientId: r.patient_id,
    clinicianId: r.clinician_id,
    createdBy: r.created_by,
    createdAt: r.created_at,
    lastMessageAt: r.last_message_at,
    closedAt: r.closed_at,
  };
}

export function threadById(hearth: Hearth, id: number): Thread | null {
  const r = hearth.db.query<ThreadRow, [number]>(`SELECT ${THREAD_COLUMNS} FROM message_threads WHERE id = ?`).get(id);
  return r ? toThread(r) : null;
}

/** May this person read and write in this thread? */
export function takesPart(hearth: Hearth, viewer: { id: number; role: Role }, thread: Thread): boolean {
  if (viewer.role === "patient") return thread.patientId === viewer.id;
  if (viewer.role !== "clinician" || !isCarerOf(hearth, viewer.id, thread.patientId)) return false;
  return thread.clinicianId === null || thread.clinicianId === viewer.id;
}

/** The active clinicians who care for this patient (the care team). */
export function careTeamOf(hearth: Hearth, patientId: number): number[] {
  return hearth.db
    .query<{ id: number }, []>("SELECT id FROM people WHERE role = 'clinician' AND status = 'active' ORDER BY id")
    .all()
    .map((r) => r.id)
    .filter((id) => isCarerOf(hearth, id, patientId));
}

/** The active patients this clinician cares for (whom they may write to). */
export function patientsOf(hearth: Hearth, clinicianId: number): number[] {
  return hearth.db
    .query<{ id: number }, []>("SELECT id FROM people WHERE role = 'patient' AND status = 'active' ORDER BY id")
    .all()
    .map((r) => r.id)
    .filter((id) => isCarerOf(hearth, clinicianId, id));
}

/** Everyone in the thread but the author: who is told about a new message. */
function othersIn(hearth: Hearth, thread: Thread, authorId: number): number[] {
  const people = [thread.patientId, ...(thread.clinicianId !== null ? [thread.clinicianId] : careTeamOf(hearth, thread.patientId))];
  return people.filter((id) => id !== authorId && (id === thread.patientId || isCarerOf(hearth, id, thread.patientId)));
}

export async function startThread(
  hearth: Hearth,
  input: { patientId: number; clinicianId: number | null; authorId: number; subject: string; body: string },
): Promise<{ threadId: number; crisis: boolean }> {
  const [subject, body] = await Promise.all([hearth.vault.seal(input.subject), hearth.vault.seal(input.body)]);
  const now = hearth.now();
  const threadId = hearth.db
    .query<{ id: number }, [number, number | null, Uint8Array, number, number, number]>(
      "INSERT INTO message_threads (patient_id, clinician_id, subject, created_by, created_at, last_message_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .get(input.patientId, input.clinicianId, subject, input.authorId, now, now)!.id;
  hearth.audit.append({ actor: `person:${input.authorId}`, action: "message.thread_started", subject: `thread:${threadId}`, ownerId: input.patientId, outcome: "ok" });
  const crisis = await addSealedMessage(hearth, threadById(hearth, threadId)!, input.authorId, input.body, body);
  return { threadId, crisis };
}

/** A reply; true when a patient's words matched the crisis lexicon (the care team was alerted). */
export async function addMessage(hearth: Hearth, thread: Thread, authorId: number, text: string, documentId: number | null = null): Promise<boolean> {
  return addSealedMessage(hearth, thread, authorId, text, await hearth.vault.seal(text), documentId);
}

async function addSealedMessage(hearth: Hearth, thread: Thread, authorId: number, text: string, sealed: Uint8Array, documentId: number | null = null): Promise<boolean> {
  const now = hearth.now();
  hearth.db.transaction(() => {
    const { id } = hearth.db
      .query<{ id: number }, [number, number, Uint8Array, number, number | null]>("INSERT INTO messages (thread_id, author_id, body, created_at, document_id) VALUES (?, ?, ?, ?, ?) RETURNING id")
      .get(thread.id, authorId, sealed, now, documentId)!;
    hearth.db.query("UPDATE message_threads SET last_message_at = ? WHERE id = ?").run(now, thread.id);
    markRead(hearth, thread.id, authorId, id);
  })();
  hearth.audit.append({ actor: `person:${authorId}`, action: "message.sent", subject: `thread:${thread.id}`, ownerId: thread.patientId, outcome: "ok" });
  for (const person of othersIn(hearth, thread, authorId)) {
    // One notification (and at most one content-free e-mail) per person until they read the thread.
    notify(hearth, person, { kind: MESSAGE_NOTICE, link: `/portal/messages/${thread.id}`, once: `message:${thread.id}:${person}:${lastReadOf(hearth, thread.id, person)}` });
  }
  return authorId === thread.patientId ? screenText(hearth, { authorId, text, source: "message", link: `/portal/messages/${thread.id}` }) : false;
}

export function closeThread(hearth: Hearth, thread: Thread, by: number): void {
  hearth.db.query("UPDATE message_threads SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL").run(hearth.now(), by, thread.id);
  hearth.audit.append({ actor: `person:${by}`, action: "message.thread_closed", subject: `thread:${thread.id}`, ownerId: thread.patientId, outcome: "ok" });
}

function lastReadOf(hearth: Hearth, threadId: number, personId: number): number {
  return hearth.db.query<{ last_read_id: number }, [number, number]>("SELECT last_read_id FROM message_reads WHERE thread_id = ? AND person_id = ?").get(threadId, personId)?.last_read_id ?? 0;
}

export function markRead(hearth: Hearth, threadId: number, personId: number, upTo: number): void {
  hearth.db
    .query(
      `INSERT INTO message_reads (thread_id, person_id, last_read_id) VALUES (?, ?, ?)
       ON CONFLICT (thread_id, person_id) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)`,
    )
    .run(threadId, personId, upTo);
}

/** The threads this person takes part in, newest first, with their unread counts. */
export function threadsOf(hearth: Hearth, viewer: { id: number; role: Role }): ThreadSummary[] {
  const rows =
    viewer.role === "patient"
      ? hearth.db.query<ThreadRow, [number]>(`SELECT ${THREAD_COLUMNS} FROM message_threads WHERE patient_id = ? ORDER BY last_message_at DESC, id DESC`).all(viewer.id)
      : viewer.role === "clinician"
        ? hearth.db
            .query<ThreadRow, [number]>(`SELECT ${THREAD_COLUMNS} FROM message_threads WHERE clinician_id IS NULL OR clinician_id = ? ORDER BY last_message_at DESC, id DESC`)
            .all(viewer.id)
        : [];
  const unread = hearth.db.query<{ n: number }, [number, number, number]>(
    `SELECT count(*) AS n FROM messages m WHERE m.thread_id = ?1 AND m.author_id <> ?2
       AND m.id > COALESCE((SELECT last_read_id FROM message_reads WHERE thread_id = ?1 AND person_id = ?3), 0)`,
  );
  return rows
    .map(toThread)
    .filter((t) => takesPart(hearth, viewer, t))
    .map((t) => ({ ...t, unread: unread.get(t.id, viewer.id, viewer.id)!.n }));
}

export function unreadTotal(hearth: Hearth, viewer: { id: number; role: Role }): number {
  return threadsOf(hearth, viewer).reduce((n, t) => n + t.unread, 0);
}

export async function subjectOf(hearth: Hearth, threadId: number): Promise<string> {
  const row = hearth.db.query<{ subject: Uint8Array }, [number]>("SELECT subject FROM message_threads WHERE id = ?").get(threadId)!;
  return hearth.vault.openText(row.subject);
}

/** The thread's messages, opened (the caller audits the read). */
export async function messagesOf(hearth: Hearth, threadId: number): Promise<Message[]> {
  const rows = hearth.db
    .query<{ id: number; author_id: number; body: Uint8Array; created_at: number; document_id: number | null }, [number]>(
      "SELECT id, author_id, body, created_at, document_id FROM messages WHERE thread_id = ? ORDER BY id",
    )
    .all(threadId);
  return Promise.all(rows.map(async (r) => ({ id: r.id, authorId: r.author_id, body: await hearth.vault.openText(r.body), createdAt: r.created_at, documentId: r.document_id })));
}
