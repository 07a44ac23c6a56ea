import { Elysia, t } from "elysia";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout, languageOptions } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, LOCALES, plural, type Locale } from "../ui/i18n.ts";
import type { AuditRow } from "../store/audit.ts";
import { EVERYONE, policy } from "./policy.ts";
import { identityStrings } from "./strings.ts";
import { requireViewer, roleLabel, type Viewer } from "./guard.ts";
import { activePasskeys, beginCeremony, insertPasskey, passkeyById, passkeyName, registrationOptions, revokePasskey, takeCeremony, verifyRegistration } from "./passkeys.ts";
import { displayName, getPerson, readContacts, readProfile, writeContacts, writeProfile } from "./people.ts";
import { isSecure, markVerified } from "./sessions.ts";
import { issueRecoveryCodes, unusedRecoveryCodes } from "./recovery.ts";
import { AttestationSchema, PasskeyName } from "./schemas.ts";
import { json, languageCookie, redirect } from "./respond.ts";
import { card, notice, passkeyForm, textField, when, PASSKEY_SCRIPTS } from "./views.ts";
import { describeAction } from "./audit-words.ts";

const Short = (max: number) => t.String({ maxLength: max });

async function passkeySection(hearth: Hearth, viewer: Viewer, locale: Locale) {
  const s = identityStrings(locale);
  const keys = activePasskeys(hearth, viewer.id);
  const rows = await Promise.all(
    keys.map(async (k) => {
      const name = (await passkeyName(hearth, k.id)) ?? s.passkeyUnnamed;
      const revoke =
        keys.length > 1
          ? html`<form method="post" action="/account/passkeys/${k.id}/revoke" data-fresh><div data-passkey-status role="status" tabindex="-1" hidden></div><button type="submit" class="secondary" aria-label="${fill(s.revokePasskeyLabel, { name })}">${s.revoke}</button></form>`
          : html`<span class="muted">${s.lastPasskey}</span>`;
      return html`<tr data-passkey-row><td>${name}</td><td>${formatDateTime(locale, k.createdAt)}</td><td>${when(locale, k.lastUsedAt, s.never)}</td><td>${revoke}</td></tr>`;
    }),
  );
  const add = passkeyForm({
    kind: "register",
    options: "/account/passkeys/options",
    verify: "/account/passkeys/verify",
    button: s.addPasskey,
    secondary: true,
    fields: textField({ id: "passkeyName", name: "name", label: s.passkeyNameLabel, hint: s.passkeyNameHint, required: true, maxLength: 60 }),
  });
  return html`<section class="card" aria-labelledby="passkeys"><h2 id="passkeys">${s.passkeysTitle}</h2><p>${s.passkeysIntro}</p>
<div class="table-wrap"><table><thead><tr><th scope="col">${s.colName}</th><th scope="col">${s.colAdded}</th><th scope="col">${s.colLastUsed}</th><th scope="col"><span class="visually-hidden">${s.colActions}</span></th></tr></thead><tbody>${rows}</tbody></table></div>
<h3>${s.addPasskeyTitle}</h3>${add}</section>`;
}

function actorText(locale: Locale, viewerId: number, actor: string, names: Map<string, string>): string {
  const s = identityStrings(locale);
  if (actor === `person:${viewerId}`) return s.actorYou;
  if (actor === "anonymous") return s.actorAnonymous;
  if (actor === "system" || actor === "cli") return s.actorSystem;
  return names.get(actor) ?? s.actorSomeone;
}

function actionText(locale: Locale, action: string): string {
  const s = identityStrings(locale);
  const known: Record<string, string> = {
    "signin": s.actSignin,
    "signin.confirm": s.actConfirm,
    "profile.read": s.actProfileRead,
    "profile.written": s.actProfileWritten,
    "profile.name_read": s.actNameRead,
    "contacts.read": s.actContactsRead,
    "contacts.written": s.actContactsWritten,
    "passkey.added": s.actPasskeyAdded,
    "passkey.revoked": s.actPasskeyRevoked,
    "passkeys.revoked_all": s.actPasskeysRevokedAll,
    "invitation.used": s.actInvitationUsed,
    "invitation.reissued": s.actInvitationReissued,
    "person.created": s.actPersonCreated,
    "role.changed": s.actRoleChanged,
    "sessions.ended_everywhere": s.actSignedOutEverywhere,
  };
  return known[action] ?? describeAction(locale, action);
}

/** Names for the people who appear in these rows: staff by name, anyone else by role only. */
async function actorNames(hearth: Hearth, locale: Locale, rows: AuditRow[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const actor of new Set(rows.map((r) => r.actor))) {
    const m = /^person:(\d+)$/.exec(actor);
    const person = m ? getPerson(hearth, Number(m[1])) : null;
    if (!person) continue;
    const role = roleLabel(locale, person.role);
    const name = person.role === "admin" || person.role === "clinician" ? await displayName(hearth, person.id) : null;
    names.set(actor, name ? `${name} (${role})` : role);
  }
  return names;
}

export function accountRoutes(hearth: Hearth) {
  return new Elysia({ name: "identity-account" })
    .get(
      "/account",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const profile = (await readProfile(hearth, viewer.id, viewer.id))!;
        const contacts = await readContacts(hearth, viewer.id, viewer.id);
        const lang = profile.language || ctx.locale;
        const flash = query.saved ? notice("ok", s.profileSaved) : query.added ? notice("ok", s.passkeyAddedMsg) : query.revoked ? notice("ok", s.passkeyRevokedMsg) : "";
        const profileForm = html`<section class="card" aria-labelledby="profile"><h2 id="profile">${s.profileTitle}</h2><p>${viewer.role === "admin" || viewer.role === "clinician" ? s.profileIntroStaff : s.profileIntro}</p>
<form method="post" action="/account/profile">
${textField({ id: "displayName", label: s.yourName, value: profile.displayName, required: true, maxLength: 80, autocomplete: "name" })}
${textField({ id: "pronouns", label: s.pronouns, hint: s.optional, value: profile.pronouns, maxLength: 40 })}
<div class="field"><label for="language">${s.preferredLanguage}</label><select id="language" name="language">${languageOptions(lang as Locale)}</select></div>
${textField({ id: "reminderContact", label: s.reminderContact, hint: s.reminderContactHint, value: contacts.reminderContact, maxLength: 200 })}
${textField({ id: "emergencyContact", label: s.emergencyContact, hint: s.emergencyContactHint, value: contacts.emergencyContact, maxLength: 200 })}
${textField({ id: "usualLocation", label: s.usualLocation, hint: s.usualLocationHint, value: contacts.usualLocation, maxLength: 200 })}
<div class="actions"><button type="submit">${s.saveProfile}</button></div></form></section>`;
        const sessions = html`<section class="card" aria-labelledby="devices"><h2 id="devices">${s.everywhereTitle}</h2><p>${s.everywhereBody}</p>
<form method="post" action="/signout/everywhere"><div class="actions"><button type="submit" class="secondary">${s.everywhereButton}</button></div></form>
${viewer.role === "admin" ? html`<p><a href="/account/recovery-codes">${s.recoveryCodesTitle}</a></p>` : ""}</section>`;
        const main = html`<h1>${s.accountTitle}</h1>${flash}${profileForm}${await passkeySection(hearth, viewer, ctx.locale)}${sessions}`;
        return htmlResponse(layout(ctx, s.accountTitle, main, { scripts: PASSKEY_SCRIPTS }), 200, { "cache-control": "no-store" });
      },
      {
        query: t.Object({ saved: t.Optional(Short(1)), added: t.Optional(Short(1)), revoked: t.Optional(Short(1)) }),
        detail: policy({ allow: EVERYONE }),
      },
    )
    .post(
      "/account/profile",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        await writeProfile(hearth, viewer.id, viewer.id, { displayName: body.displayName.trim(), pronouns: body.pronouns.trim(), language: body.language });
        await writeContacts(hearth, viewer.id, viewer.id, {
          reminderContact: body.reminderContact.trim(),
          emergencyContact: body.emergencyContact.trim(),
          usualLocation: body.usualLocation.trim(),
        });
        return redirect("/account?saved=1", body.language ? [languageCookie(body.language, isSecure(hearth, request))] : []);
      },
      {
        body: t.Object({
          displayName: t.String({ minLength: 1, maxLength: 80, pattern: "\\S" }),
          pronouns: Short(40),
          language: t.UnionEnum(["", ...LOCALES]),
          reminderContact: Short(200),
          emergencyContact: Short(200),
          usualLocation: Short(200),
        }),
        detail: policy({ allow: EVERYONE }),
      },
    )
    .post(
      "/account/passkeys/options",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const person = getPerson(hearth, viewer.id)!;
        const name = (await displayName(hearth, viewer.id)) || roleLabel(pageFor(request).locale, viewer.role);
        const options = await registrationOptions(hearth, { handle: person.webauthnHandle, name, exclude: activePasskeys(hearth, viewer.id) });
        return json({ options }, 200, [beginCeremony(hearth, request, "add", options.challenge, { person: viewer.id, name: body.name })]);
      },
      { body: t.Object({ name: PasskeyName }), detail: policy({ allow: EVERYONE, fresh: true }) },
    )
    .post(
      "/account/passkeys/verify",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const s = identityStrings(pageFor(request).locale);
        const c = takeCeremony(hearth, request, "add");
        if (!c || c.data.person !== viewer.id) return json({ error: s.ceremonyExpired }, 400);
        const key = await verifyRegistration(hearth, body.response as RegistrationResponseJSON, c.challenge);
        if (!key) return json({ error: s.registerFailed }, 400);
        const sealedName = await hearth.vault.seal(String(c.data.name));
        hearth.db.transaction(() => {
          const id = insertPasskey(hearth, viewer.id, key, sealedName);
          hearth.audit.append({ actor: `person:${viewer.id}`, action: "passkey.added", subject: `passkey:${id}`, ownerId: viewer.id, outcome: "ok" });
        }).immediate();
        // Registering with user verification is as fresh as an assertion.
        markVerified(hearth, viewer.sessionIdHash);
        return json({ redirect: "/account?added=1" });
      },
      { body: t.Object({ response: AttestationSchema, name: t.Optional(PasskeyName) }), detail: policy({ allow: EVERYONE, fresh: true }) },
    )
    .post(
      "/account/passkeys/:id/revoke",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = identityStrings(pageFor(request).locale);
        const key = passkeyById(hearth, params.id);
        // The guard checked ownership; the handler does not act on anyone else's key regardless.
        if (!key || key.personId !== viewer.id) throw new HttpError(404, s.notFoundTitle, s.notFoundBody);
        if (key.revokedAt === null) {
          if (activePasskeys(hearth, viewer.id).length <= 1) throw new HttpError(409, s.lastPasskeyTitle, s.lastPasskeyBody);
          revokePasskey(hearth, key.id);
          hearth.audit.append({ actor: `person:${viewer.id}`, action: "passkey.revoked", subject: `passkey:${key.id}`, ownerId: viewer.id, outcome: "ok" });
        }
        return redirect("/account?revoked=1");
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy({ allow: EVERYONE, item: { kind: "passkey", param: "id" }, fresh: true }) },
    )
    .get(
      "/account/seen",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const rows = hearth.audit.forOwner(viewer.id);
        const names = await actorNames(hearth, ctx.locale, rows);
        const outcome = (o: string) => (o === "ok" ? s.outcomeOk : o === "denied" ? s.outcomeDenied : s.outcomeFailed);
        const table = rows.length
          ? html`<div class="table-wrap"><table><caption class="visually-hidden">${s.seenTitle}</caption><thead><tr><th scope="col">${s.colWhen}</th><th scope="col">${s.colWho}</th><th scope="col">${s.colWhat}</th><th scope="col">${s.colOutcome}</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-audit-row><td>${formatDateTime(ctx.locale, r.at)}</td><td>${actorText(ctx.locale, viewer.id, r.actor, names)}</td><td>${actionText(ctx.locale, r.action)}</td><td>${outcome(r.outcome)}</td></tr>`)}
</tbody></table></div>`
          : html`<p>${s.seenNone}</p>`;
        return htmlResponse(layout(ctx, s.seenTitle, card(s.seenTitle, html`<p>${s.seenIntro}</p>${table}`, { narrow: false })), 200, { "cache-control": "no-store" });
      },
      { detail: policy({ allow: EVERYONE }) },
    )
    .get(
      "/account/recovery-codes",
      ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const left = unusedRecoveryCodes(hearth, viewer.id);
        const body = html`<p>${s.recoveryIntro}</p><p>${left ? plural(ctx.locale, s, "recoveryLeft", left) : s.recoveryNone}</p>
<form method="post" action="/account/recovery-codes" data-fresh><div data-passkey-status role="status" tabindex="-1" hidden></div><div class="actions"><button type="submit">${left ? s.recoveryReplace : s.recoveryCreate}</button></div></form>`;
        return htmlResponse(layout(ctx, s.recoveryCodesTitle, card(s.recoveryCodesTitle, body), { scripts: PASSKEY_SCRIPTS }));
      },
      { detail: policy({ allow: ["admin"] }) },
    )
    .post(
      "/account/recovery-codes",
      ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const codes = issueRecoveryCodes(hearth, viewer.id);
        const body = html`${notice("warning", s.recoveryShownOnce)}<ol class="codes" data-recovery-codes>${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
<p><a class="button" href="/">${s.recoveryDone}</a></p>`;
        return htmlResponse(layout(ctx, s.recoveryCodesTitle, card(s.recoveryCodesTitle, body)), 200, { "cache-control": "no-store" });
      },
      { detail: policy({ allow: ["admin"], fresh: true }) },
    );
}
