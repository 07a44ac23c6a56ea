// The patient's side: the devices lent to them, and their answer. Everything is looked up by the
// signed-in patient's own id, so one patient can never answer for another's device.
import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor, isHtmx } from "../ui/request.ts";
import { policy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { extendNav } from "../identity/extensions.ts";
import { HttpError } from "../ui/errors.ts";
import { answerAssignment, assignmentsOf, withdrawConsent } from "./assignments.ts";
import { assignmentState, periodText } from "./care-routes.ts";
import { vitalsStrings } from "./strings.ts";

const PATIENT = { allow: ["patient"] as const };

export function vitalsConsentRoutes(hearth: Hearth) {
  extendNav(hearth, "vitals-mine", (locale, role) => (role === "patient" ? [{ href: "/vitals/mine", label: vitalsStrings(locale).mineNav }] : []));
  return new Elysia({ name: "vitals-consent" })
    .get("/vitals/mine", ({ request, query }) => {
      const ctx = pageFor(request);
      const s = vitalsStrings(ctx.locale);
      const me = requireViewer(request).id;
      const now = hearth.now();
      const mine = assignmentsOf(hearth, me);
      const action = (id: number, answer: string, label: string, secondary = false) =>
        html`<form method="post" action="/vitals/mine/assignments/${id}" hx-post="/vitals/mine/assignments/${id}" class="inline"><input type="hidden" name="answer" value="${answer}"><button type="submit"${secondary ? html` class="secondary"` : ""}>${label}</button></form>`;
      const main = html`<h1>${s.mineTitle}</h1><p>${s.mineIntro}</p>
${query.saved ? html`<p class="notice notice-ok" role="status">${s.answered}</p>` : ""}
${mine.length
  ? html`<ul class="cards">${mine.map((a) => {
      const open = !a.consentedAt && !a.declinedAt && (a.endsAt === null || a.endsAt > now);
      const sharing = a.consentedAt && (a.endsAt === null || a.endsAt > now);
      return html`<li class="card" data-assignment="${a.id}"><h2>${a.deviceName}</h2><p>${periodText(ctx.locale, a)}</p><p><strong>${assignmentState(ctx.locale, a, now)}</strong></p>
${open ? html`${action(a.id, "agree", s.agree)} ${action(a.id, "decline", s.decline, true)}` : ""}${sharing ? action(a.id, "withdraw", s.withdraw, true) : ""}</li>`;
    })}</ul>`
  : html`<p>${s.mineNone}</p>`}`;
      return htmlResponse(layout(ctx, s.mineTitle, main), 200, { "cache-control": "no-store" });
    }, { query: t.Object({ saved: t.Optional(t.Literal("1")) }), detail: policy(PATIENT) })
    .post("/vitals/mine/assignments/:assignmentId", ({ request, params, body }) => {
      const s = vitalsStrings(pageFor(request).locale);
      const me = requireViewer(request).id;
      const ok = body.answer === "withdraw" ? withdrawConsent(hearth, me, params.assignmentId) : answerAssignment(hearth, me, params.assignmentId, body.answer === "agree");
      if (!ok) throw new HttpError(404, s.mineTitle, s.notYours);
      const location = "/vitals/mine?saved=1";
      if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
      return new Response(null, { status: 303, headers: { location } });
    }, {
      params: t.Object({ assignmentId: t.Integer({ minimum: 1 }) }),
      body: t.Object({ answer: t.UnionEnum(["agree", "decline", "withdraw"]) }),
      detail: policy(PATIENT),
    });
}
