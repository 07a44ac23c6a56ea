import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse, type Html } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { isHtmx, pageFor } from "../../ui/request.ts";
import { HttpError } from "../../ui/errors.ts";
import { fill, formatDateTime, LOCALE_NAMES, LOCALES, type Locale } from "../../ui/i18n.ts";
import { isCarerOf, policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../../identity/people.ts";
import { groupIdsOf, readGroup } from "../groups.ts";
import { notice, postForm } from "../views.ts";
import { WEEKDAYS } from "../schedule/recurrence.ts";
import { scheduleStrings } from "../schedule/strings.ts";
import { acceptPlacement, intakeState, placeInGroup, readIntake, submitIntake, waitingIntakes } from "./intake.ts";
import {
  FOCUS_AREAS,
  IntakeError,
  PARTS_OF_DAY,
  groupOffers,
  clinicianOffers,
  rankClinicians,
  rankGroups,
  setClinicianOffer,
  setGroupOffer,
  type FocusArea,
  type IntakeAnswers,
  type PartOfDay,
  type Reason,
  type Window,
} from "./matching.ts";
import { intakeStrings } from "./strings.ts";

/**
 * Intake and matching. A patient invited to the clinic (not to a group) answers a short form;
 * their clinician sees the groups with open seats and the clinicians ranked, each with the
 * reasons behind its score, and invites them into a group they lead; the patient accepts.
 * Clinicians describe what they offer, and the seats, focus and language of their groups.
 */
const Many = t.Optional(t.Union([t.String({ maxLength: 40 }), t.Array(t.String({ maxLength: 40 }), { maxItems: 40 })]));
const list = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []);
const CARER: RoutePolicy = { allow: ["clinician"], item: { kind: "person", param: "id", relations: ["carer"] } };

function refusal(locale: Locale, err: IntakeError): HttpError {
  const s = intakeStrings(locale);
  const key = ({ focus: "errFocus", language: "errLanguage", windows: "errWindows", preference: "errPreference", capacity: "errCapacity" } as const)[err.field];
  return new HttpError(400, s.checkTitle, s[key]);
}
function checked<T>(locale: Locale, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IntakeError) throw refusal(locale, err);
    throw err;
  }
}
function goTo(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
  return new Response(null, { status: 303, headers: { location } });
}

const focusLabel = (locale: Locale, f: FocusArea) => intakeStrings(locale)[`focus_${f}`];

function checkboxes(name: string, legend: string, options: { value: string; label: string }[], chosen: readonly string[]): Html {
  return html`<fieldset class="field"><legend>${legend}</legend>${options.map(
    (o) => html`<label class="inline"><input type="checkbox" name="${name}" value="${o.value}"${chosen.includes(o.value) ? html` checked` : ""}> ${o.label}</label> `,
  )}</fieldset>`;
}

function windowGrid(locale: Locale, name: string, legend: string, chosen: readonly string[]): Html {
  const s = intakeStrings(locale);
  const ss = scheduleStrings(locale);
  const parts = Object.keys(PARTS_OF_DAY) as PartOfDay[];
  return html`<fieldset class="field"><legend>${legend}</legend><div class="table-wrap"><table><thead><tr><td></td>${parts.map((p) => html`<th scope="col">${s[p]}</th>`)}</tr></thead><tbody>
${WEEKDAYS.map(
  (d) => html`<tr><th scope="row">${ss[`day_${d}`]}</th>${parts.map((p) => {
    const v = `${d}-${p}`;
    return html`<td><input type="checkbox" name="${name}" value="${v}" aria-label="${ss[`day_${d}`]}, ${s[p]}"${chosen.includes(v) ? html` checked` : ""}></td>`;
  })}</tr>`,
)}</tbody></table></div></fieldset>`;
}

function reasonText(locale: Locale, r: Reason, askedHow: string): string {
  const s = intakeStrings(locale);
  switch (r.kind) {
    case "focus":
      return r.matched.length ? fill(s.why_focus, { list: r.matched.map((f) => focusLabel(locale, f)).join(", ") }) : s.why_focus_none;
    case "language":
      return fill(r.fits ? s.why_language : s.why_language_no, { language: LOCALE_NAMES[r.language as Locale] ?? r.language });
    case "speaks":
      return r.fits ? s.why_speaks : s.why_speaks_no;
    case "schedule":
      return fill(s.why_schedule, { n: r.inWindows, of: r.of });
    case "seats":
      return fill(s.why_seats, { open: r.open, capacity: r.capacity });
    case "hours":
      return fill(s.why_hours, { n: r.overlap });
    case "preference":
      return fill(r.fits ? s.why_pref : s.why_pref_no, { how: askedHow });
  }
}

export function intakeRoutes(hearth: Hearth) {
  async function patientPage(locale: Locale, personId: number, done: string | undefined): Promise<Html> {
    const s = intakeStrings(locale);
    const state = intakeState(hearth, personId);
    if (state?.placedGroupId && !state.acceptedAt) {
      const g = await readGroup(hearth, personId, state.placedGroupId);
      return html`<div class="card narrow"><h1>${s.title}</h1><p>${fill(s.invited, { name: g?.name ?? "" })}</p>
${postForm("/intake/accept", html`<button type="submit">${s.accept}</button>`)}</div>`;
    }
    const mine = state ? (await readIntake(hearth, personId, personId))!.answers : null;
    const form = postForm(
      "/intake",
      html`${checkboxes("focus", s.focusLabel, FOCUS_AREAS.map((f) => ({ value: f, label: focusLabel(locale, f) })), mine?.focus ?? [])}
<div class="field"><label for="intake-language">${s.languageLabel}</label><select id="intake-language" name="language">${LOCALES.map((l) => html`<option value="${l}"${(mine?.language ?? locale) === l ? html` selected` : ""}>${LOCALE_NAMES[l]}</option>`)}</select></div>
${windowGrid(locale, "windows", s.windowsLabel, mine?.windows ?? [])}
<fieldset class="field"><legend>${s.preferenceLabel}</legend>${(["group", "individual", "either"] as const).map(
        (p) => html`<label class="inline"><input type="radio" name="preference" value="${p}"${(mine?.preference ?? "group") === p ? html` checked` : ""}> ${{ group: s.prefGroup, individual: s.prefIndividual, either: s.prefEither }[p]}</label> `,
      )}</fieldset>
<div class="actions"><button type="submit">${s.submit}</button></div>`,
    );
    return html`<div class="card narrow"><h1>${s.title}</h1>${done === "sent" ? notice("ok", s.thanks) : done === "joined" ? notice("ok", s.joined) : ""}<p>${s.intro}</p>${form}</div>`;
  }

  async function clinicianPage(locale: Locale, viewerId: number, saved: boolean): Promise<Html> {
    const s = intakeStrings(locale);
    const waiting = [];
    for (const w of waitingIntakes(hearth)) {
      if (!isCarerOf(hearth, viewerId, w.personId)) continue;
      const person = getPerson(hearth, w.personId);
      const name = await displayName(hearth, w.personId);
      if (!person || !name) continue;
      auditNameShown(hearth, viewerId, person);
      waiting.push(html`<li><a href="/intake/people/${w.personId}">${name}</a> <span class="muted">${fill(s.submittedOn, { date: formatDateTime(locale, w.submittedAt) })}${w.placedGroupId ? html` · ${s.placedIn}` : ""}</span></li>`);
    }
    const mine = clinicianOffers(hearth).find((o) => o.personId === viewerId);
    const offers = new Map(groupOffers(hearth).map((o) => [o.groupId, o]));
    const groups = [];
    for (const id of groupIdsOf(hearth.db, viewerId, ["clinician"])) {
      const g = await readGroup(hearth, viewerId, id);
      if (!g) continue;
      const o = offers.get(id);
      groups.push(html`<section class="card" aria-labelledby="offer-${id}"><h3 id="offer-${id}">${g.name}</h3>${postForm(
        `/groups/${id}/offer`,
        html`<div class="field"><label for="seats-${id}">${s.seatsLabel}</label><input type="number" id="seats-${id}" name="capacity" min="1" max="50" value="${o?.capacity ?? 8}" required></div>
${checkboxes("focus", s.groupFocusLabel, FOCUS_AREAS.map((f) => ({ value: f, label: focusLabel(locale, f) })), o?.focus ?? [])}
<div class="field"><label for="glang-${id}">${s.groupLanguageLabel}</label><select id="glang-${id}" name="language">${LOCALES.map((l) => html`<option value="${l}"${(o?.language ?? "en") === l ? html` selected` : ""}>${LOCALE_NAMES[l]}</option>`)}</select></div>
<button type="submit" class="secondary">${s.save}</button>`,
      )}</section>`);
    }
    return html`<h1>${s.reviewTitle}</h1>${saved ? notice("ok", s.saved) : ""}<p>${s.reviewIntro}</p>
<section class="card" aria-labelledby="waiting-title"><h2 id="waiting-title">${s.answersTitle}</h2>${waiting.length ? html`<ul>${waiting}</ul>` : html`<p>${s.noneWaiting}</p>`}</section>
<section aria-labelledby="groups-offer-title"><h2 id="groups-offer-title">${s.groupOfferTitle}</h2><div class="grid">${groups}</div></section>
<section class="card" aria-labelledby="profile-title"><h2 id="profile-title">${s.profileTitle}</h2><p>${s.profileIntro}</p>${postForm(
      "/intake/profile",
      html`${checkboxes("focus", s.groupFocusLabel, FOCUS_AREAS.map((f) => ({ value: f, label: focusLabel(locale, f) })), mine?.focus ?? [])}
${checkboxes("languages", s.languagesLabel, LOCALES.map((l) => ({ value: l, label: LOCALE_NAMES[l] })), mine?.languages ?? [])}
${windowGrid(locale, "hours", s.hoursLabel, mine?.hours ?? [])}
<button type="submit">${s.save}</button>`,
    )}</section>`;
  }

  return new Elysia({ name: "clinic-intake" })
    .get(
      "/intake",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = intakeStrings(ctx.locale);
        const main = viewer.role === "clinician" ? await clinicianPage(ctx.locale, viewer.id, query.done === "saved") : await patientPage(ctx.locale, viewer.id, query.done);
        return htmlResponse(layout(ctx, viewer.role === "clinician" ? s.reviewTitle : s.title, main), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ done: t.Optional(t.UnionEnum(["sent", "joined", "saved"])) }), detail: policy({ allow: ["patient", "clinician"] }) },
    )
    .post(
      "/intake",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const answers = { focus: list(body.focus), language: body.language ?? "", windows: list(body.windows), preference: body.preference ?? "" } as unknown as IntakeAnswers;
        try {
          await submitIntake(hearth, viewer.id, answers);
        } catch (err) {
          if (err instanceof IntakeError) throw refusal(locale, err);
          throw err;
        }
        return goTo(request, "/intake?done=sent");
      },
      {
        body: t.Object({ focus: Many, language: t.Optional(t.String({ maxLength: 8 })), windows: Many, preference: t.Optional(t.String({ maxLength: 20 })) }),
        detail: policy({ allow: ["patient"] }),
      },
    )
    .post(
      "/intake/accept",
      ({ request }) => {
        const viewer = requireViewer(request);
        const s = intakeStrings(pageFor(request).locale);
        if (acceptPlacement(hearth, viewer.id) === null) throw new HttpError(409, s.checkTitle, s.notYourGroup);
        return goTo(request, "/intake?done=joined");
      },
      { detail: policy({ allow: ["patient"] }) },
    )
    .post(
      "/intake/profile",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        checked(locale, () => setClinicianOffer(hearth, { personId: viewer.id, focus: list(body.focus) as FocusArea[], languages: list(body.languages), hours: list(body.hours) as Window[] }));
        return goTo(request, "/intake?done=saved");
      },
      { body: t.Object({ focus: Many, languages: Many, hours: Many }), detail: policy({ allow: ["clinician"] }) },
    )
    .post(
      "/groups/:id/offer",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        checked(locale, () => setGroupOffer(hearth, viewer.id, { groupId: params.id, capacity: Number(body.capacity), focus: list(body.focus) as FocusArea[], language: body.language }));
        return goTo(request, "/intake?done=saved");
      },
      {
        params: t.Object({ id: t.Numeric({ minimum: 1 }) }),
        body: t.Object({ capacity: t.String({ maxLength: 4 }), focus: Many, language: t.String({ maxLength: 8 }) }),
        detail: policy({ allow: ["clinician"], item: { kind: "group", param: "id" } }),
      },
    )
    .get(
      "/intake/people/:id",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = intakeStrings(ctx.locale);
        const intake = await readIntake(hearth, viewer.id, params.id);
        const person = getPerson(hearth, params.id);
        const name = await displayName(hearth, params.id);
        if (!intake || !person) throw new HttpError(404, s.checkTitle, s.noneWaiting);
        auditNameShown(hearth, viewer.id, person);
        const a = intake.answers;
        const how = { group: s.prefGroup, individual: s.prefIndividual, either: s.prefEither }[a.preference].toLowerCase();
        const leads = new Set(groupIdsOf(hearth.db, viewer.id, ["clinician"]));
        const groupItems = [];
        for (const r of rankGroups(hearth, a)) {
          const g = await readGroup(hearth, viewer.id, r.item.groupId);
          if (!g) continue;
          groupItems.push(html`<li class="card"><h3>${g.name} <span class="tag">${fill(s.score, { n: r.score })}</span></h3><ul>${r.reasons.map((x) => html`<li>${reasonText(ctx.locale, x, how)}</li>`)}</ul>
${leads.has(g.id) ? postForm(`/intake/people/${params.id}/place`, html`<input type="hidden" name="groupId" value="${g.id}"><button type="submit">${s.place}</button>`) : ""}</li>`);
        }
        const clinicianItems = [];
        for (const r of rankClinicians(hearth, a)) {
          const cname = await displayName(hearth, r.item.personId);
          if (!cname) continue;
          clinicianItems.push(html`<li class="card"><h3>${cname} <span class="tag">${fill(s.score, { n: r.score })}</span></h3><ul>${r.reasons.map((x) => html`<li>${reasonText(ctx.locale, x, how)}</li>`)}</ul></li>`);
        }
        const main = html`<p><a href="/intake">${s.reviewTitle}</a></p><h1>${name ?? ""}</h1>${query.done ? notice("ok", s.placed) : ""}
<section class="card" aria-labelledby="answers-title"><h2 id="answers-title">${s.answersTitle}</h2><dl>
<dt>${s.focusLabel}</dt><dd>${a.focus.map((f) => focusLabel(ctx.locale, f)).join(", ")}</dd>
<dt>${s.languageLabel}</dt><dd>${LOCALE_NAMES[a.language as Locale] ?? a.language}</dd>
<dt>${s.windowsLabel}</dt><dd>${a.windows.map((w) => `${scheduleStrings(ctx.locale)[`day_${w.slice(0, 2) as (typeof WEEKDAYS)[number]}`]} ${s[w.slice(3) as PartOfDay].toLowerCase()}`).join(", ")}</dd>
<dt>${s.preferenceLabel}</dt><dd>${how}</dd></dl></section>
<section aria-labelledby="ranked-groups"><h2 id="ranked-groups">${s.groupsTitle}</h2>${groupItems.length ? html`<ol class="grid">${groupItems}</ol>` : html`<p>${s.noGroups}</p>`}</section>
<section aria-labelledby="ranked-clinicians"><h2 id="ranked-clinicians">${s.cliniciansTitle}</h2>${clinicianItems.length ? html`<ol class="grid">${clinicianItems}</ol>` : html`<p>${s.noClinicians}</p>`}</section>`;
        return htmlResponse(layout(ctx, s.reviewTitle, main), 200, { "cache-control": "no-store" });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), query: t.Object({ done: t.Optional(t.Literal("placed")) }), detail: policy(CARER) },
    )
    .post(
      "/intake/people/:id/place",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const s = intakeStrings(pageFor(request).locale);
        if (!placeInGroup(hearth, viewer.id, params.id, body.groupId)) throw new HttpError(403, s.checkTitle, s.notYourGroup);
        return goTo(request, `/intake/people/${params.id}?done=placed`);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Object({ groupId: t.Numeric({ minimum: 1 }) }), detail: policy(CARER) },
    );
}
