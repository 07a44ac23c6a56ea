import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse, type Html } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { pageFor } from "../../ui/request.ts";
import { fill, type Locale } from "../../ui/i18n.ts";
import { policy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { FIELD_MAX, TEMPLATE_FIELDS, TEMPLATES, isTemplate, type FieldId, type Template } from "./notes.ts";
import { fieldLabel, templateLabel } from "./note-views.ts";
import { recordStrings } from "./strings.ts";
import { noteStrings } from "./note-strings.ts";
import { RECORD_STYLES, goTo, okNotice, refuse } from "./views.ts";

/**
 * The clinic's own note templates: a name, one of the standard structures (DAP, SOAP, BIRP,
 * group), and starting text for its fields. Any clinician may add one for the whole clinic; a
 * note written from it is an ordinary note of its structure, pre-filled.
 */
export interface ClinicTemplate {
  id: number;
  name: string;
  base: Template;
  fields: Partial<Record<FieldId, string>>;
}

export const NAME_MAX = 80;

export function clinicTemplates(hearth: Hearth): ClinicTemplate[] {
  return hearth.db
    .query<{ id: number; name: string; base: Template; fields: string }, []>("SELECT id, name, base, fields FROM note_templates WHERE archived_at IS NULL ORDER BY name, id")
    .all()
    .map((r) => ({ ...r, fields: JSON.parse(r.fields) as ClinicTemplate["fields"] }));
}

export function clinicTemplate(hearth: Hearth, id: number): ClinicTemplate | null {
  return clinicTemplates(hearth).find((x) => x.id === id) ?? null;
}

export function addClinicTemplate(hearth: Hearth, tpl: Omit<ClinicTemplate, "id">, by: number): number {
  const fields = Object.fromEntries(TEMPLATE_FIELDS[tpl.base].filter((f) => f !== "attendance" && tpl.fields[f]?.trim()).map((f) => [f, tpl.fields[f]!.trim()]));
  const id = hearth.db
    .query<{ id: number }, [string, string, string, number, number]>("INSERT INTO note_templates (name, base, fields, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id")
    .get(tpl.name, tpl.base, JSON.stringify(fields), by, hearth.now())!.id;
  hearth.audit.append({ actor: `person:${by}`, action: "note_template.created", subject: `note_template:${id}`, outcome: "ok" });
  return id;
}

/** The options of a "Template" select: the standard structures, then the clinic's own. */
export function templateOptions(hearth: Hearth, locale: Locale, bases: readonly Template[]): Html[] {
  return [
    ...bases.map((b) => html`<option value="${b}">${templateLabel(locale, b)}</option>`),
    ...clinicTemplates(hearth).filter((c) => bases.includes(c.base)).map((c) => html`<option value="t:${c.id}">${c.name} (${c.base.toUpperCase()})</option>`),
  ];
}

export function templateRoutes(hearth: Hearth) {
  return new Elysia({ name: "record-templates" })
    .get(
      "/record/templates",
      ({ request, query }) => {
        const ctx = pageFor(request);
        const n = noteStrings(ctx.locale);
        const list = clinicTemplates(hearth);
        const main = html`<h1>${n.templatesTitle}</h1><p>${n.templatesIntro}</p>${okNotice(query.done ? n.templateSaved : null)}
<section class="card" aria-labelledby="tpl-list"><h2 id="tpl-list">${n.templatesTitle}</h2>
${list.length ? html`<ul class="plain">${list.map((c) => html`<li><strong>${c.name}</strong> · ${templateLabel(ctx.locale, c.base)}
<form method="post" action="/record/templates/${c.id}/archive" class="inline-form"><button type="submit" class="secondary" aria-label="${fill(n.archiveTemplateLabel, { name: c.name })}">${n.archiveTemplate}</button></form></li>`)}</ul>` : html`<p>${n.noTemplates}</p>`}</section>
${TEMPLATES.map((base) => html`<section class="card" aria-labelledby="new-${base}"><h2 id="new-${base}">${fill(n.newTemplateOn, { base: templateLabel(ctx.locale, base) })}</h2>
<form method="post" action="/record/templates"><input type="hidden" name="base" value="${base}">
<div class="field"><label for="name-${base}">${n.templateName}</label><input id="name-${base}" name="name" maxlength="${NAME_MAX}" required></div>
${TEMPLATE_FIELDS[base].filter((f) => f !== "attendance").map((f) => html`<div class="field"><label for="${base}-${f}">${fieldLabel(ctx.locale, f)}</label><textarea id="${base}-${f}" name="${f}" rows="3" maxlength="${FIELD_MAX}"></textarea></div>`)}
<div class="actions"><button type="submit">${n.saveTemplate}</button></div></form></section>`)}`;
        return htmlResponse(layout(ctx, n.templatesTitle, main, { styles: RECORD_STYLES }), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ done: t.Optional(t.Literal("1")) }), detail: policy({ allow: ["clinician"] }) },
    )
    .post(
      "/record/templates",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const n = noteStrings(locale);
        if (!isTemplate(body.base)) throw refuse(locale, 400, n.badTemplate);
        const name = body.name.replace(/[\p{Cc}\s]+/gu, " ").trim();
        if (!name || name.length > NAME_MAX) throw refuse(locale, 400, fill(n.fieldTooLong, { field: n.templateName, n: NAME_MAX }));
        const given = body as Record<string, string | undefined>;
        for (const f of TEMPLATE_FIELDS[body.base]) if ((given[f] ?? "").length > FIELD_MAX) throw refuse(locale, 400, fill(n.fieldTooLong, { field: fieldLabel(locale, f), n: FIELD_MAX }));
        addClinicTemplate(hearth, { name, base: body.base, fields: given as ClinicTemplate["fields"] }, viewer.id);
        return goTo(request, "/record/templates?done=1");
      },
      { body: t.Object({ base: t.String({ maxLength: 8 }), name: t.String({ maxLength: NAME_MAX * 4 }) }, { additionalProperties: true }), detail: policy({ allow: ["clinician"] }) },
    )
    .post(
      "/record/templates/:templateId/archive",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const done = hearth.db.query("UPDATE note_templates SET archived_at = ? WHERE id = ? AND archived_at IS NULL").run(hearth.now(), params.templateId).changes === 1;
        if (!done) throw refuse(locale, 404, recordStrings(locale).notFound);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "note_template.archived", subject: `note_template:${params.templateId}`, outcome: "ok" });
        return goTo(request, "/record/templates?done=1");
      },
      { params: t.Object({ templateId: t.Numeric({ minimum: 1 }) }), detail: policy({ allow: ["clinician"] }) },
    );
}
