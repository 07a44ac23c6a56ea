import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { pageFor } from "../../ui/request.ts";
import { fill, formatDateTime } from "../../ui/i18n.ts";
import { policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer, BACKGROUND_HEADER } from "../../identity/guard.ts";
import { listNotifications } from "../../notify/notify.ts";
import { membersOf, partIn, readGroup } from "../groups.ts";
import { INSTRUMENTS, instrument, isInstrumentId } from "./instruments.ts";
import { SAFETY_NOTICE, assignMeasure, assignmentById, assignmentsOfGroup, endAssignment, notAnswered } from "./measures.ts";
import { heldSessions } from "./attendance.ts";
import { attendanceChart, scoreChart } from "./charts.ts";
import { baselines, insightList, memberProgress } from "./progress.ts";
import { bandLabel, recordStrings } from "./strings.ts";
import { RECORD_STYLES, goTo, nameShown, okNotice, refuse } from "./views.ts";
import { sessionList } from "./note-views.ts";
import { exportForm } from "./export-routes.ts";
import { PASSKEY_SCRIPTS } from "../../identity/views.ts";

/**
 * The clinician's record of a group: which measures are asked for and who has not answered, each
 * member's latest scores and what changed (with the rule that says so), their charts and answers,
 * and the sessions with their notes. Every route names the group in the path; identity's guard
 * admits that group's clinicians only, and a member id that is not a member of that group is a
 * 404, so a clinician of another group reaches nothing of a patient who is only in theirs.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const Group = t.Object({ id: t.Numeric({ minimum: 1 }) });

export function dashboardRoutes(hearth: Hearth) {
  return new Elysia({ name: "record-dashboard" })
    .get(
      "/groups/:id/record",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        const group = await readGroup(hearth, viewer.id, params.id);
        if (!group) throw refuse(ctx.locale, 404, s.notFound);
        const members = membersOf(hearth.db, group.id).filter((m) => m.role === "member");
        const names = new Map<number, string>();
        for (const m of members) names.set(m.personId, await nameShown(hearth, viewer.id, m.personId));
        const sessions = heldSessions(hearth.db, group.id);
        const sd0 = await baselines(hearth);
        const rows = [];
        const glance = { improved: [] as string[], worsened: [] as string[], notAnswered: [] as string[], dropout: [] as string[] };
        for (const m of members) {
          const p = await memberProgress(hearth, viewer.id, group.id, m.personId, { sessions, sd0, endsOnly: true });
          const who = names.get(m.personId)!;
          if (p.insights.some((i) => i.rule === "jt-rci" && i.params.verdict === "improved")) glance.improved.push(who);
          if (p.insights.some((i) => i.rule === "jt-rci" && i.params.verdict === "worsened")) glance.worsened.push(who);
          if (p.insights.some((i) => i.rule === "not-answered")) glance.notAnswered.push(who);
          if (p.insights.some((i) => i.rule === "dropout-two-missed")) glance.dropout.push(who);
          const latest = INSTRUMENTS.map((id) => {
            const r = p.history.filter((h) => h.instrument === id).at(-1);
            return r ? html`<span class="score band-${r.band.key}">${instrument(id).short} ${r.total} (${bandLabel(ctx.locale, r.band.key)})</span> ` : "";
          });
          const name = names.get(m.personId)!;
          rows.push(html`<tr><th scope="row"><a href="/groups/${group.id}/record/members/${m.personId}" aria-label="${fill(s.openMember, { name })}">${name}</a></th><td>${latest}</td><td>${insightList(ctx.locale, p.insights)}</td></tr>`);
        }
        const assignments = assignmentsOfGroup(hearth, group.id).map((a) => {
          const measure = instrument(a.instrument).short;
          const waiting = notAnswered(hearth, a).map((id) => names.get(id) ?? `#${id}`);
          return html`<li>${a.personId === null ? fill(s.assignmentGroup, { measure }) : fill(s.assignmentPerson, { measure, name: names.get(a.personId) ?? `#${a.personId}` })}
<span class="muted">${waiting.length ? fill(s.notAnsweredYet, { names: waiting.join(", ") }) : s.everyoneAnswered}</span>
<form method="post" action="/groups/${group.id}/record/assignments/${a.id}/end" class="inline-form"><button type="submit" class="secondary" aria-label="${fill(s.stopAskingLabel, { measure })}">${s.stopAsking}</button></form></li>`;
        });
        const done = query.done === "assigned" ? s.assigned : query.done === "ended" ? s.ended : null;
        const main = html`<p><a href="/groups/${group.id}">${group.name}</a></p><h1>${s.recordTitle}</h1>${okNotice(done)}
<p><a href="/groups/${group.id}/record/billing">${s.billingLink}</a></p>
<section class="card" aria-labelledby="glance-title"><h2 id="glance-title">${s.glanceTitle}</h2><ul class="glance">
${([[s.glanceImproved, glance.improved], [s.glanceWorsened, glance.worsened], [s.glanceNotAnswered, glance.notAnswered], [s.glanceDropout, glance.dropout]] as const).map(
  ([line, who]) => html`<li>${fill(line, { names: who.length ? who.join(", ") : s.glanceNobody })}</li>`,
)}</ul></section>
<section class="card" aria-labelledby="members-title"><h2 id="members-title">${s.membersTitle}</h2>
<div class="table-wrap"><table class="dashboard"><thead><tr><th scope="col">${s.colMember}</th><th scope="col">${s.colLatest}</th><th scope="col">${s.colInsights}</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>
<div class="grid">
<section class="card" aria-labelledby="assigned-title"><h2 id="assigned-title">${s.activeAssignments}</h2>
${assignments.length ? html`<ul class="plain">${assignments}</ul>` : html`<p>${s.noAssignments}</p>`}</section>
<section class="card" aria-labelledby="assign-title"><h2 id="assign-title">${s.assignTitle}</h2>
<form method="post" action="/groups/${group.id}/record/assignments">
<div class="field"><label for="instrument">${s.instrumentLabel}</label><select id="instrument" name="instrument">${INSTRUMENTS.map((id) => html`<option value="${id}">${instrument(id).short}</option>`)}</select></div>
<div class="field"><label for="personId">${s.whoLabel}</label><select id="personId" name="personId"><option value="">${s.wholeGroup}</option>
${members.map((m) => html`<option value="${m.personId}">${fill(s.onlyPerson, { name: names.get(m.personId)! })}</option>`)}</select></div>
<div class="actions"><button type="submit">${s.assignButton}</button></div></form></section></div>
${sessionList(ctx.locale, group.id, sessions)}
${exportForm(ctx.locale, `/groups/${group.id}/record/export`)}`;
        return htmlResponse(layout(ctx, s.recordTitle, main, { styles: RECORD_STYLES, scripts: PASSKEY_SCRIPTS }), 200, { "cache-control": "no-store" });
      },
      { params: Group, query: t.Object({ done: t.Optional(t.UnionEnum(["assigned", "ended"])) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/record/assignments",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = recordStrings(locale);
        if (!isInstrumentId(body.instrument)) throw refuse(locale, 400, s.badInstrument);
        const personId = body.personId ? Number(body.personId) : null;
        if (personId !== null && (!Number.isSafeInteger(personId) || partIn(hearth.db, params.id, personId) !== "member")) throw refuse(locale, 400, s.badMember);
        assignMeasure(hearth, { instrument: body.instrument, groupId: params.id, personId, by: viewer.id });
        return goTo(request, `/groups/${params.id}/record?done=assigned`);
      },
      {
        params: Group,
        body: t.Object({ instrument: t.String({ maxLength: 8 }), personId: t.Optional(t.String({ maxLength: 12 })) }, { additionalProperties: true }),
        detail: policy(GROUP_CLINICIANS),
      },
    )
    .post(
      "/groups/:id/record/assignments/:assignmentId/end",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const a = assignmentById(hearth, params.assignmentId);
        if (!a || a.groupId !== params.id) throw refuse(locale, 404, recordStrings(locale).notFound);
        endAssignment(hearth, params.id, a.id, viewer.id);
        return goTo(request, `/groups/${params.id}/record?done=ended`);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), assignmentId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/groups/:id/record/members/:personId",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        if (partIn(hearth.db, params.id, params.personId) !== "member") throw refuse(ctx.locale, 404, s.notFound);
        const name = await nameShown(hearth, viewer.id, params.personId);
        const p = await memberProgress(hearth, viewer.id, params.id, params.personId);
        const perMeasure = INSTRUMENTS.map((id) => {
          const inst = instrument(id);
          const rs = p.history.filter((r) => r.instrument === id);
          if (!rs.length) return "";
          return html`<section class="card" aria-labelledby="m-${id}"><h2 id="m-${id}">${fill(s.answersTitle, { measure: inst.short })}</h2>
${scoreChart(ctx.locale, inst, rs.map((r) => ({ at: r.answeredAt, value: r.total })), { last: 6 })}
<div class="table-wrap"><table class="answers"><thead><tr><th scope="col">${s.colDate}</th>${inst.loinc.items.map((_, i) => html`<th scope="col">${i + 1}</th>`)}<th scope="col">${s.colScore}</th></tr></thead>
<tbody>${rs.map((r) => html`<tr><td>${formatDateTime(ctx.locale, r.answeredAt)}</td>${r.answers.map((a, i) => html`<td${id === "phq9" && i === 8 && a > 0 ? html` class="flag" title="${s.item9Flag}"` : ""}>${a}${id === "phq9" && i === 8 && a > 0 ? html` <strong>⚠ <span class="visually-hidden">${s.item9Flag}</span></strong>` : ""}</td>`)}<td>${r.total} (${bandLabel(ctx.locale, r.band.key)})</td></tr>`)}</tbody></table></div></section>`;
        });
        const main = html`<p><a href="/groups/${params.id}/record">${s.recordTitle}</a></p><h1>${name}</h1><p class="muted">${fill(s.memberIntro, { name })}</p>
<section class="card" aria-labelledby="ins-title"><h2 id="ins-title">${s.insightsTitle}</h2>${insightList(ctx.locale, p.insights)}</section>
${perMeasure}
<section class="card" aria-labelledby="att-title"><h2 id="att-title">${s.attendanceTitle}</h2>${attendanceChart(ctx.locale, p.attendance)}</section>
${exportForm(ctx.locale, `/groups/${params.id}/record/members/${params.personId}/export`)}`;
        // The page title stays neutral: it lands in the browser's history, the name must not.
        return htmlResponse(layout(ctx, s.memberTitle, main, { styles: RECORD_STYLES, scripts: PASSKEY_SCRIPTS }), 200, { "cache-control": "no-store" });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), personId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/record/alerts",
      ({ request, query }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        // Unchanged since the page last asked: nothing to swap, nothing re-announced.
        if (query.v !== undefined && query.v === alertState(hearth, viewer.id)) return new Response(null, { status: 204 });
        return htmlResponse(alertsFragment(hearth, viewer.id, locale), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ v: t.Optional(t.String({ maxLength: 64 })) }), detail: policy({ allow: ["clinician"] }) },
    );
}

function unreadAlerts(hearth: Hearth, personId: number) {
  return listNotifications(hearth, personId, 50).filter((n) => n.kind === SAFETY_NOTICE && n.readAt === null);
}

function alertState(hearth: Hearth, personId: number): string {
  return unreadAlerts(hearth, personId).map((n) => n.id).join("-") || "0";
}

/**
 * The clinician's unread safety alerts, asked for every second from the home page (a background
 * request: it does not keep the sign-in alive; an unchanged list is a 204 and nothing moves), so
 * an alert shows within a second or two.
 */
export function alertsFragment(hearth: Hearth, personId: number, locale: Parameters<typeof recordStrings>[0]) {
  const s = recordStrings(locale);
  const alerts = unreadAlerts(hearth, personId);
  return html`<div id="record-alerts" hx-get="/record/alerts?v=${alertState(hearth, personId)}" hx-trigger="every 1s" hx-swap="outerHTML" hx-headers='{"${BACKGROUND_HEADER}": "1"}'>
${alerts.length
  ? html`<section class="card alert-card" role="alert" aria-labelledby="alerts-title"><h2 id="alerts-title">${s.alertsTitle}</h2>
<ul>${alerts.map((n) => html`<li><a href="${n.link}">${fill(s.alertsItem, { when: formatDateTime(locale, n.createdAt) })}</a></li>`)}</ul></section>`
  : ""}</div>`;
}
