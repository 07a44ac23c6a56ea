import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse, type Html } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { pageFor } from "../../ui/request.ts";
import { fill, type Locale } from "../../ui/i18n.ts";
import { policy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { groupIdsOf } from "../groups.ts";
import { INSTRUMENTS, MEASURE_LANGUAGES, instrument, isMeasureLanguage, type Instrument, type MeasureLanguage } from "./instruments.ts";
import { NotDueError, assignmentById, dueFor, historyOf, isDue, submitResponse } from "./measures.ts";
import { scoreChart } from "./charts.ts";
import { bandLabel, recordStrings } from "./strings.ts";
import { RECORD_STYLES, goTo, okNotice, refuse } from "./views.ts";
import { exportForm } from "./export-routes.ts";
import { PASSKEY_SCRIPTS } from "../../identity/views.ts";

/**
 * The member's side of measures: what is waiting for them, the questionnaire itself (the
 * published wording in English, French or Spanish, one fieldset of radio buttons per question,
 * so it works with the keyboard and a screen reader and without JavaScript), and their own
 * history. Every query is by the viewer's own id: there is no one else's item to reach.
 */
const PATIENTS = { allow: ["patient"] } as const;
const LANGUAGE_NAMES: Record<MeasureLanguage, string> = { en: "English", fr: "Français", es: "Español" };
/** The clinic's crisis resources: the safety capability serves them, public, at /crisis. */
export const CRISIS_PATH = "/crisis";

function defaultLanguage(locale: Locale): MeasureLanguage {
  return isMeasureLanguage(locale) ? locale : "en";
}

export function questionnaireForm(opts: {
  inst: Instrument;
  language: MeasureLanguage;
  action: string;
  locale: Locale;
  given?: Record<string, string | undefined>;
  missing?: number;
}): Html {
  const s = recordStrings(opts.locale);
  const w = opts.inst.wording[opts.language];
  const given = opts.given ?? {};
  const radios = (name: string, labels: readonly string[], required: boolean) =>
    labels.map(
      (label, v) =>
        html`<label class="choice"><input type="radio" name="${name}" value="${v}"${given[name] === String(v) ? html` checked` : ""}${required ? html` required` : ""}> <span>${label}</span></label>`,
    );
  return html`<form method="post" action="${opts.action}" class="questionnaire" lang="${opts.language}">
<input type="hidden" name="language" value="${opts.language}">
<p id="stem" class="stem">${w.stem}</p>
${w.items.map((item, i) => {
  const n = i + 1;
  const wrong = opts.missing === n;
  return html`<fieldset id="q${n}-set"${wrong ? html` class="invalid" aria-invalid="true" aria-describedby="q${n}-error"` : ""}><legend>${n}. ${item}</legend>
${wrong ? html`<p class="field-error" id="q${n}-error" lang="${opts.locale}">${fill(s.answerMissing, { n })}</p>` : ""}
<div class="choices">${radios(`q${n}`, w.options, true)}</div></fieldset>`;
})}
<fieldset><legend>${w.difficulty} <span class="hint" lang="${opts.locale}">${s.optional}</span></legend>
<div class="choices">${radios("difficulty", w.difficultyOptions, false)}</div></fieldset>
<div class="actions" lang="${opts.locale}"><button type="submit">${s.submit}</button></div>
</form>`;
}

function languagePicker(locale: Locale, action: string, current: MeasureLanguage): Html {
  const s = recordStrings(locale);
  return html`<form method="get" action="${action}" class="inline-form"><div class="field"><label for="lang">${s.languageLabel}</label>
<select id="lang" name="lang">${MEASURE_LANGUAGES.map((l) => html`<option value="${l}" lang="${l}"${l === current ? html` selected` : ""}>${LANGUAGE_NAMES[l]}</option>`)}</select></div>
<button type="submit" class="secondary">${s.languageChange}</button></form>`;
}

export function crisisSection(locale: Locale): Html {
  const s = recordStrings(locale);
  return html`<section class="card crisis" role="alert" aria-labelledby="crisis-title"><h2 id="crisis-title">${s.crisisTitle}</h2>
<p>${s.crisisBody}</p><p><strong>${s.crisisNow}</strong></p>
<p><a class="button" href="${CRISIS_PATH}">${s.crisisLink}</a></p></section>`;
}

export function measureRoutes(hearth: Hearth) {
  return new Elysia({ name: "record-measures" })
    .get(
      "/record/measures",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        const due = dueFor(hearth, viewer.id);
        const history = await historyOf(hearth, viewer.id, viewer.id, { groupIds: groupIdsOf(hearth.db, viewer.id, ["member"]) });
        const charts = INSTRUMENTS.map((id) => {
          const points = history.filter((r) => r.instrument === id).map((r) => ({ at: r.answeredAt, value: r.total }));
          return points.length ? scoreChart(ctx.locale, instrument(id), points, { last: 6 }) : "";
        });
        const main = html`<h1>${s.measuresTitle}</h1><p>${s.measuresIntro}</p>${okNotice(query.done ? s.sent : null)}
<section class="card" aria-labelledby="due-title"><h2 id="due-title">${s.dueTitle}</h2>
${due.length
  ? html`<ul class="plain">${due.map((a) => html`<li><a class="button" href="/record/measures/${a.id}">${fill(s.fillButton, { measure: instrument(a.instrument).short })}</a></li>`)}</ul>`
  : html`<p>${s.noneDue}</p>`}</section>
<section class="card" aria-labelledby="history-title"><h2 id="history-title">${s.historyTitle}</h2>
${history.length ? charts : html`<p>${s.noHistory}</p>`}</section>
${exportForm(ctx.locale, "/record/export")}`;
        return htmlResponse(layout(ctx, s.measuresTitle, main, { styles: RECORD_STYLES, scripts: PASSKEY_SCRIPTS }), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ done: t.Optional(t.Literal("1")) }), detail: policy(PATIENTS) },
    )
    .get(
      "/record/measures/:assignmentId",
      ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        const a = assignmentById(hearth, params.assignmentId);
        if (!a || !isDue(hearth, a, viewer.id)) throw refuse(ctx.locale, 404, s.notDue);
        const inst = instrument(a.instrument);
        const language = isMeasureLanguage(query.lang) ? query.lang : defaultLanguage(ctx.locale);
        const action = `/record/measures/${a.id}`;
        const main = html`<div class="card narrow"><h1 lang="${language}">${inst.wording[language].title}</h1>
${languagePicker(ctx.locale, action, language)}
${questionnaireForm({ inst, language, action, locale: ctx.locale })}</div>`;
        return htmlResponse(layout(ctx, inst.short, main, { styles: RECORD_STYLES }), 200, { "cache-control": "no-store" });
      },
      {
        params: t.Object({ assignmentId: t.Numeric({ minimum: 1 }) }),
        query: t.Object({ lang: t.Optional(t.String({ maxLength: 5 })) }),
        detail: policy(PATIENTS),
      },
    )
    .post(
      "/record/measures/:assignmentId",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        const a = assignmentById(hearth, params.assignmentId);
        if (!a || !isDue(hearth, a, viewer.id)) throw refuse(ctx.locale, 409, s.notDue);
        const inst = instrument(a.instrument);
        const language = isMeasureLanguage(body.language) ? body.language : defaultLanguage(ctx.locale);
        const given = body as Record<string, string | undefined>;
        const answers: number[] = [];
        for (let n = 1; n <= inst.loinc.items.length; n++) {
          const v = given[`q${n}`];
          if (v === undefined || !/^[0-3]$/.test(v)) {
            // Answered questions stay checked: nothing the person gave is lost.
            const action = `/record/measures/${a.id}`;
            const main = html`<div class="card narrow"><h1 lang="${language}">${inst.wording[language].title}</h1>
<div class="notice notice-error" role="alert"><p><a href="#q${n}-set">${fill(s.answerMissing, { n })}</a></p></div>
${questionnaireForm({ inst, language, action, locale: ctx.locale, given, missing: n })}</div>`;
            return htmlResponse(layout(ctx, inst.short, main, { styles: RECORD_STYLES }), 400);
          }
          answers.push(Number(v));
        }
        const difficulty = body.difficulty && /^[0-3]$/.test(body.difficulty) ? Number(body.difficulty) : null;
        let result;
        try {
          result = await submitResponse(hearth, { personId: viewer.id, assignmentId: a.id, answers, difficulty, language });
        } catch (err) {
          if (err instanceof NotDueError) throw refuse(ctx.locale, 409, s.notDue);
          throw err;
        }
        if (!result.alerted) return goTo(request, "/record/measures?done=1");
        // Item 9 above 0: the page the person sees next is the crisis resources, not a redirect
        // they could miss; their clinicians were told already.
        const main = html`${crisisSection(ctx.locale)}
<div class="card"><p>${s.sent}</p><p>${fill(s.yourScore, { measure: inst.short, total: result.total, max: inst.maxTotal, band: bandLabel(ctx.locale, result.band.key) })}</p>
<p><a href="/record/measures">${s.measuresTitle}</a></p></div>`;
        return htmlResponse(layout(ctx, s.crisisTitle, main, { styles: RECORD_STYLES }), 200, { "cache-control": "no-store" });
      },
      {
        params: t.Object({ assignmentId: t.Numeric({ minimum: 1 }) }),
        body: t.Object(
          {
            language: t.Optional(t.String({ maxLength: 5 })),
            difficulty: t.Optional(t.String({ maxLength: 2 })),
            ...Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`q${i + 1}`, t.Optional(t.String({ maxLength: 2 }))])),
          },
          { additionalProperties: true },
        ),
        detail: policy(PATIENTS),
      },
    );
}

