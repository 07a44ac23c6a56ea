import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, plural, type Locale } from "../ui/i18n.ts";
import { policy, type Role, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendNav } from "../identity/extensions.ts";
import { groupIdsOf, membersOf, readGroupsOf } from "../clinic/groups.ts";
import { worksheetStrings } from "./worksheet-strings.ts";
import { answersFromForm, parseBuilder, type BuilderRow } from "./worksheet-templates.ts";
import { patientsOf } from "./messages.ts";
import {
  addComment,
  answersOf,
  assign,
  assignmentById,
  assignmentsGivenBy,
  assignmentsOfPatient,
  commentsOf,
  createTemplate,
  mayOpen,
  saveAnswers,
  templateBody,
  templateIsUsableBy,
  templatesFor,
  type Assignment,
} from "./worksheets.ts";
import { assignForm, assignmentsTable, builderForm, commentsSection, dueLabel, worksheetFields } from "./worksheet-views.ts";
import { MAX_FIELDS } from "./worksheet-templates.ts";

/**
 * Worksheet pages. Clinicians build templates, give a worksheet to a patient they care for or to
 * a group they lead, read what was submitted and comment; patients fill theirs in (drafts saved)
 * and submit. Every worksheet route checks the viewer may open that worksheet (worksheets.ts
 * mayOpen, through identity's isCarerOf) and answers 404 otherwise.
 */
const PEOPLE: RoutePolicy = { allow: ["patient", "clinician"] };
const CLINICIANS: RoutePolicy = { allow: ["clinician"] };
const PATIENTS: RoutePolicy = { allow: ["patient"] };
const Params = t.Object({ id: t.Numeric({ minimum: 1 }) });
const FormFields = t.Record(t.String(), t.String({ maxLength: 6000 }));

function bad(locale: Locale, status: 400 | 404 | 409, message: string): HttpError {
  return new HttpError(status, worksheetStrings(locale).checkTitle, message);
}

const see = (location: string) => new Response(null, { status: 303, headers: { location } });

function today(hearth: Hearth): string {
  return new Date(hearth.now()).toISOString().slice(0, 10);
}

export function worksheetRoutes(hearth: Hearth) {
  extendNav(hearth, "portal-worksheets", (locale, role) =>
    role === "patient" || role === "clinician" ? [{ href: "/portal/worksheets", label: worksheetStrings(locale).navWorksheets }] : [],
  );

  async function nameOf(viewerId: number, personId: number): Promise<string> {
    const person = getPerson(hearth, personId);
    if (!person) return "";
    auditNameShown(hearth, viewerId, person);
    return (await displayName(hearth, personId)) ?? "";
  }

  function opened(request: Request, id: number): { viewer: { id: number; role: Role }; a: Assignment; locale: Locale } {
    const viewer = requireViewer(request);
    const { locale } = pageFor(request);
    const a = assignmentById(hearth, id);
    if (!a || !mayOpen(hearth, viewer, a)) throw bad(locale, 404, worksheetStrings(locale).noWorksheet);
    return { viewer, a, locale };
  }

  function page(request: Request, title: string, main: Html, status?: Html): Response {
    return htmlResponse(layout(pageFor(request), title, main, { status, styles: ["portal.css"] }), 200, { "cache-control": "no-store" });
  }

  return new Elysia({ name: "portal-worksheets" })
    .get(
      "/portal/worksheets",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = worksheetStrings(locale);
        const status = query.done === "template" ? html`<p class="notice notice-ok">${s.templateSaved}</p>` : query.given ? html`<p class="notice notice-ok">${plural(locale, s, "assigned", Number(query.given) || 0)}</p>` : undefined;
        if (viewer.role === "patient") {
          const rows = await Promise.all(assignmentsOfPatient(hearth, viewer.id).map(async (a) => ({ ...a, title: (await templateBody(hearth, a.templateRef, locale))?.title ?? "" })));
          const main = html`<h1>${s.title}</h1><p>${s.introPatient}</p>
<section aria-labelledby="ws-mine"><h2 id="ws-mine">${s.assignedTitle}</h2>${rows.length ? assignmentsTable(locale, rows, false) : html`<p>${s.noAssigned}</p>`}</section>`;
          return page(request, s.title, main, status);
        }
        const templates = await templatesFor(hearth, viewer.id, locale);
        const groups = await readGroupsOf(hearth, viewer.id, ["clinician"]);
        const targets = [
          ...(await Promise.all(patientsOf(hearth, viewer.id).map(async (id) => ({ value: `patient:${id}`, label: await nameOf(viewer.id, id) })))),
          ...groups.map((g) => ({ value: `group:${g.id}`, label: fill(s.groupOption, { name: g.name }) })),
        ];
        const given = await Promise.all(
          assignmentsGivenBy(hearth, viewer.id).map(async (a) => ({ ...a, title: (await templateBody(hearth, a.templateRef, locale))?.title ?? "", patient: await nameOf(viewer.id, a.patientId) })),
        );
        const main = html`<h1>${s.title}</h1><p>${s.introClinician}</p>
<section class="card" aria-labelledby="ws-assign"><h2 id="ws-assign">${s.assignTitle}</h2>${assignForm(locale, templates, targets, today(hearth))}
<p><a href="/portal/worksheets/templates/new">${s.newTemplate}</a></p></section>
<section aria-labelledby="ws-given"><h2 id="ws-given">${s.givenTitle}</h2>${given.length ? assignmentsTable(locale, given, true) : html`<p>${s.noGiven}</p>`}</section>`;
        return page(request, s.title, main, status);
      },
      { query: t.Object({ done: t.Optional(t.String()), given: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    )
    .get(
      "/portal/worksheets/templates/new",
      ({ request }) => {
        const s = worksheetStrings(pageFor(request).locale);
        return page(request, s.builderTitle, html`<p><a href="/portal/worksheets">${s.back}</a></p><h1>${s.builderTitle}</h1>${builderForm(pageFor(request).locale)}`);
      },
      { detail: policy(CLINICIANS) },
    )
    .post(
      "/portal/worksheets/templates",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = worksheetStrings(locale);
        const rows: BuilderRow[] = Array.from({ length: MAX_FIELDS }, (_, i) => ({ label: body[`label${i}`] ?? "", kind: body[`kind${i}`] ?? "", details: body[`details${i}`] ?? "" }));
        const parsed = parseBuilder(body.title ?? "", rows);
        if (!parsed.ok) throw bad(locale, 400, fill(s[parsed.problem], { n: parsed.field ?? 0 }));
        await createTemplate(hearth, viewer.id, parsed.body);
        return see("/portal/worksheets?done=template");
      },
      { body: FormFields, detail: policy(CLINICIANS) },
    )
    .post(
      "/portal/worksheets/assignments",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = worksheetStrings(locale);
        if (!templateIsUsableBy(hearth, body.template, viewer.id)) throw bad(locale, 400, s.badTemplate);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(body.due) || Number.isNaN(Date.parse(body.due))) throw bad(locale, 400, s.badDue);
        const [kind, raw] = body.target.split(":");
        const id = Number(raw);
        let patientIds: number[];
        let groupId: number | null = null;
        if (kind === "patient" && patientsOf(hearth, viewer.id).includes(id)) patientIds = [id];
        else if (kind === "group" && groupIdsOf(hearth.db, viewer.id, ["clinician"]).includes(id)) {
          groupId = id;
          patientIds = membersOf(hearth.db, id).filter((m) => m.role === "member").map((m) => m.personId);
        } else throw bad(locale, 400, s.badTarget);
        const ids = assign(hearth, { templateRef: body.template, patientIds, groupId, by: viewer.id, dueOn: body.due });
        return see(`/portal/worksheets?given=${ids.length}`);
      },
      { body: t.Object({ template: t.String({ maxLength: 40 }), target: t.String({ maxLength: 40 }), due: t.String({ maxLength: 10 }), _csrf: t.Optional(t.String()) }), detail: policy(CLINICIANS) },
    )
    .get(
      "/portal/worksheets/:id",
      async ({ request, params, query }) => {
        const { viewer, a, locale } = opened(request, params.id);
        const s = worksheetStrings(locale);
        const body = (await templateBody(hearth, a.templateRef, locale))!;
        const isPatient = viewer.role === "patient";
        // The clinician sees the answers only once submitted: a draft stays the patient's.
        const visible = isPatient || a.status === "submitted";
        const answers = visible ? await answersOf(hearth, a.id) : {};
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "worksheet.read", subject: `worksheet:${a.id}`, ownerId: a.patientId, outcome: "ok" });
        const names = new Map<number, string>();
        const comments = await Promise.all(
          (await commentsOf(hearth, a.id)).map(async (c) => {
            if (!names.has(c.authorId)) names.set(c.authorId, await nameOf(viewer.id, c.authorId));
            return { who: names.get(c.authorId)!, body: c.body, createdAt: c.createdAt };
          }),
        );
        const editable = isPatient && a.status !== "submitted";
        const who = isPatient ? "" : await nameOf(viewer.id, a.patientId);
        const facts = html`<p class="muted">${fill(s.dueOn, { when: dueLabel(locale, a.dueOn) })}${who ? html` · ${who}` : ""}${a.submittedAt ? html` · ${fill(s.submittedOn, { when: formatDateTime(locale, a.submittedAt) })}` : ""}</p>`;
        const form = editable
          ? html`<form method="post" action="/portal/worksheets/${a.id}" class="worksheet">${worksheetFields(locale, body, answers, true)}
<div class="actions"><button type="submit" name="action" value="draft" class="secondary">${s.draft}</button><button type="submit" name="action" value="submit">${s.submit}</button></div></form>`
          : visible
            ? html`<div class="worksheet">${worksheetFields(locale, body, answers, false)}</div>`
            : html`<p class="notice notice-info">${s.notSubmitted}</p>`;
        const status =
          query.saved === "draft"
            ? html`<p class="notice notice-ok">${s.draftSaved}</p>`
            : query.saved === "submitted"
              ? html`<p class="notice notice-ok">${fill(s.submitted, { name: await nameOf(viewer.id, a.assignedBy) })}</p>`
              : undefined;
        const main = html`<p><a href="/portal/worksheets">${s.back}</a></p><h1>${body.title}</h1>${facts}${form}
${a.status === "submitted" ? commentsSection(locale, comments, `/portal/worksheets/${a.id}/comments`) : ""}`;
        return page(request, body.title, main, status);
      },
      { params: Params, query: t.Object({ saved: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    )
    .post(
      "/portal/worksheets/:id",
      async ({ request, params, body }) => {
        const { a, locale } = opened(request, params.id);
        const s = worksheetStrings(locale);
        const template = (await templateBody(hearth, a.templateRef, locale))!;
        const { answers, tooLong } = answersFromForm(template, body);
        if (tooLong) throw bad(locale, 400, fill(s.answerTooLong, { n: 5000 }));
        const submit = body.action === "submit";
        if (!(await saveAnswers(hearth, a, answers, submit))) throw bad(locale, 409, s.alreadySubmitted);
        return see(`/portal/worksheets/${a.id}?saved=${submit ? "submitted" : "draft"}`);
      },
      { params: Params, body: FormFields, detail: policy(PATIENTS) },
    )
    .post(
      "/portal/worksheets/:id/comments",
      async ({ request, params, body }) => {
        const { viewer, a, locale } = opened(request, params.id);
        const text = (body.body ?? "").replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]/gu, "").trim();
        if (!text) throw bad(locale, 400, worksheetStrings(locale).commentRequired);
        if (a.status !== "submitted") throw bad(locale, 409, worksheetStrings(locale).notSubmitted);
        await addComment(hearth, a, viewer.id, text.slice(0, 5000));
        return see(`/portal/worksheets/${a.id}`);
      },
      { params: Params, body: t.Object({ body: t.Optional(t.String({ maxLength: 6000 })), _csrf: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    );
}
