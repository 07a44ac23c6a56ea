import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendNav } from "../identity/extensions.ts";
import { goalStrings } from "./goal-strings.ts";
import { progressChart } from "./goal-chart.ts";
import { checkIn, checkInsOf, createGoal, goalById, goalsOf, maySeeGoals, type GoalBody } from "./goals.ts";
import { patientsOf } from "./messages.ts";

/**
 * Goals pages: a patient's goals are reached by the patient and the clinicians who care for
 * them (the `person` rule, self or carer; a goal's own page checks the same through goals.ts);
 * either may set a goal, only the patient checks in.
 */
const PEOPLE: RoutePolicy = { allow: ["patient", "clinician"] };
const PATIENTS: RoutePolicy = { allow: ["patient"] };
const SPACE: RoutePolicy = { allow: ["patient", "clinician"], item: { kind: "person", param: "patientId", relations: ["self", "carer"] } };
const FIELD_MAX = 1000;
const SMART = ["specific", "measurable", "achievable", "relevant"] as const;

function bad(locale: Locale, status: 400 | 404, message: string): HttpError {
  return new HttpError(status, goalStrings(locale).checkTitle, message);
}

const clean = (text: string | undefined) => (text ?? "").replace(/[\p{Cc}\s]+/gu, " ").trim().slice(0, FIELD_MAX);

function goalForm(locale: Locale, patientId: number, today: string): Html {
  const s = goalStrings(locale);
  return html`<section class="card" aria-labelledby="new-goal"><h2 id="new-goal">${s.newGoal}</h2>
<form method="post" action="/portal/patients/${patientId}/goals">
${SMART.map((f) => html`<label for="goal-${f}">${s[f]}</label><input id="goal-${f}" name="${f}" type="text" maxlength="${FIELD_MAX}" required>`)}
<label for="goal-by">${s.by}</label><input id="goal-by" name="by" type="date" min="${today}" required>
<label for="goal-steps">${s.steps}</label><textarea id="goal-steps" name="steps" rows="4" maxlength="4000"></textarea>
<p><button type="submit">${s.save}</button></p></form></section>`;
}

export function goalRoutes(hearth: Hearth) {
  extendNav(hearth, "portal-goals", (locale, role) => (role === "patient" || role === "clinician" ? [{ href: "/portal/goals", label: goalStrings(locale).nav }] : []));

  async function nameOf(viewerId: number, personId: number): Promise<string> {
    const person = getPerson(hearth, personId);
    if (!person) return "";
    auditNameShown(hearth, viewerId, person);
    return (await displayName(hearth, personId)) ?? "";
  }

  const page = (request: Request, title: string, main: Html, status?: Html) =>
    htmlResponse(layout(pageFor(request), title, main, { status, styles: ["portal.css", "record.css"] }), 200, { "cache-control": "no-store" });
  const dateLabel = (locale: Locale, d: string) => new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(new Date(`${d}T12:00:00`));

  return new Elysia({ name: "portal-goals" })
    .get(
      "/portal/goals",
      async ({ request }) => {
        const viewer = requireViewer(request);
        if (viewer.role === "patient") return new Response(null, { status: 303, headers: { location: `/portal/patients/${viewer.id}/goals` } });
        const { locale } = pageFor(request);
        const s = goalStrings(locale);
        const patients = await Promise.all(patientsOf(hearth, viewer.id).map(async (id) => ({ id, name: await nameOf(viewer.id, id) })));
        return page(request, s.title, html`<h1>${s.title}</h1><h2>${s.patientsTitle}</h2>
${patients.length ? html`<ul>${patients.map((p) => html`<li><a href="/portal/patients/${p.id}/goals">${p.name}</a></li>`)}</ul>` : html`<p>${s.noPatients}</p>`}`);
      },
      { detail: policy(PEOPLE) },
    )
    .get(
      "/portal/patients/:patientId/goals",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = goalStrings(locale);
        const goals = await goalsOf(hearth, params.patientId);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "goal.listed", subject: `person:${params.patientId}`, ownerId: params.patientId, outcome: "ok" });
        const mine = viewer.id === params.patientId;
        const title = mine ? s.title : fill(s.titleOf, { name: await nameOf(viewer.id, params.patientId) });
        const list = goals.length
          ? html`<ul class="goals">${goals.map((g) => html`<li><a href="/portal/goals/${g.id}">${g.specific}</a> · ${fill(s.byWhen, { when: dateLabel(locale, g.by) })}</li>`)}</ul>`
          : html`<p>${s.none}</p>`;
        const status = query.saved ? html`<p class="notice notice-ok">${s.saved}</p>` : undefined;
        return page(request, title, html`<h1>${title}</h1><p>${mine ? s.intro : s.introClinician}</p>${list}${goalForm(locale, params.patientId, new Date(hearth.now()).toISOString().slice(0, 10))}`, status);
      },
      { params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), query: t.Object({ saved: t.Optional(t.String()) }), detail: policy(SPACE) },
    )
    .post(
      "/portal/patients/:patientId/goals",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = goalStrings(locale);
        const goal: GoalBody = { specific: "", measurable: "", achievable: "", relevant: "", by: "", steps: [] };
        for (const f of SMART) {
          goal[f] = clean(body[f]);
          if (!goal[f]) throw bad(locale, 400, fill(s.fieldRequired, { field: s[f] }));
        }
        if (!/^\d{4}-\d{2}-\d{2}$/.test(body.by ?? "") || Number.isNaN(Date.parse(body.by!))) throw bad(locale, 400, s.badDate);
        goal.by = body.by!;
        goal.steps = (body.steps ?? "").split(/\r?\n/).map((l) => clean(l)).filter(Boolean).slice(0, 20);
        await createGoal(hearth, params.patientId, viewer.id, goal);
        return new Response(null, { status: 303, headers: { location: `/portal/patients/${params.patientId}/goals?saved=1` } });
      },
      { params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), body: t.Record(t.String(), t.String({ maxLength: 5000 })), detail: policy(SPACE) },
    )
    .get(
      "/portal/goals/:id",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = goalStrings(locale);
        const goal = await goalById(hearth, params.id);
        if (!goal || !maySeeGoals(hearth, viewer, goal.patientId)) throw bad(locale, 404, s.noGoal);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "goal.read", subject: `goal:${goal.id}`, ownerId: goal.patientId, outcome: "ok" });
        const checkins = await checkInsOf(hearth, goal.id);
        const form =
          viewer.role === "patient"
            ? html`<section class="card" aria-labelledby="check-in"><h2 id="check-in">${s.checkInTitle}</h2><form method="post" action="/portal/goals/${goal.id}/checkins">
<label for="progress">${s.progress}</label><select id="progress" name="progress">${Array.from({ length: 11 }, (_, i) => html`<option value="${i}">${i}</option>`)}</select>
<label for="checkin-note">${s.note}</label><textarea id="checkin-note" name="note" rows="2" maxlength="${FIELD_MAX}"></textarea>
<p><button type="submit">${s.checkIn}</button></p></form></section>`
            : "";
        const status = query.done ? html`<p class="notice notice-ok">${s.checkedIn}</p>` : undefined;
        const main = html`<p><a href="/portal/patients/${goal.patientId}/goals">${s.back}</a></p><h1>${goal.specific}</h1>
<dl class="goal-smart">${SMART.slice(1).map((f) => html`<dt>${s[f]}</dt><dd>${goal[f]}</dd>`)}<dt>${s.by}</dt><dd>${dateLabel(locale, goal.by)}</dd></dl>
${goal.steps.length ? html`<h2>${s.stepsTitle}</h2><ol>${goal.steps.map((st) => html`<li>${st}</li>`)}</ol>` : ""}
${progressChart(locale, checkins)}
${form}`;
        return page(request, goal.specific, main, status);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), query: t.Object({ done: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    )
    .post(
      "/portal/goals/:id/checkins",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = goalStrings(locale);
        const goal = await goalById(hearth, params.id);
        if (!goal || goal.patientId !== viewer.id) throw bad(locale, 404, s.noGoal);
        const progress = Number(body.progress);
        if (!Number.isInteger(progress) || progress < 0 || progress > 10) throw bad(locale, 400, s.badProgress);
        await checkIn(hearth, goal, progress, (body.note ?? "").replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n]/gu, "").trim().slice(0, FIELD_MAX));
        return new Response(null, { status: 303, headers: { location: `/portal/goals/${goal.id}?done=1` } });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Object({ progress: t.String({ maxLength: 3 }), note: t.Optional(t.String({ maxLength: 5000 })), _csrf: t.Optional(t.String()) }), detail: policy(PATIENTS) },
    );
}
