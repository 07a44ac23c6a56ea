import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { STAFF, isCarerOf, policy, type Role } from "./policy.ts";
import { identityStrings } from "./strings.ts";
import { requireViewer, roleLabel, type Viewer } from "./guard.ts";
import { activeAdminCount, auditNameShown, displayName, getPerson, listPeople, setRole, type Person } from "./people.ts";
import { activePasskeys, revokeAllPasskeys } from "./passkeys.ts";
import { endAllSessions } from "./sessions.ts";
import { createInvitation, revokeOpenReinvitations } from "./invitations.ts";
import { invitationCreatedPage } from "./invitation-routes.ts";
import { redirect } from "./respond.ts";
import { card, notice } from "./views.ts";

const IdParams = t.Object({ id: t.Numeric({ minimum: 1 }) });

/**
 * How a person is named to this viewer. Admins see staff by name and patients and guests by
 * number only: running the box does not mean seeing who is in care.
 */
async function nameFor(hearth: Hearth, viewer: Viewer, p: Person, locale: Locale): Promise<string> {
  const s = identityStrings(locale);
  if (viewer.role === "admin" && (p.role === "patient" || p.role === "guest")) return fill(s.personNumber, { role: roleLabel(locale, p.role), n: p.id });
  const name = await displayName(hearth, p.id);
  if (name) auditNameShown(hearth, viewer.id, p);
  return name || fill(s.personNumber, { role: roleLabel(locale, p.role), n: p.id });
}

function visibleTo(hearth: Hearth, viewer: Viewer, p: Person): boolean {
  return viewer.role === "admin" || isCarerOf(hearth, viewer.id, p.id);
}

export function peopleRoutes(hearth: Hearth) {
  return new Elysia({ name: "identity-people" })
    .get(
      "/people",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const people = listPeople(hearth).filter((p) => p.id !== viewer.id && visibleTo(hearth, viewer, p));
        const rows = [];
        for (const p of people) {
          rows.push(html`<tr><td><a href="/people/${p.id}">${await nameFor(hearth, viewer, p, ctx.locale)}</a></td><td>${roleLabel(ctx.locale, p.role)}</td><td>${p.status === "active" ? s.statusActive : s.statusDisabled}</td><td>${formatDateTime(ctx.locale, p.createdAt)}</td></tr>`);
        }
        const table = rows.length
          ? html`<div class="table-wrap"><table><thead><tr><th scope="col">${s.colName}</th><th scope="col">${s.colRole}</th><th scope="col">${s.colStatus}</th><th scope="col">${s.colJoined}</th></tr></thead><tbody>${rows}</tbody></table></div>`
          : html`<p>${s.noPeople}</p>`;
        const intro = viewer.role === "admin" ? s.peopleIntroAdmin : s.peopleIntroClinician;
        return htmlResponse(layout(ctx, s.peopleTitle, card(s.peopleTitle, html`<p>${intro}</p>${table}`, { narrow: false })));
      },
      { detail: policy({ allow: STAFF }) },
    )
    .get(
      "/people/:id",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const p = getPerson(hearth, params.id)!;
        const name = await nameFor(hearth, viewer, p, ctx.locale);
        const keys = activePasskeys(hearth, p.id).length;
        const facts = html`<dl class="facts"><dt>${s.colRole}</dt><dd>${roleLabel(ctx.locale, p.role)}</dd><dt>${s.colJoined}</dt><dd>${formatDateTime(ctx.locale, p.createdAt)}</dd>
<dt>${s.passkeysTitle}</dt><dd>${keys}</dd>${p.accessEndsAt ? html`<dt>${s.accessEnds}</dt><dd>${formatDateTime(ctx.locale, p.accessEndsAt)}</dd>` : ""}</dl>`;
        const reinvite = p.id === viewer.id ? "" : html`<section aria-labelledby="reinvite"><h2 id="reinvite">${s.reinviteTitle}</h2><p>${s.reinviteExplain}</p>
<form method="post" action="/people/${p.id}/reinvite" data-fresh><div data-passkey-status role="status" tabindex="-1" hidden></div><div class="actions"><button type="submit" class="danger">${s.reinviteButton}</button></div></form></section>`;
        const roleForm =
          viewer.role === "admin" && (p.role === "admin" || p.role === "clinician") && p.id !== viewer.id
            ? html`<section aria-labelledby="role-change"><h2 id="role-change">${s.roleChangeTitle}</h2>
<form method="post" action="/people/${p.id}/role" data-fresh><div data-passkey-status role="status" tabindex="-1" hidden></div>
<div class="field"><label for="new-role">${s.colRole}</label><select id="new-role" name="role">${(["clinician", "admin"] as Role[]).map((r) => html`<option value="${r}"${r === p.role ? html` selected` : ""}>${roleLabel(ctx.locale, r)}</option>`)}</select></div>
<div class="actions"><button type="submit">${s.roleChangeButton}</button></div></form></section>`
            : "";
        const main = html`${query.changed ? notice("ok", s.roleChanged) : ""}${facts}${reinvite}${roleForm}`;
        return htmlResponse(layout(ctx, name, card(name, main), { scripts: ["passkey.js"] }));
      },
      {
        params: IdParams,
        query: t.Object({ changed: t.Optional(t.String({ maxLength: 1 })) }),
        detail: policy({ allow: STAFF, item: { kind: "person", param: "id", relations: ["carer", "admin"] } }),
      },
    )
    .post(
      "/people/:id/reinvite",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = identityStrings(pageFor(request).locale);
        const p = getPerson(hearth, params.id)!;
        if (p.id === viewer.id) throw new HttpError(409, s.refusedTitle, s.reinviteSelf);
        // Lost passkeys may be in someone else's hands: they stop working now, and so do open sessions.
        const inv = hearth.db.transaction(() => {
          const revoked = revokeAllPasskeys(hearth, p.id);
          endAllSessions(hearth, p.id);
          revokeOpenReinvitations(hearth, p.id);
          hearth.audit.append({ actor: `person:${viewer.id}`, action: "passkeys.revoked_all", subject: `person:${p.id}`, ownerId: p.id, outcome: revoked > 0 ? "ok" : "failed" });
          return createInvitation(hearth, { createdBy: viewer.id, role: p.role, personId: p.id });
        }).immediate();
        return invitationCreatedPage(request, { url: inv.url, role: p.role, expiresAt: inv.expiresAt, reinvite: true });
      },
      { params: IdParams, detail: policy({ allow: STAFF, item: { kind: "person", param: "id", relations: ["carer", "admin"] }, fresh: true }) },
    )
    .post(
      "/people/:id/role",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const s = identityStrings(pageFor(request).locale);
        const p = getPerson(hearth, params.id)!;
        if (p.role !== "admin" && p.role !== "clinician") throw new HttpError(409, s.refusedTitle, s.roleStaffOnly);
        if (p.role === "admin" && body.role !== "admin" && activeAdminCount(hearth) <= 1) throw new HttpError(409, s.refusedTitle, s.lastAdmin);
        if (p.role !== body.role) {
          hearth.db.transaction(() => {
            setRole(hearth, p.id, body.role);
            // New permissions take effect at their next sign-in, not in a session made for the old ones.
            endAllSessions(hearth, p.id);
            hearth.audit.append({ actor: `person:${viewer.id}`, action: "role.changed", subject: `person:${p.id}`, ownerId: p.id, outcome: "ok" });
          }).immediate();
        }
        return redirect(`/people/${p.id}?changed=1`);
      },
      {
        params: IdParams,
        body: t.Object({ role: t.UnionEnum(["admin", "clinician"]) }),
        detail: policy({ allow: ["admin"], item: { kind: "person", param: "id", relations: ["admin"] }, fresh: true }),
      },
    );
}
