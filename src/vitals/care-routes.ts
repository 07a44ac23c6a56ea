// The clinician's side: a patient's vitals (charts beside the thresholds that watch them), the
// devices lent to them, and the home-page line that points at patients whose readings alert.
// Every route acts on a patient the clinician cares for (policy: person, carer).
import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor, isHtmx } from "../ui/request.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { isCarerOf, policy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { extendHome } from "../identity/extensions.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { HttpError } from "../ui/errors.ts";
import { assignDevice, assignmentsOf, type Assignment } from "./assignments.ts";
import { readingsOf } from "./readings.ts";
import { MEASURES, measureName, vitalsChart } from "./chart.ts";
import { CLEAR_AFTER, RAISE_AFTER, setThreshold, thresholdsOf } from "./thresholds.ts";
import { vitalsStrings } from "./strings.ts";
import { provideVitalsExport } from "./fhir.ts";
import { groupIdsOf } from "../clinic/groups.ts";
import { historyOf } from "../clinic/record/measures.ts";
import { PHQ9 } from "../clinic/record/instruments.ts";
import { scoreChart } from "../clinic/record/charts.ts";

const CARER = { allow: ["clinician"] as const, item: { kind: "person", param: "personId", relations: ["carer"] } as const };
const WEEK_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

function back(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
  return new Response(null, { status: 303, headers: { location } });
}

export function assignmentState(locale: Locale, a: Assignment, now: number): string {
  const s = vitalsStrings(locale);
  if (a.declinedAt) return s.declined;
  if (a.endsAt !== null && a.endsAt <= now) return s.ended;
  return a.consentedAt ? s.consented : s.waitingConsent;
}

export function periodText(locale: Locale, a: { startsAt: number; endsAt: number | null }): string {
  const s = vitalsStrings(locale);
  const day = (ms: number) => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(ms);
  return a.endsAt === null ? fill(s.openEnded, { from: day(a.startsAt) }) : fill(s.period, { from: day(a.startsAt), until: day(a.endsAt - DAY_MS) });
}

function freeDevices(hearth: Hearth): { id: string; name: string }[] {
  return hearth.db.query("SELECT id, name FROM vitals_devices WHERE revoked_at IS NULL ORDER BY name").all() as { id: string; name: string }[];
}

/** A day typed in a date field, as the start of that day (UTC), or an error naming the field. */
function day(locale: Locale, value: string, field: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, vitalsStrings(locale).badRequest, fill(vitalsStrings(locale).assignDate, { field }));
  return ms;
}

function numberOrNull(locale: Locale, value: string | undefined, field: string): number | null {
  if (value === undefined || value.trim() === "") return null;
  const n = Number(value.replace(",", "."));
  if (!Number.isFinite(n)) throw new HttpError(400, vitalsStrings(locale).badRequest, fill(vitalsStrings(locale).thresholdNumber, { field }));
  return n;
}

async function patientPage(hearth: Hearth, request: Request, patientId: number): Promise<Html> {
  const ctx = pageFor(request);
  const s = vitalsStrings(ctx.locale);
  const viewer = requireViewer(request);
  const person = getPerson(hearth, patientId);
  const name = (await displayName(hearth, patientId)) ?? "";
  if (person) auditNameShown(hearth, viewer.id, person);
  const readings = await readingsOf(hearth, viewer.id, patientId, { since: hearth.now() - WEEK_MS, limit: 5000 });
  const thresholds = thresholdsOf(hearth, patientId);
  const assignments = assignmentsOf(hearth, patientId);
  const devices = freeDevices(hearth);
  const today = new Date(hearth.now()).toISOString().slice(0, 10);
  const charts = MEASURES.map((m) => vitalsChart(ctx.locale, m.loinc, readings, thresholds.find((x) => x.loinc === m.loinc)));
  // Beside the vitals, the PHQ-9 scores the patient gave in this clinician's groups (the record's chart).
  const mine = new Set(groupIdsOf(hearth.db, viewer.id, ["clinician"]));
  const shared = groupIdsOf(hearth.db, patientId, ["member"]).filter((g) => mine.has(g));
  const phq9 = shared.length ? await historyOf(hearth, viewer.id, patientId, { instrument: "phq9", groupIds: shared }) : [];
  const main = html`<h1>${fill(s.vitalsOf, { name })}</h1><p class="muted">${s.chartsIntro}</p>
${phq9.length ? html`<section class="card" aria-labelledby="phq9-h"><h2 id="phq9-h">${PHQ9.short}</h2>${scoreChart(ctx.locale, PHQ9, phq9.map((r) => ({ at: r.answeredAt, value: r.total })), { last: 6 })}
<p>${shared.map((g) => html`<a href="/groups/${g}/record/members/${patientId}">${s.recordLink}</a> `)}</p></section>` : ""}
<div class="vitals-charts">${charts}</div>
<section class="card" aria-labelledby="thresholds-h"><h2 id="thresholds-h">${s.thresholdsTitle}</h2>
<p class="muted">${fill(s.thresholdsIntro, { raise: RAISE_AFTER, clear: CLEAR_AFTER })}</p>
${thresholds.length
  ? html`<ul>${thresholds.map((x) => html`<li>${measureName(ctx.locale, x.loinc)}: ${x.below !== null ? html`${s.belowLabel} ${x.below}` : ""} ${x.above !== null ? html`${s.aboveLabel} ${x.above}` : ""} · <strong>${x.alerting ? s.alerting : s.calm}</strong></li>`)}</ul>`
  : html`<p>${s.noThresholds}</p>`}
<form method="post" action="/vitals/patients/${patientId}/thresholds" hx-post="/vitals/patients/${patientId}/thresholds">
<div class="field"><label for="loinc">${s.measureLabel}</label><select id="loinc" name="loinc">${MEASURES.map((m) => html`<option value="${m.loinc}">${measureName(ctx.locale, m.loinc)}</option>`)}</select></div>
<div class="field"><label for="below">${s.belowLabel}</label><input id="below" name="below" inputmode="decimal" autocomplete="off"></div>
<div class="field"><label for="above">${s.aboveLabel}</label><input id="above" name="above" inputmode="decimal" autocomplete="off"></div>
<button type="submit">${s.saveThreshold}</button></form></section>
<section class="card" aria-labelledby="assign-h"><h2 id="assign-h">${s.assignTitle}</h2><p class="muted">${s.assignIntro}</p>
${assignments.length
  ? html`<ul>${assignments.map((a) => html`<li>${a.deviceName}: ${periodText(ctx.locale, a)} · ${assignmentState(ctx.locale, a, hearth.now())}</li>`)}</ul>`
  : html`<p>${s.noAssignments}</p>`}
${devices.length
  ? html`<form method="post" action="/vitals/patients/${patientId}/assignments" hx-post="/vitals/patients/${patientId}/assignments">
<div class="field"><label for="deviceId">${s.deviceLabel}</label><select id="deviceId" name="deviceId">${devices.map((d) => html`<option value="${d.id}">${d.name}</option>`)}</select></div>
<div class="field"><label for="starts">${s.startsLabel}</label><input type="date" id="starts" name="starts" value="${today}" required></div>
<div class="field"><label for="ends">${s.endsLabel}</label><input type="date" id="ends" name="ends"></div>
<button type="submit">${s.assignButton}</button></form>`
  : html`<p>${s.noDevices}</p>`}
</section>`;
  return layout(ctx, fill(s.vitalsOf, { name }), main);
}

/** The clinician's home line: patients with a device lent, and how many are alerting. */
async function homeLine(hearth: Hearth, clinicianId: number, locale: Locale): Promise<Html | null> {
  const s = vitalsStrings(locale);
  const patients = (hearth.db.query("SELECT DISTINCT patient_id FROM vitals_assignments WHERE consented_at IS NOT NULL AND declined_at IS NULL").all() as { patient_id: number }[])
    .map((r) => r.patient_id).filter((id) => isCarerOf(hearth, clinicianId, id));
  if (!patients.length) return null;
  const alerting = patients.filter((id) => hearth.db.query("SELECT 1 FROM vitals_threshold_state WHERE patient_id = ? AND alerting = 1").get(id) !== null);
  const items: Html[] = [];
  for (const id of patients) {
    const person = getPerson(hearth, id);
    if (person) auditNameShown(hearth, clinicianId, person);
    items.push(html`<li><a href="/vitals/patients/${id}">${(await displayName(hearth, id)) ?? ""}</a>${alerting.includes(id) ? html` · <strong>${s.alerting}</strong>` : ""}</li>`);
  }
  return html`<section class="card" aria-labelledby="home-vitals"><h2 id="home-vitals">${s.homeTitle}</h2>
${alerting.length ? html`<p><strong>${fill(s.homeAlerting, { n: alerting.length })}</strong></p>` : ""}
<p>${s.homePatients}</p><ul>${items}</ul></section>`;
}

export function vitalsCareRoutes(hearth: Hearth) {
  extendHome(hearth, "vitals", (_request, viewer, locale) => (viewer.role === "clinician" ? homeLine(hearth, viewer.id, locale) : null));
  provideVitalsExport(hearth);
  return new Elysia({ name: "vitals-care" })
    .get("/vitals/patients/:personId", async ({ request, params }) => htmlResponse(await patientPage(hearth, request, params.personId), 200, { "cache-control": "no-store" }), {
      params: t.Object({ personId: t.Integer({ minimum: 1 }) }),
      detail: policy(CARER),
    })
    .post("/vitals/patients/:personId/thresholds", ({ request, params, body }) => {
      const ctx = pageFor(request);
      const s = vitalsStrings(ctx.locale);
      const below = numberOrNull(ctx.locale, body.below, s.belowLabel);
      const above = numberOrNull(ctx.locale, body.above, s.aboveLabel);
      if (below !== null && above !== null && below >= above) throw new HttpError(400, s.badRequest, s.thresholdOrder);
      setThreshold(hearth, requireViewer(request).id, params.personId, { loinc: body.loinc, below, above });
      return back(request, `/vitals/patients/${params.personId}`);
    }, {
      params: t.Object({ personId: t.Integer({ minimum: 1 }) }),
      body: t.Object({ loinc: t.UnionEnum(MEASURES.map((m) => m.loinc) as [string, ...string[]]), below: t.Optional(t.String({ maxLength: 12 })), above: t.Optional(t.String({ maxLength: 12 })) }),
      detail: policy(CARER),
    })
    .post("/vitals/patients/:personId/assignments", ({ request, params, body }) => {
      const ctx = pageFor(request);
      const s = vitalsStrings(ctx.locale);
      const startsAt = day(ctx.locale, body.starts, s.startsLabel);
      const endsAt = body.ends ? day(ctx.locale, body.ends, s.endsLabel) + DAY_MS : null;
      const r = assignDevice(hearth, requireViewer(request).id, { deviceId: body.deviceId, patientId: params.personId, startsAt, endsAt });
      if (!r.ok) {
        const message = { "no-device": s.assignNoDevice, revoked: s.assignRevoked, "bad-period": s.assignBadPeriod, overlap: s.assignOverlap }[r.error];
        throw new HttpError(400, s.badRequest, message);
      }
      return back(request, `/vitals/patients/${params.personId}`);
    }, {
      params: t.Object({ personId: t.Integer({ minimum: 1 }) }),
      body: t.Object({ deviceId: t.String({ maxLength: 64 }), starts: t.String({ maxLength: 10 }), ends: t.Optional(t.String({ maxLength: 10 })) }),
      detail: policy(CARER),
    });
}

