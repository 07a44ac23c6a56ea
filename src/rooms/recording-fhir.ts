import { createHash } from "node:crypto";
import type { Hearth } from "../context.ts";
import { provideExportEntries, refTo, uuidFor, type FhirResource } from "../clinic/record/fhir.ts";
import type { ConsentTerms, StoredAnswer } from "./recording-record.ts";

/**
 * Recording consents in the record's FHIR export (issue 10): one R4 Consent per answer a patient
 * gave to a request to record a session. A yes is a permit, active while that request ran and
 * inactive once it ended or they withdrew; a no is a rejected deny; a withdrawal closes the permit.
 * The exact question they answered, in their language, travels as the sourceAttachment.
 */
interface AnswerRow {
  id: number;
  requestId: number;
  personId: number;
  answer: StoredAnswer;
  answeredAt: number;
  terms: Uint8Array;
  sessionId: number;
  groupId: number;
  endedAt: number | null;
  /** When this person later withdrew under the same request, if they did. */
  withdrawnAt: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const SCOPE = { system: "http://terminology.hl7.org/CodeSystem/consentscope", code: "patient-privacy", display: "Privacy Consent" };
const CATEGORY = { system: "http://loinc.org", code: "59284-0", display: "Patient Consent" };
const COLLECT = { system: "http://terminology.hl7.org/CodeSystem/consentaction", code: "collect", display: "Collect" };

function answersOf(hearth: Hearth, personId: number, groupIds: readonly number[] | null): AnswerRow[] {
  const rows = hearth.db
    .query<AnswerRow, [number]>(
      `SELECT a.id, a.request_id AS requestId, a.person_id AS personId, a.answer, a.answered_at AS answeredAt, a.terms,
              r.session_id AS sessionId, s.group_id AS groupId, r.ended_at AS endedAt,
              (SELECT min(w.answered_at) FROM recording_answers w
                WHERE w.request_id = a.request_id AND w.person_id = a.person_id AND w.answer = 'withdrawn' AND w.id > a.id) AS withdrawnAt
         FROM recording_answers a JOIN recording_requests r ON r.id = a.request_id JOIN group_sessions s ON s.id = r.session_id
        WHERE a.person_id = ? ORDER BY a.id`,
    )
    .all(personId);
  return groupIds === null ? rows : rows.filter((r) => groupIds.includes(r.groupId));
}

async function recordingConsentResource(hearth: Hearth, a: AnswerRow): Promise<FhirResource> {
  const terms = await hearth.vault.openJson<ConsentTerms>(a.terms);
  const end = a.answer === "yes" ? (a.withdrawnAt ?? a.endedAt) : a.answeredAt;
  const status = a.answer === "no" ? "rejected" : a.answer === "yes" && end === null ? "active" : "inactive";
  return {
    resourceType: "Consent",
    id: uuidFor("recording_answer", a.id),
    identifier: [{ system: "urn:hearth:recording-answer", value: String(a.id) }],
    status,
    scope: { coding: [SCOPE] },
    category: [{ coding: [CATEGORY] }],
    patient: refTo("person", a.personId),
    dateTime: iso(a.answeredAt),
    performer: [refTo("person", a.personId)],
    sourceAttachment: {
      contentType: "text/plain; charset=utf-8",
      language: terms.locale,
      data: Buffer.from(terms.text, "utf8").toString("base64"),
      hash: createHash("sha1").update(terms.text, "utf8").digest("base64"),
      title: `Recording of group session ${a.sessionId}`,
    },
    policyRule: { text: "Recorded only while every person present agrees; anyone may withdraw at any moment." },
    provision: {
      type: a.answer === "yes" ? "permit" : "deny",
      period: { start: iso(a.answeredAt), ...(end !== null ? { end: iso(end) } : {}) },
      action: [{ coding: [COLLECT] }],
    },
  };
}

/** Adds each exported patient's recording consents to the record's export; each patient's read is audited. */
export function provideRecordingConsentExport(hearth: Hearth): void {
  provideExportEntries(hearth, "recording-consents", async (scope, actorId) => {
    const wanted = scope.kind === "patient" ? [{ id: scope.patientId, groups: scope.groupIds.length ? scope.groupIds : null }] : scope.patientIds.map((id) => ({ id, groups: [scope.groupId] }));
    const out: FhirResource[] = [];
    for (const { id, groups } of wanted) {
      const answers = answersOf(hearth, id, groups);
      if (answers.length === 0) continue;
      for (const a of answers) out.push(await recordingConsentResource(hearth, a));
      hearth.audit.append({ actor: `person:${actorId}`, action: "recording.consent_exported", subject: `person:${id}`, ownerId: id, outcome: "ok" });
    }
    return out;
  });
}
