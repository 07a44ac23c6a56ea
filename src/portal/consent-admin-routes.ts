import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, unsafeRaw, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { consentStrings } from "./consent-strings.ts";
import { BODY_MAX, KINDS, TITLE_MAX, createForm, formById, forms, publishVersion, renderMarkdown, type Kind } from "./consent.ts";

/**
 * The admin's consent templates: versioned Markdown. Clinic policy text, not patient data, so
 * the admin (who sees no clinical content) writes it; who signed what is never shown here.
 */
const ADMINS: RoutePolicy = { allow: ["admin"] };

function kindLabel(locale: Locale, kind: Kind): string {
  const s = consentStrings(locale);
  return { treatment: s.kindTreatment, telehealth: s.kindTelehealth, "group-confidentiality": s.kindGroup, recording: s.kindRecording, release: s.kindRelease }[kind];
}

function bad(locale: Locale, message: string): HttpError {
  return new HttpError(400, consentStrings(locale).checkTitle, message);
}

function cleanBody(locale: Locale, text: string | undefined): string {
  const body = (text ?? "").replace(/\r\n?/g, "\n").trim();
  if (!body || body.length > BODY_MAX) throw bad(locale, fill(consentStrings(locale).bodyRequired, { n: BODY_MAX }));
  return body;
}

export function consentAdminRoutes(hearth: Hearth) {
  const page = (request: Request, title: string, main: Html, status?: Html) =>
    htmlResponse(layout(pageFor(request), title, main, { status, styles: ["portal.css"] }), 200, { "cache-control": "no-store" });

  return new Elysia({ name: "portal-consent-admin" })
    .get(
      "/admin/consent-forms",
      ({ request }) => {
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const all = forms(hearth);
        const main = html`<h1>${s.title}</h1><p>${s.introAdmin}</p>
${all.length ? html`<ul>${all.map((f) => html`<li><a href="/admin/consent-forms/${f.id}">${f.title}</a> · ${kindLabel(locale, f.kind)} · v${f.latest.version}</li>`)}</ul>` : html`<p>${s.none}</p>`}
<section class="card" aria-labelledby="new-consent"><h2 id="new-consent">${s.newForm}</h2>
<form method="post" action="/admin/consent-forms">
<label for="consent-kind">${s.fieldKind}</label><select id="consent-kind" name="kind">${KINDS.map((k) => html`<option value="${k}">${kindLabel(locale, k)}</option>`)}</select>
<label for="consent-title">${s.fieldTitle}</label><input id="consent-title" name="title" type="text" maxlength="${TITLE_MAX}" required>
<label for="consent-body">${s.fieldBody}</label><textarea id="consent-body" name="body" rows="12" maxlength="${BODY_MAX}" required></textarea>
<p><button type="submit">${s.create}</button></p></form></section>`;
        return page(request, s.title, main);
      },
      { detail: policy(ADMINS) },
    )
    .post(
      "/admin/consent-forms",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        if (!(KINDS as readonly string[]).includes(body.kind)) throw bad(locale, s.badKind);
        const title = (body.title ?? "").replace(/[\p{Cc}\s]+/gu, " ").trim();
        if (!title || title.length > TITLE_MAX) throw bad(locale, fill(s.titleRequired, { n: TITLE_MAX }));
        const id = createForm(hearth, viewer.id, body.kind as Kind, title, cleanBody(locale, body.body));
        return new Response(null, { status: 303, headers: { location: `/admin/consent-forms/${id}?published=1` } });
      },
      { body: t.Object({ kind: t.String({ maxLength: 40 }), title: t.Optional(t.String({ maxLength: 1000 })), body: t.Optional(t.String({ maxLength: BODY_MAX * 2 })), _csrf: t.Optional(t.String()) }), detail: policy(ADMINS) },
    )
    .get(
      "/admin/consent-forms/:id",
      ({ request, params, query }) => {
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        const form = formById(hearth, params.id);
        if (!form) throw new HttpError(404, s.checkTitle, s.noForm);
        const status = query.published ? html`<p class="notice notice-ok">${fill(s.published, { n: form.latest.version })}</p>` : undefined;
        // The admin's own Markdown, rendered by marked and cut down by sanitize-html to plain structure.
        const main = html`<p><a href="/admin/consent-forms">${s.back}</a></p><h1>${form.title}</h1>
<p class="muted">${kindLabel(locale, form.kind)} · ${fill(s.versionOf, { n: form.latest.version, when: formatDateTime(locale, form.latest.publishedAt) })}</p>
<article class="card consent-text">${unsafeRaw(renderMarkdown(form.latest.body))}</article>
<section class="card" aria-labelledby="new-version"><h2 id="new-version">${s.newVersion}</h2>
<form method="post" action="/admin/consent-forms/${form.id}/versions">
<label for="version-body">${s.fieldBody}</label><textarea id="version-body" name="body" rows="12" maxlength="${BODY_MAX}" required>${form.latest.body}</textarea>
<p><button type="submit">${s.publish}</button></p></form></section>`;
        return page(request, form.title, main, status);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), query: t.Object({ published: t.Optional(t.String()) }), detail: policy(ADMINS) },
    )
    .post(
      "/admin/consent-forms/:id/versions",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = consentStrings(locale);
        if (!formById(hearth, params.id)) throw new HttpError(404, s.checkTitle, s.noForm);
        publishVersion(hearth, viewer.id, params.id, cleanBody(locale, body.body));
        return new Response(null, { status: 303, headers: { location: `/admin/consent-forms/${params.id}?published=1` } });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Object({ body: t.Optional(t.String({ maxLength: BODY_MAX * 2 })), _csrf: t.Optional(t.String()) }), detail: policy(ADMINS) },
    );
}
