import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { HttpError } from "../ui/errors.ts";
import { pageFor } from "../ui/request.ts";
import type { Locale } from "../ui/i18n.ts";
import { isCarerOf, policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { activePasskeys } from "../identity/passkeys.ts";
import { displayName } from "../identity/people.ts";
import { portalStrings } from "./strings.ts";
import {
  RECOVERY,
  addVersion,
  careTeamRecipients,
  clinicIdentityOf,
  createClinicJournalKey,
  createEntry,
  createPasskeyJournalKey,
  entriesFor,
  journalKeyOf,
  keyWrapsOf,
  looksLikeAge,
  ownerOf,
  putKeyWrap,
  putWrap,
  removeWrap,
  sharedWith,
  versionsOf,
} from "./journals.ts";

/**
 * The journal's JSON API, called by the portal's browser code (web/entries/journal.ts). Bodies
 * carry only age ciphertexts (base64) and public recipients. A patient writes and shares their
 * own entries; a clinician of their care team reads the entries shared with them. Every read of
 * an entry is audited.
 */
const PATIENTS: RoutePolicy = { allow: ["patient"] };
const KEY_HOLDERS: RoutePolicy = { allow: ["patient", "clinician"] };
const CARERS: RoutePolicy = { allow: ["clinician"], item: { kind: "person", param: "patientId", relations: ["carer"] } };

const MAX_B64 = 2_000_000; // ~1.5 MB of ciphertext per entry version
const Blob64 = t.String({ minLength: 1, maxLength: MAX_B64, pattern: "^[A-Za-z0-9+/]+={0,2}$" });
const Wrap64 = t.String({ minLength: 1, maxLength: 4000, pattern: "^[A-Za-z0-9+/]+={0,2}$" });
const Recipient = t.String({ minLength: 10, maxLength: 200, pattern: "^age1[02-9ac-hj-np-z]+$" });
const CredentialId = t.String({ minLength: 1, maxLength: 1400, pattern: "^[A-Za-z0-9_-]+$" });
const EntryParams = t.Object({ id: t.Numeric({ minimum: 1 }) });

function bad(locale: Locale, status: 400 | 404 | 409, message: string): HttpError {
  return new HttpError(status, portalStrings(locale).checkTitle, message);
}

function age(locale: Locale, b64: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(b64, "base64"));
  if (!looksLikeAge(bytes)) throw bad(locale, 400, portalStrings(locale).badBlob);
  return bytes;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

export function journalApiRoutes(hearth: Hearth) {
  /** The patient's own entry, or a 404 that says nothing about anyone else's. */
  function ownEntry(request: Request, id: number): { viewerId: number; locale: Locale } {
    const viewer = requireViewer(request);
    const { locale } = pageFor(request);
    if (ownerOf(hearth, id) !== viewer.id) throw bad(locale, 404, portalStrings(locale).noEntry);
    return { viewerId: viewer.id, locale };
  }

  function audit(actor: number, action: string, subject: string, ownerId: number) {
    hearth.audit.append({ actor: `person:${actor}`, action, subject, ownerId, outcome: "ok" });
  }

  /** A wrap of the journal identity may name only one of the person's own live passkeys, or the recovery key. */
  function checkCredential(personId: number, locale: Locale, credentialId: string): void {
    if (credentialId === RECOVERY) return;
    if (!activePasskeys(hearth, personId).some((k) => k.credentialId === credentialId)) throw bad(locale, 400, portalStrings(locale).notYourPasskey);
  }

  return new Elysia({ name: "portal-journal-api" })
    .get(
      "/portal/journal/key",
      async ({ request, set }) => {
        const viewer = requireViewer(request);
        set.headers["cache-control"] = "no-store";
        const key = journalKeyOf(hearth, viewer.id);
        if (key?.protection === "clinic") {
          audit(viewer.id, "journal.key_opened", `person:${viewer.id}`, viewer.id);
          return { key, wraps: [], identity: await clinicIdentityOf(hearth, viewer.id) };
        }
        return { key, wraps: keyWrapsOf(hearth, viewer.id).map((w) => ({ credentialId: w.credentialId, wrapped: b64(w.wrapped) })) };
      },
      { detail: policy(KEY_HOLDERS) },
    )
    .post(
      "/portal/journal/key",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        for (const w of body.wraps) checkCredential(viewer.id, locale, w.credentialId);
        const wraps = body.wraps.map((w) => ({ credentialId: w.credentialId, wrapped: age(locale, w.wrapped) }));
        if (!createPasskeyJournalKey(hearth, viewer.id, body.recipient, wraps)) throw bad(locale, 409, portalStrings(locale).keyExists);
        audit(viewer.id, "journal.key_created", `person:${viewer.id}`, viewer.id);
        return { ok: true };
      },
      {
        body: t.Object({ recipient: Recipient, wraps: t.Array(t.Object({ credentialId: CredentialId, wrapped: Wrap64 }), { minItems: 1, maxItems: 2 }) }),
        detail: policy(KEY_HOLDERS),
      },
    )
    .post(
      "/portal/journal/key/clinic",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const key = await createClinicJournalKey(hearth, viewer.id);
        audit(viewer.id, "journal.key_created", `person:${viewer.id}`, viewer.id);
        return { key };
      },
      { detail: policy(KEY_HOLDERS) },
    )
    .post(
      "/portal/journal/key/wraps",
      ({ request, body }) => {
        // A new passkey (after recovery, or added later) gets the journal identity wrapped to it.
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        if (journalKeyOf(hearth, viewer.id)?.protection !== "passkey") throw bad(locale, 409, portalStrings(locale).noKey);
        checkCredential(viewer.id, locale, body.credentialId);
        putKeyWrap(hearth, viewer.id, body.credentialId, age(locale, body.wrapped));
        audit(viewer.id, "journal.key_wrapped", `person:${viewer.id}`, viewer.id);
        return { ok: true };
      },
      { body: t.Object({ credentialId: CredentialId, wrapped: Wrap64 }), detail: policy(KEY_HOLDERS) },
    )
    .get(
      "/portal/journal/care-team",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const team = careTeamRecipients(hearth, viewer.id);
        return { clinicians: await Promise.all(team.map(async (c) => ({ ...c, name: (await displayName(hearth, c.personId)) ?? "" }))) };
      },
      { detail: policy(PATIENTS) },
    )
    .get(
      "/portal/journal/entries",
      ({ request, set }) => {
        const viewer = requireViewer(request);
        set.headers["cache-control"] = "no-store";
        const entries = entriesFor(hearth, viewer.id, viewer.id);
        audit(viewer.id, "journal.listed", `person:${viewer.id}`, viewer.id);
        return {
          entries: entries.map((e) => ({
            id: e.id,
            version: e.version,
            ciphertext: b64(e.ciphertext),
            wrapped: b64(e.wrapped),
            createdAt: e.createdAt,
            updatedAt: e.updatedAt,
            sharedWith: sharedWith(hearth, e.id),
          })),
        };
      },
      { detail: policy(PATIENTS) },
    )
    .post(
      "/portal/journal/entries",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        if (!journalKeyOf(hearth, viewer.id)) throw bad(locale, 409, portalStrings(locale).noKey);
        const id = createEntry(hearth, viewer.id, age(locale, body.ciphertext), age(locale, body.wrapped));
        audit(viewer.id, "journal.created", `journal:${id}`, viewer.id);
        return { id };
      },
      { body: t.Object({ ciphertext: Blob64, wrapped: Wrap64 }), detail: policy(PATIENTS) },
    )
    .post(
      "/portal/journal/entries/:id/versions",
      ({ request, params, body }) => {
        const { viewerId, locale } = ownEntry(request, params.id);
        const version = addVersion(hearth, params.id, age(locale, body.ciphertext));
        audit(viewerId, "journal.edited", `journal:${params.id}`, viewerId);
        return { version };
      },
      { params: EntryParams, body: t.Object({ ciphertext: Blob64 }), detail: policy(PATIENTS) },
    )
    .get(
      "/portal/journal/entries/:id/versions",
      ({ request, params, set }) => {
        const { viewerId } = ownEntry(request, params.id);
        set.headers["cache-control"] = "no-store";
        audit(viewerId, "journal.versions_read", `journal:${params.id}`, viewerId);
        return { versions: versionsOf(hearth, params.id).map((v) => ({ version: v.version, ciphertext: b64(v.ciphertext), createdAt: v.createdAt })) };
      },
      { params: EntryParams, detail: policy(PATIENTS) },
    )
    .post(
      "/portal/journal/entries/:id/shares",
      ({ request, params, body }) => {
        const { viewerId, locale } = ownEntry(request, params.id);
        if (!isCarerOf(hearth, body.personId, viewerId) || !journalKeyOf(hearth, body.personId)) throw bad(locale, 400, portalStrings(locale).notCarer);
        putWrap(hearth, params.id, body.personId, age(locale, body.wrapped));
        audit(viewerId, "journal.shared", `journal:${params.id}`, viewerId);
        return { sharedAt: sharedWith(hearth, params.id).find((w) => w.personId === body.personId)!.sharedAt };
      },
      { params: EntryParams, body: t.Object({ personId: t.Integer({ minimum: 1 }), wrapped: Wrap64 }), detail: policy(PATIENTS) },
    )
    .post(
      "/portal/journal/entries/:id/unshare",
      ({ request, params, body }) => {
        const { viewerId } = ownEntry(request, params.id);
        // The owner's own wrap is never removed: that would lose the entry for good.
        if (body.personId !== viewerId) removeWrap(hearth, params.id, body.personId);
        audit(viewerId, "journal.unshared", `journal:${params.id}`, viewerId);
        return { ok: true };
      },
      { params: EntryParams, body: t.Object({ personId: t.Integer({ minimum: 1 }) }), detail: policy(PATIENTS) },
    )
    .get(
      "/portal/journal/shared/:patientId",
      ({ request, params, set }) => {
        const viewer = requireViewer(request);
        set.headers["cache-control"] = "no-store";
        const entries = entriesFor(hearth, params.patientId, viewer.id);
        for (const e of entries) audit(viewer.id, "journal.read", `journal:${e.id}`, params.patientId);
        return {
          entries: entries.map((e) => ({ id: e.id, version: e.version, ciphertext: b64(e.ciphertext), wrapped: b64(e.wrapped), sharedAt: e.sharedAt })),
        };
      },
      { params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), detail: policy(CARERS) },
    );
}
