import { Elysia, t } from "elysia";
import encodeQR from "qr";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, unsafeRaw, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, plural, type Locale } from "../ui/i18n.ts";
import { MAY_INVITE, ROLES, STAFF, groupRoleOf, policy, type Role } from "./policy.ts";
import { identityStrings } from "./strings.ts";
import { requireViewer, roleLabel } from "./guard.ts";
import { createInvitation, INVITE_TTL_DAYS, listInvitations, revokeInvitation, stateOf, type InvitationState } from "./invitations.ts";
import { redirect } from "./respond.ts";
import { card, notice } from "./views.ts";

const TTL_CHOICES = [1, 3, 7, 14] as const;
const ACCESS_CHOICES = [1, 7, 30] as const;

/** The link as an SVG QR code, drawn here so the page needs nothing from outside the box. */
export function qrSvg(url: string, label: string): Html {
  const svg = encodeQR(url, "svg", { ecc: "medium", border: 2 });
  // Safe: the qr library emits only an <svg> with a viewBox and one <path d="…"> built from
  // the code's modules; the URL itself never appears in the markup.
  return html`<figure class="qr" role="img" aria-label="${label}">${unsafeRaw(svg.replace("<svg ", '<svg width="240" height="240" aria-hidden="true" focusable="false" '))}</figure>`;
}

/** The page that shows a new invitation link once: the token exists nowhere else. */
export function invitationCreatedPage(
  request: Request,
  o: { url: string; role: Role; expiresAt: number; reinvite: boolean; back?: { href: string; label: string } },
): Response {
  const ctx = pageFor(request);
  const s = identityStrings(ctx.locale);
  const intro = o.reinvite ? s.reinviteCreated : fill(s.inviteCreated, { role: roleLabel(ctx.locale, o.role) });
  const body = html`${notice("ok", intro)}
<div class="field"><label for="invite-link">${s.inviteLinkLabel}</label>
<input type="url" id="invite-link" value="${o.url}" readonly data-invite-link aria-describedby="invite-link-hint"><span class="hint" id="invite-link-hint">${s.inviteLinkHint}</span></div>
${qrSvg(o.url, s.inviteQrLabel)}
<p>${fill(s.inviteExpiresAt, { when: formatDateTime(ctx.locale, o.expiresAt) })}</p>
<p><a class="button secondary" href="${o.back?.href ?? "/invitations"}">${o.back?.label ?? s.backToInvitations}</a></p>`;
  return htmlResponse(layout(ctx, s.inviteCreatedTitle, card(s.inviteCreatedTitle, body)), 201, { "cache-control": "no-store" });
}

function stateLabel(locale: Locale, state: InvitationState): string {
  const s = identityStrings(locale);
  return { valid: s.stateWaiting, used: s.stateUsed, expired: s.stateExpired, revoked: s.stateRevoked, unknown: s.stateExpired }[state];
}

export function invitationRoutes(hearth: Hearth) {
  return new Elysia({ name: "identity-invitations" })
    .get(
      "/invitations",
      ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const roles = MAY_INVITE[viewer.role];
        const now = hearth.now();
        const rows = listInvitations(hearth, viewer).map((inv) => {
          const state = stateOf(inv, now);
          return html`<tr><td>${formatDateTime(ctx.locale, inv.createdAt)}</td><td>${roleLabel(ctx.locale, inv.role)}${inv.personId !== null ? html` (${s.reinviteShort})` : ""}</td>
<td>${stateLabel(ctx.locale, state)}</td><td>${formatDateTime(ctx.locale, inv.expiresAt)}</td>
<td>${state === "valid" ? html`<form method="post" action="/invitations/${inv.id}/revoke"><button type="submit" class="secondary" aria-label="${fill(s.revokeInvitationLabel, { n: inv.id })}">${s.revoke}</button></form>` : ""}</td></tr>`;
        });
        const form = html`<form method="post" action="/invitations">
<div class="field"><label for="role">${s.inviteRole}</label><select id="role" name="role">${roles.map((r) => html`<option value="${r}">${roleLabel(ctx.locale, r)}</option>`)}</select></div>
<div class="field"><label for="days">${s.inviteValidFor}</label><select id="days" name="days">${TTL_CHOICES.map((d) => html`<option value="${d}"${d === INVITE_TTL_DAYS ? html` selected` : ""}>${plural(ctx.locale, s, "days", d)}</option>`)}</select></div>
${roles.includes("guest") ? html`<div class="field"><label for="accessDays">${s.guestAccessFor}<span class="hint" id="accessDays-hint">${s.guestAccessHint}</span></label><select id="accessDays" name="accessDays" aria-describedby="accessDays-hint">${ACCESS_CHOICES.map((d) => html`<option value="${d}"${d === 7 ? html` selected` : ""}>${plural(ctx.locale, s, "days", d)}</option>`)}</select></div>` : ""}
<div class="actions"><button type="submit">${s.createInvitation}</button></div></form>`;
        const main = html`<h1>${s.invitationsTitle}</h1>${query.revoked ? notice("ok", s.invitationRevoked) : ""}
<section class="card" aria-labelledby="new-invite"><h2 id="new-invite">${s.newInvitation}</h2><p>${s.invitationsIntro}</p>${form}</section>
<section class="card" aria-labelledby="sent-invites"><h2 id="sent-invites">${s.sentInvitations}</h2>
${rows.length ? html`<div class="table-wrap"><table><thead><tr><th scope="col">${s.colCreated}</th><th scope="col">${s.colRole}</th><th scope="col">${s.colState}</th><th scope="col">${s.colExpires}</th><th scope="col"><span class="visually-hidden">${s.colActions}</span></th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p>${s.noInvitations}</p>`}</section>`;
        return htmlResponse(layout(ctx, s.invitationsTitle, main));
      },
      { query: t.Object({ revoked: t.Optional(t.String({ maxLength: 1 })) }), detail: policy({ allow: STAFF }) },
    )
    .post(
      "/invitations",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const s = identityStrings(pageFor(request).locale);
        if (!MAY_INVITE[viewer.role].includes(body.role)) throw new HttpError(403, s.refusedTitle, s.mayNotInviteRole);
        const groupId = body.groupId ?? null;
        // The guard already checked the group (policy item "group"); this keeps the rule next to its use.
        if (groupId !== null && viewer.role !== "admin" && groupRoleOf(hearth, viewer.id, groupId) !== "clinician") throw new HttpError(403, s.refusedTitle, s.refusedBody);
        const inv = createInvitation(hearth, {
          createdBy: viewer.id,
          role: body.role,
          groupId,
          ttlDays: body.days ?? INVITE_TTL_DAYS,
          accessDays: body.role === "guest" ? (body.accessDays ?? 7) : null,
        });
        return invitationCreatedPage(request, { url: inv.url, role: body.role, expiresAt: inv.expiresAt, reinvite: false });
      },
      {
        body: t.Object({
          role: t.UnionEnum([...ROLES]),
          groupId: t.Optional(t.Numeric({ minimum: 1 })),
          days: t.Optional(t.Numeric({ minimum: 1, maximum: 30 })),
          accessDays: t.Optional(t.Numeric({ minimum: 1, maximum: 90 })),
        }),
        detail: policy({ allow: STAFF, item: { kind: "group", field: "groupId" } }),
      },
    )
    .post(
      "/invitations/:id/revoke",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        revokeInvitation(hearth, params.id, viewer.id);
        return redirect("/invitations?revoked=1");
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy({ allow: STAFF, item: { kind: "invitation", param: "id" } }) },
    );
}
