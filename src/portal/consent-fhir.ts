import { createHash } from "node:crypto";
import type { Hearth } from "../context.ts";
import { provideExportEntries, refTo, uuidFor, type FhirResource } from "../clinic/record/fhir.ts";
import type { Kind } from "./consent.ts";

/**
 * The patient's consent forms in the record's FHIR export: one R4 Consent per signature, active
 * while it stands, inactive once withdrawn or replaced by a signature of a newer version. The
 * exact text signed travels as the sourceAttachment; its SHA-256 (what the passkey signed) is an
 * identifier, because Attachment.hash is defined as SHA-1 and carries that instead.
 */
export interface SignedConsent {
  signatureId: number;
  patientId: number;
  kind: Kind;
  title: string;
  version: number;
  body: string;
  sha256: string;
  publishedAt: number;
  signedAt: number;
  withdrawnAt: number | null;
  /** A later signature of the same form exists: this one was replaced. */
  superseded: boolean;
}

const SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope";
const LOINC = "http://loinc.org";

/** Treatment forms consent to care; the others are about what happens to the patient's information. */
const SCOPE_OF: Record<Kind, { code: string; display: string }> = {
  treatment: { code: "treatment", display: "Treatment" },
  telehealth: { code: "treatment", display: "Treatment" },
  "group-confidentiality": { code: "patient-privacy", display: "Privacy Consent" },
  recording: { code: "patient-privacy", display: "Privacy Consent" },
  release: { code: "patient-privacy", display: "Privacy Consent" },
};

const CATEGORY_OF = (kind: Kind) => (kind === "release" ? { code: "64292-6", display: "Release of information consent" } : { code: "59284-0", display: "Patient Consent" });

const iso = (ms: number) => new Date(ms).toISOString();

export function signedConsentsOf(hearth: Hearth, patientId: number): SignedConsent[] {
  return hearth.db
    .query<Omit<SignedConsent, "superseded"> & { superseded: number }, [number]>(
      `SELECT s.id AS signatureId, s.patient_id AS patientId, f.kind, f.title, v.version, v.body, v.sha256, v.published_at AS publishedAt,
              s.signed_at AS signedAt, s.withdrawn_at AS withdrawnAt,
              EXISTS (SELECT 1 FROM consent_signatures l JOIN consent_versions lv ON lv.id = l.version_id
                       WHERE l.patient_id = s.patient_id AND lv.form_id = v.form_id AND l.id > s.id) AS superseded
         FROM consent_signatures s JOIN consent_versions v ON v.id = s.version_id JOIN consent_forms f ON f.id = v.form_id
        WHERE s.patient_id = ? ORDER BY s.id`,
    )
    .all(patientId)
    .map((r) => ({ ...r, superseded: r.superseded === 1 }));
}

export function consentResource(c: SignedConsent): FhirResource {
  const category = CATEGORY_OF(c.kind);
  const ended = c.withdrawnAt ?? null;
  return {
    resourceType: "Consent",
    id: uuidFor("consent_signature", c.signatureId),
    identifier: [{ system: "urn:hearth:consent-signature", value: String(c.signatureId) }, { system: "urn:hearth:sha256", value: c.sha256 }],
    status: c.withdrawnAt !== null || c.superseded ? "inactive" : "active",
    scope: { coding: [{ system: SCOPE, ...SCOPE_OF[c.kind] }] },
    category: [{ coding: [{ system: LOINC, ...category }] }],
    patient: refTo("person", c.patientId),
    dateTime: iso(c.signedAt),
    performer: [refTo("person", c.patientId)],
    sourceAttachment: {
      contentType: "text/markdown; charset=utf-8",
      data: Buffer.from(c.body, "utf8").toString("base64"),
      hash: createHash("sha1").update(c.body, "utf8").digest("base64"),
      title: `${c.title} v${c.version}`,
      creation: iso(c.publishedAt),
    },
    policyRule: { text: `${c.title}, version ${c.version}, SHA-256 ${c.sha256}` },
    verification: [{ verified: true, verifiedWith: refTo("person", c.patientId), verificationDate: iso(c.signedAt) }],
    provision: { type: "permit", period: { start: iso(c.signedAt), ...(ended !== null ? { end: iso(ended) } : {}) } },
  };
}

/** Adds each exported patient's consent forms to the record's export; each patient's read is audited. */
export function provideConsentExport(hearth: Hearth): void {
  provideExportEntries(hearth, "consent-forms", (scope, actorId) => {
    const patients = scope.kind === "patient" ? [scope.patientId] : scope.patientIds;
    const out: FhirResource[] = [];
    for (const id of patients) {
      const signed = signedConsentsOf(hearth, id);
      if (signed.length === 0) continue;
      out.push(...signed.map(consentResource));
      hearth.audit.append({ actor: `person:${actorId}`, action: "consent.exported", subject: `person:${id}`, ownerId: id, outcome: "ok" });
    }
    return out;
  });
}
