import { Elysia, t } from "elysia";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { policy, type Role } from "./policy.ts";
import { identityStrings } from "./strings.ts";
import { clientAddress, roleLabel, viewerOf } from "./guard.ts";
import { consumeSetupToken, setupTokenState } from "./setup.ts";
import { TOKEN_PATTERN, hashToken } from "./tokens.ts";
import { beginCeremony, insertPasskey, registrationOptions, takeCeremony, verifyRegistration, type NewPasskey } from "./passkeys.ts";
import { getPerson, insertPerson, newWebauthnHandle } from "./people.ts";
import { createSession, endSession, sessionCookie } from "./sessions.ts";
import { consumeInvitation, invitationByToken, notifyAccepted, type Invitation, type InvitationState } from "./invitations.ts";
import { PER_ACCOUNT, PER_ADDRESS, throttleOf } from "./throttle.ts";
import { AttestationSchema, DisplayName } from "./schemas.ts";
import { json } from "./respond.ts";
import { card, notice, passkeyForm, textField, PASSKEY_SCRIPTS } from "./views.ts";

const DAY = 24 * 60 * 60 * 1000;
const TokenParams = t.Object({ token: t.String({ pattern: TOKEN_PATTERN }) });

function nameField(locale: Locale) {
  const s = identityStrings(locale);
  return textField({ id: "displayName", label: s.yourName, hint: s.yourNameHint, required: true, maxLength: 80, autocomplete: "name" });
}

/**
 * Stores a new person with their first passkey, in one transaction with the check that the link
 * is still unused; returns the new person's id, or null if the link was used meanwhile.
 */
async function storeNewPerson(
  hearth: Hearth,
  p: { role: Role; displayName: string; handle: string; invitedBy: number | null; accessEndsAt: number | null; key: NewPasskey; keyName: string },
  consume: (personId: number) => boolean,
): Promise<number | null> {
  const sealedProfile = await hearth.vault.sealJson({ displayName: p.displayName, pronouns: "", language: "" });
  const sealedName = await hearth.vault.seal(p.keyName);
  return hearth.db.transaction(() => {
    const id = insertPerson(hearth, { role: p.role, sealedProfile, webauthnHandle: p.handle, invitedBy: p.invitedBy, accessEndsAt: p.accessEndsAt });
    if (!consume(id)) throw new LinkGone();
    const keyId = insertPasskey(hearth, id, p.key, sealedName);
    hearth.audit.append({ actor: `person:${id}`, action: "person.created", subject: `person:${id}`, ownerId: id, outcome: "ok" });
    hearth.audit.append({ actor: `person:${id}`, action: "passkey.added", subject: `passkey:${keyId}`, ownerId: id, outcome: "ok" });
    return id;
  }).immediate();
}

class LinkGone extends Error {}

async function guarded<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LinkGone) return null;
    throw err;
  }
}

function signedIn(hearth: Hearth, request: Request, personId: number, redirectTo: string): Response {
  const old = viewerOf(request);
  if (old) endSession(hearth, old.sessionIdHash);
  const session = createSession(hearth, personId);
  hearth.audit.append({ actor: `person:${personId}`, action: "signin", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return json({ redirect: redirectTo }, 200, [sessionCookie(hearth, request, session.id)]);
}

function inviteKindPage(locale: Locale, request: Request, state: Exclude<InvitationState, "valid">, role: Role | null): Response {
  const s = identityStrings(locale);
  const why = { used: s.inviteUsed, expired: s.inviteExpired, revoked: s.inviteRevoked, unknown: s.inviteUnknown }[state];
  const how = role === "patient" || role === "guest" ? s.inviteAskClinician : role ? s.inviteAskAdmin : s.inviteAskAnyone;
  const body = html`<p>${why}</p><p>${how}</p><p>${s.inviteNothingLost}</p><p><a href="/signin">${s.inviteHaveAccount}</a></p>`;
  return htmlResponse(layout(pageFor(request), s.inviteTitle, card(s.inviteTitle, body)), state === "unknown" ? 404 : 410);
}

export function onboardingRoutes(hearth: Hearth) {
  const throttle = throttleOf(hearth);

  /** A valid invitation for this token, or a refusal; unknown tokens count against the address. */
  function openInvitation(request: Request, token: string): { invitation: Invitation } | { state: Exclude<InvitationState, "valid">; invitation: Invitation | null; wait?: number } {
    const address = `addr:${clientAddress(request)}`;
    const wait = throttle.waitMs(address);
    if (wait > 0) return { state: "unknown", invitation: null, wait };
    const { state, invitation } = invitationByToken(hearth, token);
    if (state === "unknown") throttle.fail(address, PER_ADDRESS);
    if (state !== "valid") return { state, invitation };
    return { invitation: invitation! };
  }

  return new Elysia({ name: "identity-onboarding" })
    .get(
      "/setup/:token",
      ({ request, params }) => {
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const state = setupTokenState(hearth.db, params.token, hearth.now());
        if (state !== "valid") {
          const reason = { used: s.setupLinkUsed, expired: s.setupLinkExpired, unknown: s.setupLinkUnknown, closed: s.setupClosed }[state];
          const body = html`<p>${reason}</p>${state === "closed" ? "" : html`<p>${fill(s.setupNewLink, { cmd: "" })}<code>hearth setup-link</code></p>`}`;
          return htmlResponse(layout(ctx, s.setupTitle, card(s.setupTitle, body)), state === "closed" ? 409 : 410);
        }
        const form = passkeyForm({
          kind: "register",
          options: `/setup/${params.token}/options`,
          verify: `/setup/${params.token}/verify`,
          button: s.createPasskey,
          fields: nameField(ctx.locale),
        });
        const body = html`<p>${s.setupIntro}</p><p>${s.passkeyExplain}</p>${form}`;
        return htmlResponse(layout(ctx, s.setupTitle, card(s.setupTitle, body), { scripts: PASSKEY_SCRIPTS }));
      },
      { params: TokenParams, detail: policy({ allow: "public" }) },
    )
    .post(
      "/setup/:token/options",
      async ({ request, params, body }) => {
        const s = identityStrings(pageFor(request).locale);
        if (setupTokenState(hearth.db, params.token, hearth.now()) !== "valid") return json({ error: s.setupLinkGone }, 410);
        const handle = newWebauthnHandle();
        const options = await registrationOptions(hearth, { handle, name: body.displayName, exclude: [] });
        const cookie = beginCeremony(hearth, request, "setup", options.challenge, { token: hashToken(params.token), handle, displayName: body.displayName });
        return json({ options }, 200, [cookie]);
      },
      { params: TokenParams, body: t.Object({ displayName: DisplayName }), detail: policy({ allow: "public" }) },
    )
    .post(
      "/setup/:token/verify",
      async ({ request, params, body }) => {
        const s = identityStrings(pageFor(request).locale);
        const c = takeCeremony(hearth, request, "setup");
        if (!c || c.data.token !== hashToken(params.token)) return json({ error: s.ceremonyExpired }, 400);
        const key = await verifyRegistration(hearth, body.response as RegistrationResponseJSON, c.challenge);
        if (!key) return json({ error: s.registerFailed }, 400);
        const id = await guarded(() =>
          storeNewPerson(
            hearth,
            { role: "admin", displayName: String(c.data.displayName), handle: String(c.data.handle), invitedBy: null, accessEndsAt: null, key, keyName: s.firstPasskeyName },
            () => consumeSetupToken(hearth.db, params.token, hearth.now()),
          ),
        );
        if (id === null) return json({ error: s.setupLinkGone }, 410);
        return signedIn(hearth, request, id, "/account/recovery-codes");
      },
      { params: TokenParams, body: t.Object({ response: AttestationSchema, displayName: t.Optional(DisplayName) }), detail: policy({ allow: "public" }) },
    )
    .get(
      "/invite/:token",
      ({ request, params }) => {
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const found = openInvitation(request, params.token);
        if ("state" in found) {
          if (found.wait) return htmlResponse(layout(ctx, s.inviteTitle, card(s.inviteTitle, notice("error", fill(s.tooManyTries, { s: Math.ceil(found.wait / 1000) })))), 429, { "retry-after": String(Math.ceil(found.wait / 1000)) });
          return inviteKindPage(ctx.locale, request, found.state, found.invitation?.role ?? null);
        }
        const inv = found.invitation;
        const reinvite = inv.personId !== null;
        const form = passkeyForm({
          kind: "register",
          options: `/invite/${params.token}/options`,
          verify: `/invite/${params.token}/verify`,
          button: s.createPasskey,
          fields: reinvite ? undefined : nameField(ctx.locale),
        });
        const intro = reinvite ? s.reinviteIntro : fill(s.inviteIntro, { role: roleLabel(ctx.locale, inv.role) });
        const body = html`<p>${intro}</p><p>${s.passkeyExplain}</p>${form}`;
        return htmlResponse(layout(ctx, s.inviteTitle, card(s.inviteTitle, body), { scripts: PASSKEY_SCRIPTS }), 200, { "cache-control": "no-store" });
      },
      { params: TokenParams, detail: policy({ allow: "public" }) },
    )
    .post(
      "/invite/:token/options",
      async ({ request, params, body }) => {
        const locale = pageFor(request).locale;
        const s = identityStrings(locale);
        const found = openInvitation(request, params.token);
        if ("state" in found) return json({ error: found.wait ? fill(s.tooManyTries, { s: Math.ceil(found.wait / 1000) }) : s.inviteGone }, found.wait ? 429 : 410);
        const inv = found.invitation;
        const existing = inv.personId !== null ? getPerson(hearth, inv.personId) : null;
        if (inv.personId !== null && !existing) return json({ error: s.inviteGone }, 410);
        if (!existing && !body.displayName) return json({ error: s.nameNeeded }, 400);
        const handle = existing?.webauthnHandle || newWebauthnHandle();
        const name = body.displayName ?? roleLabel(locale, inv.role);
        const options = await registrationOptions(hearth, { handle, name, exclude: [] });
        const cookie = beginCeremony(hearth, request, "invite", options.challenge, { invitation: inv.id, handle, displayName: body.displayName ?? "" });
        return json({ options }, 200, [cookie]);
      },
      { params: TokenParams, body: t.Object({ displayName: t.Optional(DisplayName) }), detail: policy({ allow: "public" }) },
    )
    .post(
      "/invite/:token/verify",
      async ({ request, params, body }) => {
        const s = identityStrings(pageFor(request).locale);
        const found = openInvitation(request, params.token);
        if ("state" in found) return json({ error: s.inviteGone }, 410);
        const inv = found.invitation;
        const c = takeCeremony(hearth, request, "invite");
        const perInvite = `invite:${inv.id}`;
        if (throttle.waitMs(perInvite) > 0) return json({ error: fill(s.tooManyTries, { s: Math.ceil(throttle.waitMs(perInvite) / 1000) }) }, 429);
        const key = c && c.data.invitation === inv.id ? await verifyRegistration(hearth, body.response as RegistrationResponseJSON, c.challenge) : null;
        if (!c || !key) {
          throttle.fail(perInvite, PER_ACCOUNT);
          throttle.fail(`addr:${clientAddress(request)}`, PER_ADDRESS);
          hearth.audit.append({ actor: "anonymous", action: "invitation.used", subject: `invitation:${inv.id}`, ownerId: inv.personId, outcome: "failed" });
          return json({ error: c ? s.registerFailed : s.ceremonyExpired }, 400);
        }
        const id = inv.personId !== null ? await addToExisting(hearth, inv, key, s.newPasskeyName) : await guarded(() =>
          storeNewPerson(
            hearth,
            {
              role: inv.role,
              displayName: String(c.data.displayName),
              handle: String(c.data.handle),
              invitedBy: inv.createdBy,
              accessEndsAt: inv.role === "guest" ? hearth.now() + (inv.accessDays ?? 1) * DAY : null,
              key,
              keyName: s.firstPasskeyName,
            },
            (personId) => consumeInvitation(hearth, inv.id, personId),
          ),
        );
        if (id === null) return json({ error: s.inviteGone }, 410);
        hearth.audit.append({ actor: `person:${id}`, action: "invitation.used", subject: `invitation:${inv.id}`, ownerId: id, outcome: "ok" });
        await notifyAccepted(hearth, inv, id);
        return signedIn(hearth, request, id, "/");
      },
      { params: TokenParams, body: t.Object({ response: AttestationSchema, displayName: t.Optional(DisplayName) }), detail: policy({ allow: "public" }) },
    );
}

/** A re-invitation: the person exists (their old passkeys were revoked when it was made); add the new one. */
async function addToExisting(hearth: Hearth, inv: Invitation, key: NewPasskey, keyName: string): Promise<number | null> {
  const personId = inv.personId!;
  const sealedName = await hearth.vault.seal(keyName);
  return guarded(async () =>
    hearth.db.transaction(() => {
      if (!consumeInvitation(hearth, inv.id, personId)) throw new LinkGone();
      const keyId = insertPasskey(hearth, personId, key, sealedName);
      hearth.audit.append({ actor: `person:${personId}`, action: "passkey.added", subject: `passkey:${keyId}`, ownerId: personId, outcome: "ok" });
      return personId;
    }).immediate(),
  );
}
