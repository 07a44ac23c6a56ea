import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { findSession, sessionState, type GroupSession } from "../clinic/sessions.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { groupRoleOf, policy, type RoutePolicy } from "../identity/policy.ts";
import { HttpError } from "../ui/errors.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { layout } from "../ui/page.ts";
import { isHtmx, pageFor } from "../ui/request.ts";
import { alertsOf, type AlertKind } from "./alerts.ts";
import { CODE_WORD_MAX, checkCodeWord, groupSafety, locationRequired, setCodeWord, setLocationRequired } from "./group-safety.ts";
import { WHERE_LIMITS, answeredIn, checkWhereabouts, prefill, readWhereabouts, saveWhereabouts, type Whereabouts } from "./whereabouts.ts";
import { whereStrings } from "./where-strings.ts";
import { consentRecordSection } from "../rooms/recording-view.ts";

/**
 * "Where are you today" as members meet it (the form: on a page of its own before they knock
 * when their group requires it, else inside the waiting room), the group's safety settings, and
 * the session's safety record for its facilitators.
 */
type S = ReturnType<typeof whereStrings>;
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const SessionParams = t.Object({ id: t.String({ pattern: "^[0-9]{1,12}$" }) });

export const wherePath = (sessionId: number) => `/sessions/${sessionId}/where`;
export const safetySettingsPath = (groupId: number) => `/groups/${groupId}/safety`;
export const safetyRecordPath = (groupId: number, sessionId: number) => `/groups/${groupId}/sessions/${sessionId}/safety`;

/** Whether a member must answer before the room lets them knock (their group requires it and they have not). */
export function mustSayWhere(hearth: Hearth, session: GroupSession, personId: number): boolean {
  if (!isGroupMember(hearth, session, personId)) return false; // a guest of this session only is not asked
  return locationRequired(hearth, session.groupId) && !hearth.db.query("SELECT 1 FROM session_whereabouts WHERE session_id = ? AND person_id = ?").get(session.id, personId);
}

/** A member (or group guest) of the session's group, who is asked where they are today. */
export function isGroupMember(hearth: Hearth, session: GroupSession, personId: number): boolean {
  const part = groupRoleOf(hearth, personId, session.groupId);
  return part === "member" || part === "guest";
}

function whereForm(s: S, sessionId: number, v: Whereabouts, opts: { required: boolean; inline: boolean }): Html {
  const req = opts.required ? html` <span class="hint">${s.required}</span>` : "";
  const field = (name: keyof Whereabouts, label: string, hint: string | null, type: string, autocomplete: string, isRequired: boolean) =>
    html`<div class="field"><label for="where-${name}">${label}${isRequired ? req : ""}${hint ? html`<span class="hint" id="where-${name}-hint">${hint}</span>` : ""}</label>
<input type="${type}" id="where-${name}" name="${name}" value="${v[name]}" maxlength="${WHERE_LIMITS[name]}" autocomplete="${autocomplete}"${hint ? html` aria-describedby="where-${name}-hint"` : ""}${isRequired ? html` required` : ""}></div>`;
  const fields = html`${field("location", s.location, s.locationHint, "text", "street-address", opts.required)}
${field("phone", s.phone, s.phoneHint, "tel", "tel", opts.required)}
${field("emergencyContact", s.emergencyContact, null, "text", "off", false)}`;
  if (opts.inline) {
    return html`<form hx-post="${wherePath(sessionId)}" hx-target="#where-today" hx-swap="innerHTML"><input type="hidden" name="inline" value="1">${fields}<div class="actions"><button type="submit">${s.save}</button></div></form>`;
  }
  return html`<form method="post" action="${wherePath(sessionId)}">${fields}<div class="actions"><button type="submit">${s.continue}</button></div></form>`;
}

/** The waiting room's section (rooms/page.ts puts the slot there; htmx fills it from this capability). */
export function waitingRoomSlot(locale: Locale, sessionId: number): Html {
  const s = whereStrings(locale);
  return html`<section class="where-today card" aria-labelledby="where-title"><h2 id="where-title">${s.title}</h2><p id="where-intro">${s.intro}</p>
<div id="where-today" hx-get="${wherePath(sessionId)}?part=form" hx-trigger="load" hx-swap="innerHTML"></div></section>`;
}

function savedNote(s: S, sessionId: number): Html {
  return html`<div class="notice notice-ok" role="status"><p>${s.saved}</p></div>
<button type="button" class="secondary" hx-get="${wherePath(sessionId)}?part=form" hx-target="#where-today" hx-swap="innerHTML">${s.change}</button>`;
}

function bad(s: S, status: 400 | 403 | 404, message: string): HttpError {
  return new HttpError(status, s.checkTitle, message);
}

export function whereRoutes(hearth: Hearth) {
  /** The live (or planned) session a member of its group asks about. */
  function memberSession(viewerId: number, raw: string, s: S): GroupSession {
    const session = findSession(hearth.db, Number(raw));
    if (!session || sessionState(session) === "closed") throw bad(s, 404, s.noSession);
    const part = groupRoleOf(hearth, viewerId, session.groupId);
    if (part !== "member" && part !== "guest") throw bad(s, 403, s.notYours);
    return session;
  }

  async function recordPage(viewerId: number, locale: Locale, groupId: number, sessionId: number): Promise<Html> {
    const s = whereStrings(locale);
    const nameOf = async (id: number) => {
      const person = getPerson(hearth, id);
      if (person) auditNameShown(hearth, viewerId, person);
      return (await displayName(hearth, id)) ?? `#${id}`;
    };
    const rows: Html[] = [];
    for (const a of answeredIn(hearth, sessionId)) {
      const w = await readWhereabouts(hearth, viewerId, sessionId, a.personId);
      if (!w) continue;
      rows.push(html`<tr><th scope="row">${await nameOf(a.personId)}</th><td>${w.location}</td><td>${w.phone}</td><td>${w.emergencyContact}</td><td>${formatDateTime(locale, w.givenAt)}</td></tr>`);
    }
    const kindText: Record<AlertKind, string> = { button: s.kindButton, "code-word": s.kindCodeWord, words: s.kindWords };
    const alerts: Html[] = [];
    for (const a of await alertsOf(hearth, viewerId, sessionId)) {
      const ack = a.acknowledgedAt ? fill(s.acknowledgedBy, { time: formatDateTime(locale, a.acknowledgedAt), name: (await displayName(hearth, a.acknowledgedBy!)) ?? "" }) : s.notAcknowledged;
      alerts.push(html`<tr><td>${formatDateTime(locale, a.raisedAt)}</td><th scope="row">${await nameOf(a.personId)}</th><td>${kindText[a.kind]}</td><td>${a.location}</td><td>${a.phone}</td><td>${ack}</td></tr>`);
    }
    return html`<p><a href="/groups/${groupId}">${s.backToGroup}</a></p><h1>${s.recordTitle}</h1><p>${s.recordIntro}</p>
<section class="card table-wrap" aria-labelledby="where-caption"><h2 id="where-caption">${s.whereCaption}</h2>
${rows.length ? html`<table><thead><tr><th scope="col">${s.colPerson}</th><th scope="col">${s.colLocation}</th><th scope="col">${s.colPhone}</th><th scope="col">${s.colContact}</th><th scope="col">${s.colGiven}</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p>${s.nobodyAnswered}</p>`}</section>
<section class="card table-wrap" aria-labelledby="alerts-caption"><h2 id="alerts-caption">${s.alertsCaption}</h2>
${alerts.length ? html`<table><thead><tr><th scope="col">${s.colRaised}</th><th scope="col">${s.colPerson}</th><th scope="col">${s.colKind}</th><th scope="col">${s.colLocation}</th><th scope="col">${s.colPhone}</th><th scope="col">${s.colAck}</th></tr></thead><tbody>${alerts}</tbody></table>` : html`<p>${s.noAlerts}</p>`}</section>
${await consentRecordSection(hearth, viewerId, locale, sessionId)}`;
  }

  function settingsPage(locale: Locale, groupId: number, saved: boolean): Html {
    const s = whereStrings(locale);
    const g = groupSafety(hearth, groupId);
    return html`<p><a href="/groups/${groupId}">${s.backToGroup}</a></p><div class="card narrow"><h1>${s.settingsTitle}</h1>
${saved ? html`<div class="notice notice-ok" role="status"><p>${s.settingsSaved}</p></div>` : ""}<p>${s.settingsIntro}</p>
<form method="post" action="${safetySettingsPath(groupId)}">
<div class="field"><label class="choice"><input type="checkbox" name="locationRequired" value="1" aria-describedby="require-hint"${g.locationRequired ? html` checked` : ""}> ${s.requireLabel}</label><span class="hint" id="require-hint">${s.requireHint}</span></div>
<fieldset><legend>${s.codeWordLegend}</legend><p>${s.codeWordIntro}</p><p><strong>${g.hasCodeWord ? s.codeWordSet : s.codeWordNone}</strong></p>
<div class="field"><label for="code-word">${s.codeWord}<span class="hint" id="code-word-hint">${fill(s.codeWordHint, { n: CODE_WORD_MAX })}</span></label>
<input type="text" id="code-word" name="codeWord" maxlength="${CODE_WORD_MAX}" autocomplete="off" aria-describedby="code-word-hint"></div>
${g.hasCodeWord ? html`<label class="choice"><input type="checkbox" name="clearCodeWord" value="1"> ${s.clearCodeWord}</label>` : ""}</fieldset>
<div class="actions"><button type="submit">${s.saveSettings}</button></div></form></div>`;
  }

  return new Elysia({ name: "safety-where" })
    .get(
      "/sessions/:id/where",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = whereStrings(ctx.locale);
        const session = memberSession(viewer.id, params.id, s);
        const required = locationRequired(hearth, session.groupId);
        const values = await prefill(hearth, session.id, viewer.id);
        const headers = { "cache-control": "no-store" };
        if (query.part === "form") return htmlResponse(whereForm(s, session.id, values, { required, inline: true }), 200, headers);
        const main = html`<div class="card narrow"><h1>${s.title}</h1><p>${required ? s.introRequired : s.intro}</p>${whereForm(s, session.id, values, { required, inline: false })}</div>`;
        return htmlResponse(layout(ctx, s.title, main), 200, headers);
      },
      { params: SessionParams, query: t.Object({ part: t.Optional(t.Literal("form")) }), detail: policy({ allow: ["patient", "guest"] }) },
    )
    .post(
      "/sessions/:id/where",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = whereStrings(locale);
        const session = memberSession(viewer.id, params.id, s);
        const checked = checkWhereabouts(body, locationRequired(hearth, session.groupId));
        if (!checked.ok) {
          const n = { locationTooLong: WHERE_LIMITS.location, phoneInvalid: WHERE_LIMITS.phone, contactTooLong: WHERE_LIMITS.emergencyContact }[checked.problem as string] ?? 0;
          throw bad(s, 400, fill(s[checked.problem], { n }));
        }
        await saveWhereabouts(hearth, session.id, viewer.id, checked.value);
        if (body.inline && isHtmx(request)) return htmlResponse(savedNote(s, session.id), 200, { "cache-control": "no-store" });
        return new Response(null, { status: 303, headers: { location: `/sessions/${session.id}` } });
      },
      {
        // Generous bounds; the limits people are told about are checked above, in words.
        body: t.Object({
          location: t.Optional(t.String({ maxLength: 5000 })),
          phone: t.Optional(t.String({ maxLength: 5000 })),
          emergencyContact: t.Optional(t.String({ maxLength: 5000 })),
          inline: t.Optional(t.String({ maxLength: 1 })),
          _csrf: t.Optional(t.String({ maxLength: 200 })),
        }),
        params: SessionParams,
        detail: policy({ allow: ["patient", "guest"] }),
      },
    )
    .get(
      "/groups/:id/safety",
      ({ request, params, query }) => {
        const ctx = pageFor(request);
        const s = whereStrings(ctx.locale);
        return htmlResponse(layout(ctx, s.settingsTitle, settingsPage(ctx.locale, params.id, query.saved === "1")), 200, { "cache-control": "no-store" });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), query: t.Object({ saved: t.Optional(t.Literal("1")) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/safety",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = whereStrings(locale);
        let word: string | null | undefined;
        if (body.codeWord?.trim()) {
          const checked = checkCodeWord(body.codeWord);
          if (!checked.ok) throw bad(s, 400, fill(s[checked.problem], { n: CODE_WORD_MAX }));
          word = checked.value;
        } else if (body.clearCodeWord === "1") word = null;
        const required = body.locationRequired === "1";
        if (required !== locationRequired(hearth, params.id)) setLocationRequired(hearth, viewer.id, params.id, required);
        if (word !== undefined) await setCodeWord(hearth, viewer.id, params.id, word);
        return new Response(null, { status: 303, headers: { location: `${safetySettingsPath(params.id)}?saved=1` } });
      },
      {
        params: t.Object({ id: t.Numeric({ minimum: 1 }) }),
        body: t.Object({
          locationRequired: t.Optional(t.String({ maxLength: 1 })),
          codeWord: t.Optional(t.String({ maxLength: 2000 })),
          clearCodeWord: t.Optional(t.String({ maxLength: 1 })),
          _csrf: t.Optional(t.String({ maxLength: 200 })),
        }),
        detail: policy(GROUP_CLINICIANS),
      },
    )
    .get(
      "/groups/:id/sessions/:sessionId/safety",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = whereStrings(ctx.locale);
        const session = findSession(hearth.db, params.sessionId);
        if (!session || session.groupId !== params.id) throw bad(s, 404, s.noSession);
        const main = await recordPage(viewer.id, ctx.locale, params.id, session.id);
        return htmlResponse(layout(ctx, s.recordTitle, main), 200, { "cache-control": "no-store" });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    );
}
