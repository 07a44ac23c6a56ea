import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { isHtmx, pageFor } from "../../ui/request.ts";
import { HttpError } from "../../ui/errors.ts";
import type { Locale } from "../../ui/i18n.ts";
import { policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../../identity/people.ts";
import { membersOf, readGroup } from "../groups.ts";
import { notice } from "../views.ts";
import { RecurrenceError, WEEKDAYS, wallToUtc, type Recurrence, type WeekdayCode } from "./recurrence.ts";
import {
  archiveSchedule,
  cancelOccurrence,
  clinicZone,
  createSchedule,
  moveOccurrence,
  openLeadMinutes,
  plannedSessions,
  refacilitateOccurrence,
  scheduleById,
  setClinicZone,
  setOpenLeadMinutes,
  updateSchedule,
} from "./schedules.ts";
import { scheduleStrings } from "./strings.ts";
import { occurrenceTable, scheduleForm, type OccurrenceRow } from "./views.ts";

/**
 * A group's schedules, for its clinicians: add one from the group page, change or end it, and
 * cancel, move or re-assign one session without touching the rest. The clinic's zone and how
 * early sessions open are the admin's (/admin/clinic). Every refusal names the field.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const ScheduleParams = t.Object({ id: t.Numeric({ minimum: 1 }), scheduleId: t.Numeric({ minimum: 1 }) });
const OccurrenceParams = t.Object({ id: t.Numeric({ minimum: 1 }), scheduleId: t.Numeric({ minimum: 1 }), wall: t.Numeric() });
const Field = t.String({ maxLength: 40 });
const ScheduleBody = t.Object({
  startsOn: Field,
  time: Field,
  durationMin: Field,
  days: t.Optional(t.Union([Field, t.Array(Field, { maxItems: 7 })])),
  interval: Field,
  ends: t.Optional(t.UnionEnum(["count", "until"])),
  count: t.Optional(Field),
  until: t.Optional(Field),
});

const ERR_KEY = {
  startsOn: "errStartsOn",
  time: "errTime",
  durationMin: "errDurationMin",
  days: "errDays",
  interval: "errInterval",
  count: "errCount",
  until: "errUntil",
  zone: "errZone",
} as const;

/** A RecurrenceError in the person's language, naming the field. */
export function recurrenceRefusal(locale: Locale, err: RecurrenceError): HttpError {
  const s = scheduleStrings(locale);
  const message = err.field === "until" && /before/.test(err.message) ? s.errUntilBefore : s[ERR_KEY[err.field]];
  return new HttpError(400, s.checkTitle, message);
}

function num(field: RecurrenceError["field"], raw: string | undefined): number {
  const v = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isFinite(v)) throw new RecurrenceError(field, "must be a number");
  return v;
}

/** The form's fields as a Recurrence in the clinic's zone (numbers checked here, the rule by ruleOf). */
export function recurrenceFrom(body: typeof ScheduleBody.static, zone: string): Recurrence {
  const days = (Array.isArray(body.days) ? body.days : body.days ? [body.days] : []).map((d) => d.toUpperCase());
  if (days.some((d) => !(WEEKDAYS as readonly string[]).includes(d))) throw new RecurrenceError("days", "unknown day");
  const r: Recurrence = {
    startsOn: body.startsOn.trim(),
    time: body.time.trim().slice(0, 5),
    durationMin: num("durationMin", body.durationMin),
    zone,
    days: days as WeekdayCode[],
    interval: num("interval", body.interval),
  };
  if ((body.ends ?? "count") === "count") r.count = num("count", body.count);
  else r.until = (body.until ?? "").trim();
  return r;
}

function goTo(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
  return new Response(null, { status: 303, headers: { location } });
}

/** Runs a change; a RecurrenceError becomes a 400 naming the field (nothing stored changed). */
function checked<T>(locale: Locale, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RecurrenceError) throw recurrenceRefusal(locale, err);
    throw err;
  }
}

export function scheduleRoutes(hearth: Hearth) {
  function scheduleOf(locale: Locale, groupId: number, scheduleId: number) {
    const sc = scheduleById(hearth, scheduleId);
    if (!sc || sc.groupId !== groupId) throw new HttpError(404, scheduleStrings(locale).checkTitle, scheduleStrings(locale).scheduleGone);
    return sc;
  }

  return new Elysia({ name: "clinic-schedules" })
    .post(
      "/groups/:id/schedules",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const id = checked(locale, () => createSchedule(hearth, viewer.id, params.id, recurrenceFrom(body, clinicZone(hearth))));
        // To the new schedule's sessions, where single ones can be changed.
        return goTo(request, `/groups/${params.id}/schedules/${id}?saved=1`);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: ScheduleBody, detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/groups/:id/schedules/:scheduleId",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = scheduleStrings(ctx.locale);
        const sc = scheduleOf(ctx.locale, params.id, params.scheduleId);
        const group = await readGroup(hearth, viewer.id, params.id);
        if (!group) throw new HttpError(404, s.checkTitle, s.scheduleGone);
        const clinicians: { id: number; name: string }[] = [];
        for (const m of membersOf(hearth.db, params.id).filter((m) => m.role === "clinician")) {
          const person = getPerson(hearth, m.personId);
          const name = await displayName(hearth, m.personId);
          if (person && name) {
            auditNameShown(hearth, viewer.id, person);
            clinicians.push({ id: m.personId, name });
          }
        }
        const rows: OccurrenceRow[] = plannedSessions(hearth, [params.id], 0, Date.UTC(2100, 0))
          .filter((p) => p.scheduleId === sc.id)
          .map((p) => ({ p, facilitator: clinicians.find((c) => c.id === p.facilitatorId)?.name ?? null }));
        const main = html`<p><a href="/groups/${params.id}">${s.backToGroup}</a></p><h1>${s.editTitle}</h1>
${query.saved ? notice("ok", s.saved) : ""}<p>${group.name} (${sc.zone})</p>
<section class="card" aria-labelledby="rule-title"><h2 id="rule-title">${s.schedulesTitle}</h2>${scheduleForm(ctx.locale, `/groups/${params.id}/schedules/${sc.id}`, sc.recurrence)}
<form method="post" action="/groups/${params.id}/schedules/${sc.id}/archive" hx-post="/groups/${params.id}/schedules/${sc.id}/archive" hx-confirm="${s.endScheduleConfirm}"><button type="submit" class="danger">${s.endSchedule}</button></form></section>
<section class="card" aria-labelledby="occ-title"><h2 id="occ-title">${s.occurrencesTitle}</h2>${occurrenceTable(ctx.locale, params.id, sc.id, rows, clinicians)}</section>`;
        return htmlResponse(layout(ctx, s.editTitle, main), 200, { "cache-control": "no-store" });
      },
      { params: ScheduleParams, query: t.Object({ saved: t.Optional(t.Literal("1")) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/schedules/:scheduleId",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const sc = scheduleOf(locale, params.id, params.scheduleId);
        checked(locale, () => updateSchedule(hearth, viewer.id, sc.id, recurrenceFrom(body, sc.zone)));
        return goTo(request, `/groups/${params.id}/schedules/${sc.id}?saved=1`);
      },
      { params: ScheduleParams, body: ScheduleBody, detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/schedules/:scheduleId/archive",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const sc = scheduleOf(pageFor(request).locale, params.id, params.scheduleId);
        archiveSchedule(hearth, viewer.id, sc.id);
        return goTo(request, `/groups/${params.id}`);
      },
      { params: ScheduleParams, detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/schedules/:scheduleId/occurrences/:wall/cancel",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const sc = scheduleOf(locale, params.id, params.scheduleId);
        checked(locale, () => cancelOccurrence(hearth, viewer.id, sc.id, params.wall, body.cancelled === "1"));
        return goTo(request, `/groups/${params.id}/schedules/${sc.id}?saved=1`);
      },
      { params: OccurrenceParams, body: t.Object({ cancelled: t.UnionEnum(["0", "1"]) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/schedules/:scheduleId/occurrences/:wall/move",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = scheduleStrings(locale);
        const sc = scheduleOf(locale, params.id, params.scheduleId);
        const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(body.date.trim());
        const tm = /^([01]\d|2[0-3]):([0-5]\d)/.exec(body.time.trim());
        if (!d || !tm) throw new HttpError(400, s.checkTitle, s.errMoveWhen);
        const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(tm[1]), Number(tm[2]));
        if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== Number(d[3])) throw new HttpError(400, s.checkTitle, s.errMoveWhen);
        checked(locale, () => moveOccurrence(hearth, viewer.id, sc.id, params.wall, wallToUtc(sc.zone, wall)));
        return goTo(request, `/groups/${params.id}/schedules/${sc.id}?saved=1`);
      },
      { params: OccurrenceParams, body: t.Object({ date: Field, time: Field }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/schedules/:scheduleId/occurrences/:wall/facilitator",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = scheduleStrings(locale);
        const sc = scheduleOf(locale, params.id, params.scheduleId);
        const who = body.facilitatorId === 0 ? null : body.facilitatorId;
        if (who !== null && !membersOf(hearth.db, params.id).some((m) => m.personId === who && m.role === "clinician")) throw new HttpError(400, s.checkTitle, s.errFacilitator);
        checked(locale, () => refacilitateOccurrence(hearth, viewer.id, sc.id, params.wall, who));
        return goTo(request, `/groups/${params.id}/schedules/${sc.id}?saved=1`);
      },
      { params: OccurrenceParams, body: t.Object({ facilitatorId: t.Numeric({ minimum: 0 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/admin/clinic",
      ({ request, query }) => {
        const ctx = pageFor(request);
        const s = scheduleStrings(ctx.locale);
        const main = html`<div class="card narrow"><h1>${s.clinicTitle}</h1>${query.saved ? notice("ok", s.saved) : ""}<p>${s.clinicIntro}</p>
<form method="post" action="/admin/clinic" hx-post="/admin/clinic">
<div class="field"><label for="zone">${s.zoneLabel}</label><input type="text" id="zone" name="zone" value="${clinicZone(hearth)}" required autocomplete="off" spellcheck="false"></div>
<div class="field"><label for="lead">${s.leadLabel}</label><input type="number" id="lead" name="lead" min="0" max="120" value="${openLeadMinutes(hearth)}" required></div>
<div class="actions"><button type="submit">${s.saveClinic}</button></div></form></div>`;
        return htmlResponse(layout(ctx, s.clinicTitle, main));
      },
      { query: t.Object({ saved: t.Optional(t.Literal("1")) }), detail: policy({ allow: ["admin"] }) },
    )
    .post(
      "/admin/clinic",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = scheduleStrings(locale);
        const lead = Number(body.lead);
        // Both checked before either is stored: a refusal changes nothing.
        checked(locale, () => setClinicZone(hearth, viewer.id, body.zone.trim(), true));
        if (!Number.isInteger(lead) || lead < 0 || lead > 120) throw new HttpError(400, s.checkTitle, s.errLead);
        setClinicZone(hearth, viewer.id, body.zone.trim());
        setOpenLeadMinutes(hearth, viewer.id, lead);
        return goTo(request, "/admin/clinic?saved=1");
      },
      { body: t.Object({ zone: t.String({ maxLength: 64 }), lead: Field }), detail: policy({ allow: ["admin"] }) },
    );
}
