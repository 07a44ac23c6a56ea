import { createHash } from "node:crypto";
import type { Hearth } from "../context.ts";
import type { StoredSignature } from "../clinic/record/signing.ts";

/**
 * Consent forms: the admin writes each form in Markdown and publishes versions; a patient signs
 * the latest version with a passkey assertion over the SHA-256 of its exact text (the signing
 * ceremony is clinic/record/signing.ts, shared with signed notes). A patient who signed an older
 * version only is "pending re-consent" until they sign the new one; a withdrawal is recorded and
 * kept, never deleted.
 */
export const KINDS = ["treatment", "telehealth", "group-confidentiality", "recording", "release"] as const;
export type Kind = (typeof KINDS)[number];
export const BODY_MAX = 50_000;
export const TITLE_MAX = 120;

export type ConsentStatus = "signed" | "pending" | "unsigned" | "withdrawn";

export interface Version {
  id: number;
  formId: number;
  version: number;
  body: string;
  sha256: string;
  publishedAt: number;
}

export interface Form {
  id: number;
  kind: Kind;
  title: string;
  latest: Version;
}

export interface Signature extends StoredSignature {
  id: number;
  versionId: number;
  version: number;
  signedAt: number;
  withdrawnAt: number | null;
}

export const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** Markdown to HTML a page may show: rendered by marked, then only plain structure kept. */
export function renderMarkdown(text: string): string {
  // Loaded on first use, not with every server at start (require keeps this synchronous).
  const { marked } = require("marked") as typeof import("marked");
  const sanitizeHtml = require("sanitize-html") as typeof import("sanitize-html");
  const raw = marked.parse(text, { async: false, gfm: true }) as string;
  return sanitizeHtml(raw, {
    allowedTags: ["h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "blockquote", "br", "hr", "a", "code", "pre", "table", "thead", "tbody", "tr", "th", "td"],
    allowedAttributes: { a: ["href"] },
    allowedSchemes: ["https", "mailto", "tel"],
  });
}

function versionRow(r: { id: number; form_id: number; version: number; body: string; sha256: string; published_at: number }): Version {
  return { id: r.id, formId: r.form_id, version: r.version, body: r.body, sha256: r.sha256, publishedAt: r.published_at };
}

export function createForm(hearth: Hearth, by: number, kind: Kind, title: string, body: string): number {
  const now = hearth.now();
  const id = hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [string, string, number, number]>("INSERT INTO consent_forms (kind, title, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id")
      .get(kind, title, by, now)!.id;
    hearth.db.query("INSERT INTO consent_versions (form_id, version, body, sha256, published_by, published_at) VALUES (?, 1, ?, ?, ?, ?)").run(id, body, sha256Hex(body), by, now);
    return id;
  })();
  hearth.audit.append({ actor: `person:${by}`, action: "consent.form_created", subject: `consent_form:${id}`, outcome: "ok" });
  return id;
}

/** A new version: everyone who signed an older one is asked again. */
export function publishVersion(hearth: Hearth, by: number, formId: number, body: string): number {
  const v = hearth.db.transaction(() => {
    const { v } = hearth.db.query<{ v: number }, [number]>("SELECT COALESCE(MAX(version), 0) + 1 AS v FROM consent_versions WHERE form_id = ?").get(formId)!;
    hearth.db.query("INSERT INTO consent_versions (form_id, version, body, sha256, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?)").run(formId, v, body, sha256Hex(body), by, hearth.now());
    return v;
  })();
  hearth.audit.append({ actor: `person:${by}`, action: "consent.version_published", subject: `consent_form:${formId}`, outcome: "ok" });
  return v;
}

export function forms(hearth: Hearth): Form[] {
  return hearth.db
    .query<{ id: number; kind: Kind; title: string }, []>("SELECT id, kind, title FROM consent_forms ORDER BY id")
    .all()
    .map((f) => ({ id: f.id, kind: f.kind, title: f.title, latest: latestVersion(hearth, f.id)! }));
}

export function formById(hearth: Hearth, id: number): Form | null {
  const f = hearth.db.query<{ id: number; kind: Kind; title: string }, [number]>("SELECT id, kind, title FROM consent_forms WHERE id = ?").get(id);
  return f ? { id: f.id, kind: f.kind, title: f.title, latest: latestVersion(hearth, f.id)! } : null;
}

export function latestVersion(hearth: Hearth, formId: number): Version | null {
  const r = hearth.db
    .query<{ id: number; form_id: number; version: number; body: string; sha256: string; published_at: number }, [number]>(
      "SELECT id, form_id, version, body, sha256, published_at FROM consent_versions WHERE form_id = ? ORDER BY version DESC LIMIT 1",
    )
    .get(formId);
  return r ? versionRow(r) : null;
}

export function versionById(hearth: Hearth, id: number): Version | null {
  const r = hearth.db
    .query<{ id: number; form_id: number; version: number; body: string; sha256: string; published_at: number }, [number]>(
      "SELECT id, form_id, version, body, sha256, published_at FROM consent_versions WHERE id = ?",
    )
    .get(id);
  return r ? versionRow(r) : null;
}

export function recordSignature(hearth: Hearth, patientId: number, version: Version, sig: StoredSignature): number | null {
  // The text hashes to what was signed, or nothing is recorded.
  if (sig.contentHash !== version.sha256 || sha256Hex(version.body) !== version.sha256) return null;
  const id = hearth.db
    .query<{ id: number }, [number, number, number, number, string, string, string, string, string]>(
      `INSERT INTO consent_signatures (version_id, patient_id, passkey_id, signed_at, content_hash, challenge, client_data_json, authenticator_data, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .get(version.id, patientId, sig.passkeyId, hearth.now(), sig.contentHash, sig.challenge, sig.clientDataJSON, sig.authenticatorData, sig.signature)!.id;
  hearth.audit.append({ actor: `person:${patientId}`, action: "consent.signed", subject: `consent_version:${version.id}`, ownerId: patientId, outcome: "ok" });
  return id;
}

/** The patient's latest signature of any version of this form (withdrawn or not). */
export function lastSignature(hearth: Hearth, patientId: number, formId: number): Signature | null {
  const r = hearth.db
    .query<Signature, [number, number]>(
      `SELECT s.id, s.version_id AS versionId, v.version, s.passkey_id AS passkeyId, s.patient_id AS signedBy, s.signed_at AS signedAt, s.content_hash AS contentHash,
              s.challenge, s.client_data_json AS clientDataJSON, s.authenticator_data AS authenticatorData, s.signature, s.withdrawn_at AS withdrawnAt
         FROM consent_signatures s JOIN consent_versions v ON v.id = s.version_id
        WHERE s.patient_id = ? AND v.form_id = ? ORDER BY s.id DESC LIMIT 1`,
    )
    .get(patientId, formId);
  return r ?? null;
}

export function signatureById(hearth: Hearth, id: number): (Signature & { patientId: number }) | null {
  const r = hearth.db
    .query<Signature & { patientId: number }, [number]>(
      `SELECT s.id, s.version_id AS versionId, v.version, s.passkey_id AS passkeyId, s.patient_id AS signedBy, s.patient_id AS patientId, s.signed_at AS signedAt,
              s.content_hash AS contentHash, s.challenge, s.client_data_json AS clientDataJSON, s.authenticator_data AS authenticatorData, s.signature, s.withdrawn_at AS withdrawnAt
         FROM consent_signatures s JOIN consent_versions v ON v.id = s.version_id WHERE s.id = ?`,
    )
    .get(id);
  return r ?? null;
}

export function statusOf(hearth: Hearth, patientId: number, form: Form): { status: ConsentStatus; signature: Signature | null } {
  const sig = lastSignature(hearth, patientId, form.id);
  if (!sig) return { status: "unsigned", signature: null };
  if (sig.withdrawnAt !== null) return { status: "withdrawn", signature: sig };
  return { status: sig.versionId === form.latest.id ? "signed" : "pending", signature: sig };
}

export function withdraw(hearth: Hearth, patientId: number, signatureId: number): boolean {
  const done = hearth.db.query("UPDATE consent_signatures SET withdrawn_at = ? WHERE id = ? AND patient_id = ? AND withdrawn_at IS NULL").run(hearth.now(), signatureId, patientId).changes === 1;
  if (done) hearth.audit.append({ actor: `person:${patientId}`, action: "consent.withdrawn", subject: `consent_signature:${signatureId}`, ownerId: patientId, outcome: "ok" });
  return done;
}
