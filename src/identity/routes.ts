import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { shellStrings } from "../ui/strings.ts";
import { fill } from "../ui/i18n.ts";
import { policy } from "./policy.ts";
import { identityStrings } from "./strings.ts";
import { clientAddress, viewerOf } from "./guard.ts";
import { signInForm, signinRoutes } from "./signin-routes.ts";
import { onboardingRoutes } from "./onboarding-routes.ts";
import { invitationRoutes } from "./invitation-routes.ts";
import { accountRoutes } from "./account-routes.ts";
import { peopleRoutes } from "./people-routes.ts";
import { redeemRecoveryCode } from "./recovery.ts";
import { revokeAllPasskeys } from "./passkeys.ts";
import { endAllSessions } from "./sessions.ts";
import { createInvitation, revokeOpenReinvitations } from "./invitations.ts";
import { PER_ADDRESS, throttleOf } from "./throttle.ts";
import { redirect } from "./respond.ts";
import { extraHomeSections } from "./extensions.ts";
import { card, notice, textField, PASSKEY_SCRIPTS } from "./views.ts";

export { createAccess } from "./guard.ts";

/** Identity's pages: home, sign-in, setup, invitations, account, people, recovery. */
export function identityRoutes(hearth: Hearth) {
  return new Elysia({ name: "identity" })
    .get(
      "/",
      async ({ request }) => {
        const ctx = pageFor(request);
        const viewer = viewerOf(request);
        if (!viewer) {
          const s = shellStrings(ctx.locale);
          const body = html`<p>${s.welcomeBody}</p>${signInForm(ctx.locale)}<p><a href="/signin">${identityStrings(ctx.locale).lostPasskeyTitle}</a></p>`;
          return htmlResponse(layout(ctx, s.welcomeTitle, card(s.welcomeTitle, body), { scripts: PASSKEY_SCRIPTS }));
        }
        const s = identityStrings(ctx.locale);
        const title = fill(s.homeHello, { name: ctx.viewer?.displayName ?? "" });
        const links = (ctx.nav ?? []).filter((n) => n.href !== "/" && n.href !== "/signout");
        // Sections other capabilities add (the clinic's groups, with "Join" while a session is open).
        const sections = await extraHomeSections(hearth, request, viewer, ctx.locale);
        const main = html`<h1>${title}</h1>${sections}<p>${s.homeIntro}</p><ul class="grid" role="list">${links.map((l) => html`<li class="card"><a href="${l.href}">${l.label}</a></li>`)}</ul>`;
        return htmlResponse(layout(ctx, title, main));
      },
      { detail: policy({ allow: "public" }) },
    )
    .get(
      "/recover",
      ({ request }) => {
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        return htmlResponse(layout(ctx, s.recoverTitle, card(s.recoverTitle, recoverForm(ctx.locale))));
      },
      { detail: policy({ allow: "public" }) },
    )
    .post(
      "/recover",
      ({ request, body }) => {
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const throttle = throttleOf(hearth);
        const address = `addr:${clientAddress(request)}`;
        const wait = throttle.waitMs(address);
        if (wait > 0) {
          const secs = Math.ceil(wait / 1000);
          return htmlResponse(layout(ctx, s.recoverTitle, card(s.recoverTitle, html`${notice("error", fill(s.tooManyTries, { s: secs }))}${recoverForm(ctx.locale)}`)), 429, { "retry-after": String(secs) });
        }
        const personId = redeemRecoveryCode(hearth, body.code);
        if (personId === null) {
          throttle.fail(address, PER_ADDRESS);
          hearth.audit.append({ actor: "anonymous", action: "recovery_code.used", subject: "recovery_code", outcome: "failed" });
          return htmlResponse(layout(ctx, s.recoverTitle, card(s.recoverTitle, html`${notice("error", s.recoverFailed)}${recoverForm(ctx.locale)}`)), 401);
        }
        const inv = hearth.db.transaction(() => {
          revokeAllPasskeys(hearth, personId);
          endAllSessions(hearth, personId);
          revokeOpenReinvitations(hearth, personId);
          hearth.audit.append({ actor: `person:${personId}`, action: "recovery_code.used", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
          hearth.audit.append({ actor: `person:${personId}`, action: "passkeys.revoked_all", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
          return createInvitation(hearth, { createdBy: personId, role: "admin", personId, ttlDays: 1 });
        }).immediate();
        return redirect(new URL(inv.url).pathname);
      },
      { body: t.Object({ code: t.String({ minLength: 1, maxLength: 40 }) }), detail: policy({ allow: "public" }) },
    )
    .use(signinRoutes(hearth))
    .use(onboardingRoutes(hearth))
    .use(invitationRoutes(hearth))
    .use(accountRoutes(hearth))
    .use(peopleRoutes(hearth));
}

function recoverForm(locale: Parameters<typeof identityStrings>[0]) {
  const s = identityStrings(locale);
  return html`<p>${s.recoverIntro}</p><form method="post" action="/recover">
${textField({ id: "code", label: s.recoveryCodeLabel, hint: s.recoveryCodeHint, required: true, maxLength: 40, autocomplete: "off" })}
<div class="actions"><button type="submit">${s.recoverButton}</button></div></form>`;
}
