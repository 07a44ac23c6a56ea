import { Elysia, t } from "elysia";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, unsafeRaw, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { isCarerOf, policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendNav } from "../identity/extensions.ts";
import { passkeyById } from "../identity/passkeys.ts";
import { AssertionSchema } from "../identity/schemas.ts";
import { json } from "../identity/respond.ts";
import { PASSKEY_SCRIPTS } from "../identity/views.ts";
import { signingOptions, verifySigning, verifyStoredSignature } from "../clinic/record/signing.ts";
import { consentStrings } from "./consent-strings.ts";
import { signedConsentPdf } from "./consent-pdf.ts";
import { provideConsentExport } from "./consent-fhir.ts";
import { formById, forms, recordSignature, renderMarkdown, signatureById, statusOf, versionById, withdraw, type ConsentStatus, type Form, type Signature } from "./consent.ts";

/**
 * Consent forms for patients (read, sign with a passkey, download the signed PDF, withdraw) and
 * for the clinicians who care for them (where each form stands, "pending re-consent", and
 * whether each stored signature still verifies against the stored public key).
 */
const PATIENTS: RoutePolicy = { allow: ["patient"] };
const PEOPLE: RoutePolicy = { allow: ["patient", "clinician"] };
const CARERS: RoutePolicy = { allow: ["clinician"], item: { kind: "person", param: "patientId", relations: ["carer"] } };
const FormParams = t.Object({ formId: t.Numeric({ minimum: 1 }) });

export function statusText(locale: Locale, form: Form, st: { status: ConsentStatus; signature: Signature | null }): string {
  const s = consentStrings(locale);
  switch (st.status) {
    case "signed":
      return fill(s.statusSigned, { n: st.signature!.version });
    case "pending":
      return fill(s.statusPending, { n: st.signature!.version, latest: form.latest.version });
    case "withdrawn":
      return fill(s.statusWithdrawn, { when: formatDateTime(locale, st.signature!.withdrawnAt!) });
    default:
      return s.statusUnsigned;
  }
}

export function consentRoutes(hearth: Hearth) {
  provideConsentExport(hearth);
  extendNav(hearth, "portal-consent", (locale, role) =>
    role === "patient" ? [{ href: "/portal/consent", label: consentStrings(locale).navConsent }] : role === "admin" ? [{ href: "/admin/consent-forms", label: consentStrings(locale).navConsent }] : [],
  );

  function formOr404(locale: Locale, id: number): Form {
    const form = formById(hearth, id);
    if (!form) throw new HttpError(404, consentStrings(locale).checkTitle, consentStrings(locale).noForm);
    return form;
  }

  const page = (request: Request, title: string, main: Html, opts: { status?: Html; scripts?: string[] } = {}) =>
    htmlResponse(layout(pageFor(request), title, main, { ...opts, styles: ["portal.css"] }), 200, { "cache-control": "no-store" });

  return new Elysia({ name: "portal-consent" })
    .get(
      "/portal/consent",
      ({ request }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const all = forms(hearth);
        const rows = all.map((f) => html`<tr><td><a href="/portal/consent/forms/${f.id}">${f.title}</a></td><td>${f.latest.version}</td><td>${statusText(locale, f, statusOf(hearth, viewer.id, f))}</td></tr>`);
        const main = html`<h1>${s.title}</h1><p>${s.introPatient}</p>
${all.length ? html`<div class="table-wrap"><table><caption class="visually-hidden">${s.title}</caption><thead><tr><th scope="col">${s.colForm}</th><th scope="col">${s.colVersion}</th><th scope="col">${s.colStatus}</th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p>${s.none}</p>`}`;
        return page(request, s.title, main);
      },
      { detail: policy(PATIENTS) },
    )
    .get(
      "/portal/consent/forms/:formId",
      ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const form = formOr404(locale, params.formId);
        const st = statusOf(hearth, viewer.id, form);
        const signedLatest = st.status === "signed";
        // A new version outranks any earlier "done" note in the address.
        const notice =
          st.status === "pending"
            ? html`<p class="notice notice-warning">${s.askAgain}</p>`
            : query.done === "signed" && signedLatest
              ? html`<p class="notice notice-ok">${s.signed}</p>`
              : query.done === "withdrawn"
                ? html`<p class="notice notice-ok">${s.withdrawn}</p>`
                : undefined;
        const sign = signedLatest
          ? ""
          : html`<form data-passkey="sign" data-options="/portal/consent/forms/${form.id}/sign/options" data-verify="/portal/consent/forms/${form.id}/sign/verify">
<p>${fill(s.signIntro, { hash: form.latest.sha256 })}</p>
<div data-passkey-status role="status" tabindex="-1" hidden></div>
<input type="hidden" name="versionId" value="${form.latest.id}">
<button type="submit">${s.sign}</button></form>`;
        const after =
          st.signature && st.status !== "unsigned"
            ? html`<p><a class="button secondary" href="/portal/consent/signatures/${st.signature.id}/pdf" download>${s.downloadPdf}</a></p>
${st.status === "withdrawn" ? "" : html`<form method="post" action="/portal/consent/forms/${form.id}/withdraw"><button type="submit" class="secondary">${s.withdraw}</button></form>`}`
            : "";
        // The form's text is the admin's Markdown, rendered by marked and cut down by sanitize-html to plain structure.
        const main = html`<p><a href="/portal/consent">${s.back}</a></p><h1>${form.title}</h1>
<p class="muted">${fill(s.versionOf, { n: form.latest.version, when: formatDateTime(locale, form.latest.publishedAt) })} · ${statusText(locale, form, st)}</p>
<article class="card consent-text">${unsafeRaw(renderMarkdown(form.latest.body))}</article>
${sign}${after}`;
        return page(request, form.title, main, { status: notice, scripts: PASSKEY_SCRIPTS });
      },
      { params: FormParams, query: t.Object({ done: t.Optional(t.String()) }), detail: policy(PATIENTS) },
    )
    .post(
      "/portal/consent/forms/:formId/sign/options",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const form = formOr404(locale, params.formId);
        if (Number(body.versionId) !== form.latest.id) return json({ error: s.notLatest }, 409);
        if (statusOf(hearth, viewer.id, form).status === "signed") return json({ error: s.alreadySigned }, 409);
        const options = await signingOptions(hearth, viewer, `consent:${form.latest.id}`, form.latest.sha256, { versionId: String(form.latest.id) });
        return json({ options });
      },
      { params: FormParams, body: t.Object({ versionId: t.Optional(t.String({ maxLength: 12 })) }, { additionalProperties: true }), detail: policy(PATIENTS) },
    )
    .post(
      "/portal/consent/forms/:formId/sign/verify",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const form = formOr404(locale, params.formId);
        const result = await verifySigning(hearth, viewer, `consent:${form.latest.id}`, body.response as AuthenticationResponseJSON);
        if (!result) return json({ error: s.signFailed }, 401);
        const version = versionById(hearth, Number(result.data.versionId));
        if (!version || version.id !== form.latest.id) return json({ error: s.notLatest }, 409);
        if (recordSignature(hearth, viewer.id, version, result.signature) === null) return json({ error: s.signFailed }, 409);
        return json({ redirect: `/portal/consent/forms/${form.id}?done=signed` });
      },
      { params: FormParams, body: t.Object({ response: AssertionSchema }, { additionalProperties: true }), detail: policy(PATIENTS) },
    )
    .post(
      "/portal/consent/forms/:formId/withdraw",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const form = formOr404(locale, params.formId);
        const st = statusOf(hearth, viewer.id, form);
        if (st.signature) withdraw(hearth, viewer.id, st.signature.id);
        return new Response(null, { status: 303, headers: { location: `/portal/consent/forms/${form.id}?done=withdrawn` } });
      },
      { params: FormParams, detail: policy(PATIENTS) },
    )
    .get(
      "/portal/consent/signatures/:id/pdf",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const sig = signatureById(hearth, params.id);
        const mine = sig && (sig.patientId === viewer.id || (viewer.role === "clinician" && isCarerOf(hearth, viewer.id, sig.patientId)));
        if (!sig || !mine) throw new HttpError(404, s.checkTitle, s.noForm);
        const version = versionById(hearth, sig.versionId)!;
        const form = formById(hearth, version.formId)!;
        const person = getPerson(hearth, sig.patientId)!;
        auditNameShown(hearth, viewer.id, person);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "consent.pdf_downloaded", subject: `consent_signature:${sig.id}`, ownerId: sig.patientId, outcome: "ok" });
        const pdf = await signedConsentPdf(locale, {
          title: form.title,
          version,
          signature: sig,
          signerName: (await displayName(hearth, sig.patientId)) ?? "",
          credentialId: passkeyById(hearth, sig.passkeyId)?.credentialId ?? "",
        });
        return new Response(pdf as Uint8Array<ArrayBuffer>, {
          headers: {
            "content-type": "application/pdf",
            "content-disposition": `attachment; filename="consent-${form.id}-v${version.version}.pdf"`,
            "x-content-type-options": "nosniff",
            "cache-control": "private, no-store",
          },
        });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy(PEOPLE) },
    )
    .get(
      "/portal/patients/:patientId/consent",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const person = getPerson(hearth, params.patientId)!;
        auditNameShown(hearth, viewer.id, person);
        const name = (await displayName(hearth, params.patientId)) ?? "";
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "consent.status_read", subject: `person:${params.patientId}`, ownerId: params.patientId, outcome: "ok" });
        const rows: Html[] = [];
        for (const f of forms(hearth)) {
          const st = statusOf(hearth, params.patientId, f);
          const sig = st.signature;
          const check = sig ? ((await verifyStoredSignature(hearth, sig, versionById(hearth, sig.versionId)!.sha256)) ? s.verified : s.notVerified) : "";
          rows.push(html`<tr data-status="${st.status}"><td>${f.title}</td><td>${f.latest.version}</td><td>${statusText(locale, f, st)}${check ? html`<br><span class="muted">${check}</span>` : ""}${sig ? html` · <a href="/portal/consent/signatures/${sig.id}/pdf" download>PDF</a>` : ""}</td></tr>`);
        }
        const title = fill(s.titleOf, { name });
        const main = html`<h1>${title}</h1><p>${s.introClinician}</p>
${rows.length ? html`<div class="table-wrap"><table><caption class="visually-hidden">${title}</caption><thead><tr><th scope="col">${s.colForm}</th><th scope="col">${s.colVersion}</th><th scope="col">${s.colStatus}</th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p>${s.none}</p>`}`;
        return page(request, title, main);
      },
      { params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), detail: policy(CARERS) },
    );
}
