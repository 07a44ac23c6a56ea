import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { policy, type Role, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendNav } from "../identity/extensions.ts";
import { MaterialError } from "../clinic/materials/store.ts";
import { documentStrings } from "./document-strings.ts";
import { DOCUMENT_MAX_BYTES, TITLE_MAX, addDocument, documentsOf, openDocument, type Audience, type PortalDocument } from "./documents.ts";
import { patientsOf } from "./messages.ts";

/**
 * Documents pages. A patient's space is reached by the patient themself or a clinician who cares
 * for them (the `person` rule, self or carer); each document then shows only to whom its uploader
 * chose (documents.ts maySee). Uploads are the request body itself, streamed (never parsed or
 * buffered), with a progress bar (web/entries/upload.ts); downloads are attachments with
 * nosniff and a sandboxing CSP, so nothing uploaded is ever rendered as a page.
 */
const PEOPLE: RoutePolicy = { allow: ["patient", "clinician"] };
const SPACE: RoutePolicy = { allow: ["patient", "clinician"], item: { kind: "person", param: "patientId", relations: ["self", "carer"] } };
const MB = DOCUMENT_MAX_BYTES / (1024 * 1024);
const AUDIENCES: Audience[] = ["both", "patient", "team"];

function refusal(locale: Locale, err: MaterialError): HttpError {
  const s = documentStrings(locale);
  if (err.field === "title") return new HttpError(400, s.checkTitle, fill(s.errTitle, { n: TITLE_MAX }));
  if (err.reason === "too-large") return new HttpError(413, s.checkTitle, fill(s.errTooLarge, { mb: MB }));
  return new HttpError(400, s.checkTitle, err.reason === "empty" ? s.errEmpty : s.errType);
}

function sizeLabel(locale: Locale, bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 1 ? `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(mb)} MB` : `${new Intl.NumberFormat(locale).format(Math.ceil(bytes / 1024))} kB`;
}

function audienceLabel(locale: Locale, role: Role, a: Audience): string {
  const s = documentStrings(locale);
  if (role === "patient") return { both: s.audienceBothPatient, patient: s.audiencePatientPatient, team: s.audienceTeam }[a];
  return { both: s.audienceBoth, patient: s.audiencePatient, team: s.audienceTeam }[a];
}

function documentsTable(locale: Locale, role: Role, docs: PortalDocument[]): Html {
  const s = documentStrings(locale);
  if (!docs.length) return html`<p>${s.none}</p>`;
  return html`<div class="table-wrap"><table><caption class="visually-hidden">${s.title}</caption>
<thead><tr><th scope="col">${s.colTitle}</th><th scope="col">${s.colSize}</th><th scope="col">${s.colWho}</th><th scope="col">${s.colWhen}</th></tr></thead>
<tbody>${docs.map(
    (d) => html`<tr><td><a href="/portal/documents/${d.id}" aria-label="${fill(s.download, { title: d.title })}" download>${d.title}</a></td><td>${sizeLabel(locale, d.bytes)}</td><td>${audienceLabel(locale, role, d.audience)}</td><td>${formatDateTime(locale, d.uploadedAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

function uploadForm(locale: Locale, role: Role, patientId: number): Html {
  const s = documentStrings(locale);
  return html`<section class="card" aria-labelledby="doc-upload-title"><h2 id="doc-upload-title">${s.uploadTitle}</h2><p>${fill(s.uploadIntro, { mb: MB })}</p>
<form id="document-upload" data-upload-action="/portal/patients/${patientId}/documents" data-upload-header-title="x-document-title" data-upload-header-audience="x-document-audience" data-max-bytes="${DOCUMENT_MAX_BYTES}" data-too-large-text="${fill(s.errTooLarge, { mb: MB })}" data-progress-text="${s.uploading}" data-done-text="${s.uploaded}" data-failed-text="${s.uploadFailed}">
<label for="doc-file">${s.fieldFile}</label><input id="doc-file" name="file" type="file" required>
<label for="doc-title">${s.fieldTitle}</label><input id="doc-title" name="title" type="text" maxlength="${TITLE_MAX}" required>
<label for="doc-audience">${s.fieldAudience}</label><select id="doc-audience" name="audience">${AUDIENCES.map((a) => html`<option value="${a}">${audienceLabel(locale, role, a)}</option>`)}</select>
<progress id="document-progress" max="100" value="0" hidden aria-label="${s.upload}"></progress><p id="document-status" role="status" aria-live="polite"></p>
<div class="actions"><button type="submit">${s.upload}</button></div>
</form></section>`;
}

export function documentRoutes(hearth: Hearth) {
  extendNav(hearth, "portal-documents", (locale, role) =>
    role === "patient" || role === "clinician" ? [{ href: "/portal/documents", label: documentStrings(locale).navDocuments }] : [],
  );

  async function nameOf(viewerId: number, personId: number): Promise<string> {
    const person = getPerson(hearth, personId);
    if (!person) return "";
    auditNameShown(hearth, viewerId, person);
    return (await displayName(hearth, personId)) ?? "";
  }

  return new Elysia({ name: "portal-documents" })
    .get(
      "/portal/documents",
      async ({ request }) => {
        const viewer = requireViewer(request);
        if (viewer.role === "patient") return new Response(null, { status: 303, headers: { location: `/portal/patients/${viewer.id}/documents` } });
        const ctx = pageFor(request);
        const s = documentStrings(ctx.locale);
        const patients = await Promise.all(patientsOf(hearth, viewer.id).map(async (id) => ({ id, name: await nameOf(viewer.id, id) })));
        const main = html`<h1>${s.title}</h1><section aria-labelledby="doc-patients"><h2 id="doc-patients">${s.patientsTitle}</h2>
${patients.length ? html`<ul>${patients.map((p) => html`<li><a href="/portal/patients/${p.id}/documents">${p.name}</a></li>`)}</ul>` : html`<p>${s.noPatients}</p>`}</section>`;
        return htmlResponse(layout(ctx, s.title, main), 200, { "cache-control": "no-store" });
      },
      { detail: policy(PEOPLE) },
    )
    .get(
      "/portal/patients/:patientId/documents",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = documentStrings(ctx.locale);
        const docs = await documentsOf(hearth, viewer, params.patientId);
        const mine = viewer.id === params.patientId;
        const title = mine ? s.title : fill(s.titleOf, { name: await nameOf(viewer.id, params.patientId) });
        const main = html`<h1>${title}</h1><p>${mine ? s.introPatient : s.intro}</p>
${documentsTable(ctx.locale, viewer.role, docs)}
${uploadForm(ctx.locale, viewer.role, params.patientId)}`;
        const status = query.added ? html`<p class="notice notice-ok">${s.added}</p>` : undefined;
        return htmlResponse(layout(ctx, title, main, { status, scripts: ["upload.js"] }), 200, { "cache-control": "no-store" });
      },
      { params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), query: t.Object({ added: t.Optional(t.String()) }), detail: policy(SPACE) },
    )
    .post(
      "/portal/patients/:patientId/documents",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        try {
          if (Number(request.headers.get("content-length") ?? "0") > DOCUMENT_MAX_BYTES) throw new MaterialError("file", "too-large");
          let title = "";
          try {
            title = decodeURIComponent(request.headers.get("x-document-title") ?? "").replace(/[\p{Cc}\s]+/gu, " ").trim();
          } catch {
            throw new MaterialError("title", "invalid");
          }
          if (!title || title.length > TITLE_MAX) throw new MaterialError("title", "invalid");
          const chosen = request.headers.get("x-document-audience") as Audience | null;
          const audience: Audience = chosen && AUDIENCES.includes(chosen) ? chosen : "both";
          if (!request.body) throw new MaterialError("file", "empty");
          await addDocument(hearth, { patientId: params.patientId, uploadedBy: viewer.id, title, audience, source: request.body });
        } catch (err) {
          if (err instanceof MaterialError) throw refusal(locale, err);
          throw err;
        }
        const back = `/portal/patients/${params.patientId}/documents?added=1`;
        return request.headers.get("hx-request") ? new Response(null, { status: 204, headers: { "hx-redirect": back } }) : new Response(null, { status: 303, headers: { location: back } });
      },
      // The body is the file itself, read as a stream: never parsed, never buffered.
      { parse: "none", params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), detail: policy(SPACE) },
    )
    .get(
      "/portal/documents/:id",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = documentStrings(pageFor(request).locale);
        const file = await openDocument(hearth, viewer, params.id);
        if (!file) throw new HttpError(404, s.checkTitle, s.gone);
        // Characters no file system takes (and quotes) become "_"; filename* keeps the title as typed.
        const ascii = file.filename.replace(/[^\x20-\x7e]|["\\/:*?<>|]/g, "_");
        return new Response(file.stream, {
          headers: {
            "content-type": file.doc.mime,
            "content-length": String(file.doc.bytes),
            "content-disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox; default-src 'none'",
            "cache-control": "private, no-store",
          },
        });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy(PEOPLE) },
    );
}
