import { html, type Html } from "../../ui/html.ts";
import { fill, INTL_TAGS, type Locale } from "../../ui/i18n.ts";
import { postForm } from "../views.ts";
import { localParts, WEEKDAYS, type Recurrence, type WeekdayCode } from "./recurrence.ts";
import type { PlannedSession, Schedule } from "./schedules.ts";
import { scheduleStrings } from "./strings.ts";

/** Schedule and calendar page parts. Every value is escaped by html``; nothing here opens sealed data. */

/** "Tue 3 Mar 2026", in the zone the time belongs to. */
const dayFormats = new Map<string, Intl.DateTimeFormat>();
export function dayText(locale: Locale, zone: string, ms: number): string {
  const key = `${locale} ${zone}`;
  let f = dayFormats.get(key);
  if (!f) dayFormats.set(key, (f = new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric" })));
  return f.format(ms);
}

/** "Tue 3 Mar 2026, 18:00 (America/Toronto)": a time always comes with its zone named. */
export function whenText(locale: Locale, zone: string, ms: number): string {
  return fill(scheduleStrings(locale).whenLine, { date: dayText(locale, zone, ms), time: localParts(zone, ms).time, zone });
}

export function summaryOf(locale: Locale, r: Recurrence): string {
  const s = scheduleStrings(locale);
  const days = r.days.map((d) => s[`day_${d}`]).join(", ");
  const end = r.count !== undefined ? fill(s.summaryCount, { n: r.count }) : fill(s.summaryUntil, { until: r.until ?? "" });
  return `${fill(s.summary, { days, time: r.time, minutes: r.durationMin, interval: r.interval, start: r.startsOn })}, ${end}`;
}

/** The form that makes or changes a schedule; an htmx post, so a refusal keeps what was typed. */
export function scheduleForm(locale: Locale, action: string, r: Partial<Recurrence> = {}): Html {
  const s = scheduleStrings(locale);
  const id = (name: string) => `${name}-${action.replace(/\W+/g, "-")}`;
  const chosen = new Set<WeekdayCode>(r.days ?? []);
  const byCount = r.until === undefined;
  return postForm(
    action,
    html`<div class="field"><label for="${id("startsOn")}">${s.startsOnLabel}</label><input type="date" id="${id("startsOn")}" name="startsOn" value="${r.startsOn ?? ""}" required></div>
<div class="field"><label for="${id("time")}">${s.timeLabel}</label><input type="time" id="${id("time")}" name="time" value="${r.time ?? "18:00"}" required></div>
<div class="field"><label for="${id("durationMin")}">${s.durationLabel}</label><input type="number" id="${id("durationMin")}" name="durationMin" min="5" max="600" value="${r.durationMin ?? 90}" required></div>
<fieldset class="field"><legend>${s.daysLabel}</legend>
${WEEKDAYS.map((d) => html`<label class="inline"><input type="checkbox" name="days" value="${d}"${chosen.has(d) ? html` checked` : ""}> ${s[`day_${d}`]}</label> `)}
</fieldset>
<div class="field"><label for="${id("interval")}">${s.intervalLabel}</label><input type="number" id="${id("interval")}" name="interval" min="1" max="52" value="${r.interval ?? 1}" required></div>
<fieldset class="field"><legend>${s.endLabel}</legend>
<label class="inline"><input type="radio" name="ends" value="count"${byCount ? html` checked` : ""}> ${s.endCount}</label>
<label class="inline"><input type="radio" name="ends" value="until"${byCount ? "" : html` checked`}> ${s.endUntil}</label>
<div class="field"><label for="${id("count")}">${s.countLabel}</label><input type="number" id="${id("count")}" name="count" min="1" max="520" value="${r.count ?? 8}"></div>
<div class="field"><label for="${id("until")}">${s.untilLabel}</label><input type="date" id="${id("until")}" name="until" value="${r.until ?? ""}"></div>
</fieldset>
<div class="actions"><button type="submit">${s.saveSchedule}</button></div>`,
  );
}

/** The group page's schedule box: each schedule in words with "Change", and a form to add one. */
export function scheduleSection(locale: Locale, groupId: number, schedules: Schedule[], zone: string, leadMin: number): Html {
  const s = scheduleStrings(locale);
  const list = schedules.length
    ? html`<ul>${schedules.map((sc) => html`<li>${summaryOf(locale, sc.recurrence)} (${sc.zone}) <a href="/groups/${groupId}/schedules/${sc.id}">${s.changeSchedule}</a></li>`)}</ul>`
    : html`<p>${s.noSchedules}</p>`;
  return html`<section class="card" aria-labelledby="schedule-title"><h2 id="schedule-title">${s.schedulesTitle}</h2>
<p>${fill(s.schedulesIntro, { lead: leadMin, zone })}</p>${list}
<p><a href="/calendar/groups/${groupId}">${s.groupCalendarTitle}</a></p>
<details><summary>${s.newSchedule}</summary>${scheduleForm(locale, `/groups/${groupId}/schedules`)}</details></section>`;
}

export interface OccurrenceRow {
  p: PlannedSession;
  facilitator: string | null;
}

/** The sessions of one schedule, each with its own cancel / move / facilitator. */
export function occurrenceTable(locale: Locale, groupId: number, scheduleId: number, rows: OccurrenceRow[], clinicians: { id: number; name: string }[]): Html {
  const s = scheduleStrings(locale);
  return html`<div class="table-wrap"><table><thead><tr><th scope="col">${s.colWhen}</th><th scope="col">${s.colState}</th><th scope="col">${s.colFacilitator}</th><th scope="col">${s.colActions}</th></tr></thead><tbody>
${rows.map(({ p, facilitator }) => {
  const base = `/groups/${groupId}/schedules/${scheduleId}/occurrences/${p.wall}`;
  const when = whenText(locale, p.zone, p.startsAt);
  const local = localParts(p.zone, p.startsAt);
  const key = `o${p.wall}`;
  return html`<tr><td>${p.cancelled ? html`<s>${when}</s>` : when}</td>
<td>${p.cancelled ? html`<strong class="tag">${s.stateCancelled}</strong>` : p.moved ? html`<span class="tag">${s.stateMoved}</span>` : s.statePlanned}</td>
<td>${facilitator ?? s.usualFacilitators}</td>
<td>${postForm(`${base}/cancel`, html`<input type="hidden" name="cancelled" value="${p.cancelled ? "0" : "1"}"><button type="submit" class="secondary">${p.cancelled ? s.restoreOne : s.cancelOne}</button>`)}
<details><summary>${s.moveTo}</summary>${postForm(
    `${base}/move`,
    html`<div class="field"><label for="${key}-date">${s.moveDate}</label><input type="date" id="${key}-date" name="date" value="${local.date}" required></div>
<div class="field"><label for="${key}-time">${s.moveTime}</label><input type="time" id="${key}-time" name="time" value="${local.time}" required></div><button type="submit" class="secondary">${s.moveOne}</button>`,
  )}</details>
${clinicians.length
  ? postForm(
      `${base}/facilitator`,
      html`<label for="${key}-fac">${s.facilitatorLabel}</label> <select id="${key}-fac" name="facilitatorId"><option value="0">${s.usualFacilitators}</option>${clinicians.map((c) => html`<option value="${c.id}"${p.facilitatorId === c.id ? html` selected` : ""}>${c.name}</option>`)}</select> <button type="submit" class="secondary">${s.setFacilitator}</button>`,
    )
  : ""}</td></tr>`;
})}</tbody></table></div>`;
}

export interface WeekItem {
  p: PlannedSession;
  groupName: string;
  otherFacilitator: boolean;
}

/** A clinician's week, Monday to Sunday in the clinic's zone, cancelled sessions marked. */
export function weekView(locale: Locale, zone: string, days: { date: string; startMs: number }[], items: WeekItem[], prev: string, next: string): Html {
  const s = scheduleStrings(locale);
  return html`<h1>${fill(s.weekTitle, { date: dayText(locale, zone, days[0]!.startMs) })}</h1><p>${fill(s.weekIntro, { zone })}</p>
<nav class="actions" aria-label="${s.navCalendar}"><a class="button secondary" href="/calendar?week=${prev}">${s.prevWeek}</a><a class="button secondary" href="/calendar?week=${next}">${s.nextWeek}</a></nav>
<div class="week">${days.map((d, i) => {
    const mine = items.filter((it) => it.p.startsAt >= d.startMs && it.p.startsAt < (days[i + 1]?.startMs ?? Infinity));
    return html`<section class="card" aria-labelledby="day-${d.date}"><h2 id="day-${d.date}">${dayText(locale, zone, d.startMs + 12 * 3_600_000)}</h2>
${mine.length
  ? html`<ul>${mine.map(
      (it) => html`<li${it.p.cancelled ? html` class="cancelled"` : ""}>${it.p.cancelled ? html`<strong class="tag">${s.cancelledMark}</strong> <s>` : ""}${localParts(zone, it.p.startsAt).time}–${localParts(zone, it.p.endsAt).time} <a href="/groups/${it.p.groupId}">${it.groupName}</a>${it.p.cancelled ? html`</s>` : ""}${it.p.moved ? html` <span class="tag">${s.movedMark}</span>` : ""}${it.otherFacilitator ? html` <span class="muted">${s.otherFacilitator}</span>` : ""}</li>`,
    )}</ul>`
  : html`<p class="muted">${s.noSessionsDay}</p>`}</section>`;
  })}</div>`;
}
