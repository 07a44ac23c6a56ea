import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { membersOf } from "../clinic/groups.ts";
import { findSession, sessionState } from "../clinic/sessions.ts";
import { extendHome } from "../identity/extensions.ts";
import { requireViewer } from "../identity/guard.ts";
import { invitationCreatedPage } from "../identity/invitation-routes.ts";
import { onInvitationAccepted } from "../identity/invitations.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { HttpError } from "../ui/errors.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { GUEST_PARTS, guestAccepted, inviteGuest, liveSessionOfGuest, startGuestSweeper } from "./guests.ts";
import { guestStrings } from "./guest-strings.ts";

/**
 * Inviting a guest to one session (the facilitators' page, linked from the room's safety panel),
 * and the guest's way in: a home-page section with the session while it is live.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const Params = t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }) });

export const guestsPath = (groupId: number, sessionId: number) => `/groups/${groupId}/sessions/${sessionId}/guests`;

export function guestRoutes(hearth: Hearth) {
  onInvitationAccepted(hearth, (invitation, personId) => guestAccepted(hearth, invitation, personId));
  extendHome(hearth, "safety-guests", (_request, viewer, locale) => {
    if (viewer.role !== "guest") return null;
    const sessionId = liveSessionOfGuest(hearth, viewer.id);
    if (sessionId === null) return null;
    const s = guestStrings(locale);
    return html`<section class="card" aria-labelledby="guest-session"><h2 id="guest-session">${s.homeTitle}</h2><p>${s.homeBody}</p><p><a class="button" href="/sessions/${sessionId}">${s.join}</a></p></section>`;
  });
  startGuestSweeper(hearth);

  /** The group's live (or planned) session named in the path. */
  function openSessionOf(groupId: number, sessionId: number, locale: Parameters<typeof guestStrings>[0]) {
    const s = guestStrings(locale);
    const session = findSession(hearth.db, sessionId);
    if (!session || session.groupId !== groupId) throw new HttpError(404, s.checkTitle, s.sessionOver);
    if (sessionState(session) === "closed") throw new HttpError(409, s.checkTitle, s.sessionOver);
    return session;
  }

  return new Elysia({ name: "safety-guests" })
    .get(
      "/groups/:id/sessions/:sessionId/guests",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = guestStrings(ctx.locale);
        const session = openSessionOf(params.id, params.sessionId, ctx.locale);
        const options = [];
        for (const m of membersOf(hearth.db, params.id).filter((m) => m.role === "member")) {
          const person = getPerson(hearth, m.personId);
          if (person) auditNameShown(hearth, viewer.id, person);
          options.push(html`<option value="${m.personId}">${(await displayName(hearth, m.personId)) ?? `#${m.personId}`}</option>`);
        }
        const main = html`<p><a href="/groups/${params.id}">${s.back}</a></p><div class="card narrow"><h1>${s.title}</h1><p>${s.intro}</p>
<form method="post" action="${guestsPath(params.id, session.id)}">
<fieldset><legend>${s.part}</legend>${GUEST_PARTS.map((p, i) => html`<label class="choice"><input type="radio" name="part" value="${p}"${i === 0 ? html` checked` : ""}> ${s[p]}</label>`)}</fieldset>
<div class="field"><label for="guest-for">${s.forMember}<span class="hint" id="guest-for-hint">${s.forMemberHint}</span></label>
<select id="guest-for" name="forPersonId" aria-describedby="guest-for-hint"><option value="">${s.nobody}</option>${options}</select></div>
<div class="actions"><button type="submit">${s.create}</button></div></form></div>`;
        return htmlResponse(layout(ctx, s.title, main), 200, { "cache-control": "no-store" });
      },
      { params: Params, detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/sessions/:sessionId/guests",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = guestStrings(locale);
        const session = openSessionOf(params.id, params.sessionId, locale);
        const forPersonId = body.forPersonId ? Number(body.forPersonId) : null;
        if (body.part === "interpreter" && forPersonId === null) throw new HttpError(400, s.checkTitle, s.forMissing);
        if (forPersonId !== null && !membersOf(hearth.db, params.id).some((m) => m.personId === forPersonId && m.role === "member")) {
          throw new HttpError(400, s.checkTitle, s.forNotMember);
        }
        const inv = inviteGuest(hearth, { sessionId: session.id, by: viewer.id, part: body.part, forPersonId: body.part === "interpreter" ? forPersonId : null });
        return invitationCreatedPage(request, { url: inv.url, role: "guest", expiresAt: inv.expiresAt, reinvite: false, back: { href: guestsPath(params.id, session.id), label: s.title } });
      },
      {
        params: Params,
        body: t.Object({
          part: t.UnionEnum([...GUEST_PARTS]),
          forPersonId: t.Optional(t.String({ pattern: "^[0-9]{0,12}$" })),
          _csrf: t.Optional(t.String({ maxLength: 200 })),
        }),
        detail: policy(GROUP_CLINICIANS),
      },
    );
}
