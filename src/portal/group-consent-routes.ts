import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import type { GroupSession } from "../clinic/sessions.ts";
import { requireViewer } from "../identity/guard.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import { layout, type PageContext } from "../ui/page.ts";
import { forms, statusOf } from "./consent.ts";
import { statusText } from "./consent-routes.ts";
import { formsToSign, requiredFormIds, setRequiredForms } from "./group-consent.ts";
import { groupConsentStrings } from "./group-consent-strings.ts";

/**
 * A group's required consent forms: the small form on the group's page where its clinicians tick
 * them, and the gate of the session page that shows a member what to sign first (the room's
 * socket refuses the same member, src/rooms/routes.ts, so the page is not the only door).
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
export const groupConsentPath = (groupId: number) => `/groups/${groupId}/consent-forms`;

/** The section of the group's page (src/clinic/routes.ts shows it to the group's clinicians). */
export function groupConsentSection(hearth: Hearth, locale: Locale, groupId: number): Html {
  const s = groupConsentStrings(locale);
  const all = forms(hearth);
  const required = new Set(requiredFormIds(hearth, groupId));
  const body = all.length
    ? html`<form method="post" action="${groupConsentPath(groupId)}"><fieldset><legend>${s.legend}</legend>
${all.map((f) => html`<label class="choice"><input type="checkbox" name="form-${f.id}" value="1"${required.has(f.id) ? html` checked` : ""}> ${f.title}</label>`)}</fieldset>
<div class="actions"><button type="submit" class="secondary">${s.save}</button></div></form>`
    : html`<p>${s.noForms}</p>`;
  return html`<section class="card" id="group-consent" aria-labelledby="group-consent-title"><h2 id="group-consent-title">${s.sectionTitle}</h2><p>${s.sectionIntro}</p>${body}</section>`;
}

/** The session page for a member with forms left to sign: what to sign, as links; else null. */
export function groupConsentGate(hearth: Hearth, ctx: PageContext, ticket: { role: "clinician" | "member"; session: GroupSession; person: { personId: number } }): Response | null {
  if (ticket.role !== "member") return null;
  const missing = formsToSign(hearth, ticket.session, ticket.person.personId);
  if (missing.length === 0) return null;
  const s = groupConsentStrings(ctx.locale);
  const main = html`<div class="card narrow"><h1>${s.gateTitle}</h1><p>${s.gateIntro}</p>
<ul class="plain-list">${missing.map((f) => html`<li><a href="/portal/consent/forms/${f.id}">${f.title}</a> <span class="hint">${statusText(ctx.locale, f, statusOf(hearth, ticket.person.personId, f))}</span></li>`)}</ul>
<p><a class="button" href="/sessions/${ticket.session.id}">${s.gateRetry}</a></p></div>`;
  return htmlResponse(layout(ctx, s.gateTitle, main), 200, { "cache-control": "no-store" });
}

export function groupConsentRoutes(hearth: Hearth) {
  return new Elysia({ name: "portal-group-consent" }).post(
    "/groups/:id/consent-forms",
    ({ request, params, body }) => {
      const viewer = requireViewer(request);
      const ids = Object.entries(body)
        .filter(([k, v]) => k.startsWith("form-") && v === "1")
        .map(([k]) => Number(k.slice(5)));
      setRequiredForms(hearth, viewer.id, params.id, ids);
      return new Response(null, { status: 303, headers: { location: `/groups/${params.id}#group-consent` } });
    },
    {
      params: t.Object({ id: t.Numeric({ minimum: 1 }) }),
      // One checkbox per form ("form-<id>" = "1"); nothing else is accepted.
      body: t.Record(t.String({ pattern: "^(_csrf|form-[1-9][0-9]{0,8})$" }), t.String({ maxLength: 200 })),
      detail: policy(GROUP_CLINICIANS),
    },
  );
}
