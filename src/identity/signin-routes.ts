import { Elysia, t } from "elysia";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { EVERYONE, FRESH_MS, policy } from "./policy.ts";
import { identityStrings } from "./strings.ts";
import { clientAddress, requireViewer, viewerOf } from "./guard.ts";
import {
  activePasskeys,
  authenticationOptions,
  beginCeremony,
  passkeyByCredentialId,
  recordUse,
  takeCeremony,
  verifyAssertion,
  type StoredPasskey,
} from "./passkeys.ts";
import { canSignIn, getPerson, readProfileLanguage, type Person } from "./people.ts";
import { clearSessionCookie, createSession, endAllSessions, endSession, isSecure, markVerified, sessionCookie } from "./sessions.ts";
import { PER_ACCOUNT, PER_ADDRESS, throttleOf } from "./throttle.ts";
import { AssertionSchema, Next } from "./schemas.ts";
import { json, languageCookie, redirect, safeNext, tooManyJson } from "./respond.ts";
import { card, notice, passkeyForm, PASSKEY_SCRIPTS } from "./views.ts";

export function signInForm(locale: Parameters<typeof identityStrings>[0], next = "/"): Html {
  const s = identityStrings(locale);
  return passkeyForm({
    kind: "signin",
    options: "/signin/options",
    verify: "/signin/verify",
    button: s.signInButton,
    fields: next !== "/" ? html`<input type="hidden" name="next" value="${next}">` : undefined,
  });
}

type Outcome = { ok: true; person: Person; key: StoredPasskey } | { ok: false; person: Person | null; revoked: boolean };

/**
 * Checks a discoverable sign-in assertion. Failures slow down per address, and per account when
 * the credential is known. A credential that belongs to an account is judged by that account's
 * counter alone: a whole clinic behind one NAT address is not locked out by someone guessing.
 */
async function checkAssertion(hearth: Hearth, request: Request, response: AuthenticationResponseJSON, purpose: "signin" | "confirm", onlyPerson?: number): Promise<Outcome | { wait: number }> {
  const throttle = throttleOf(hearth);
  const address = `addr:${clientAddress(request)}`;
  const key = passkeyByCredentialId(hearth, response.id);
  const person = key ? getPerson(hearth, key.personId) : null;
  const account = person ? `acct:${person.id}` : null;
  const wait = account ? throttle.waitMs(account) : throttle.waitMs(address);
  if (wait > 0) return { wait };
  const ceremony = takeCeremony(hearth, request, purpose);
  let ok = false;
  if (ceremony && key && person && key.revokedAt === null && canSignIn(hearth, person) && (onlyPerson === undefined || onlyPerson === person.id)) {
    const handle = response.response.userHandle;
    const counter = handle && handle !== person.webauthnHandle ? null : await verifyAssertion(hearth, response, ceremony.challenge, key);
    if (counter !== null) {
      recordUse(hearth, key.id, counter);
      ok = true;
    }
  }
  if (ok) {
    if (account) throttle.succeed(account);
    return { ok: true, person: person!, key: key! };
  }
  throttle.fail(address, PER_ADDRESS);
  if (account) throttle.fail(account, PER_ACCOUNT);
  return { ok: false, person, revoked: key?.revokedAt != null };
}

export function signinRoutes(hearth: Hearth) {
  return new Elysia({ name: "identity-signin" })
    .get(
      "/signin",
      ({ request, query }) => {
        if (viewerOf(request)) return redirect(safeNext(query.next));
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const why = query.ended === "idle" ? notice("info", s.signedOutIdle) : query.ended === "signedout" ? notice("ok", s.signedOut) : "";
        const body = html`${why}<p>${s.signInIntro}</p>${signInForm(ctx.locale, safeNext(query.next))}
<h2>${s.lostPasskeyTitle}</h2><p>${s.lostPasskeyBody}</p><p><a href="/recover">${s.recoverLink}</a></p>`;
        return htmlResponse(layout(ctx, s.signInPageTitle, card(s.signInPageTitle, body), { scripts: PASSKEY_SCRIPTS }));
      },
      { query: t.Object({ ended: t.Optional(t.UnionEnum(["idle", "signedout"])), next: Next }), detail: policy({ allow: "public" }) },
    )
    .post(
      "/signin/options",
      async ({ request }) => {
        const options = await authenticationOptions(hearth);
        return json({ options }, 200, [beginCeremony(hearth, request, "signin", options.challenge, {})]);
      },
      { detail: policy({ allow: "public" }) },
    )
    .post(
      "/signin/verify",
      async ({ request, body }) => {
        const locale = pageFor(request).locale;
        const s = identityStrings(locale);
        const result = await checkAssertion(hearth, request, body.response as AuthenticationResponseJSON, "signin");
        if ("wait" in result) return tooManyJson(locale, result.wait);
        if (!result.ok) {
          hearth.audit.append({ actor: "anonymous", action: "signin", subject: result.person ? `person:${result.person.id}` : "passkey", ownerId: result.person?.id ?? null, outcome: "failed" });
          return json({ error: result.revoked ? s.signInRevoked : s.signInFailed }, 401);
        }
        const { person } = result;
        const old = viewerOf(request);
        if (old) endSession(hearth, old.sessionIdHash);
        const session = createSession(hearth, person.id);
        hearth.audit.append({ actor: `person:${person.id}`, action: "signin", subject: `person:${person.id}`, ownerId: person.id, outcome: "ok" });
        const cookies = [sessionCookie(hearth, request, session.id)];
        const lang = await readProfileLanguage(hearth, person.id);
        if (lang) cookies.push(languageCookie(lang, isSecure(hearth, request)));
        const next = !hearth.vault.unlocked && person.role === "admin" ? "/unlock" : safeNext(body.next);
        return json({ redirect: next }, 200, cookies);
      },
      { body: t.Object({ response: AssertionSchema, next: Next }), detail: policy({ allow: "public" }) },
    )
    .get(
      "/signout",
      ({ request }) => {
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const body = html`<p>${s.signOutIntro}</p>
<form method="post" action="/signout"><div class="actions"><button type="submit">${s.signOutButton}</button></div></form>
<h2>${s.everywhereTitle}</h2><p>${s.everywhereBody}</p>
<form method="post" action="/signout/everywhere"><div class="actions"><button type="submit" class="secondary">${s.everywhereButton}</button></div></form>`;
        return htmlResponse(layout(ctx, s.signOutTitle, card(s.signOutTitle, body)));
      },
      { detail: policy({ allow: EVERYONE }) },
    )
    .post(
      "/signout",
      ({ request }) => {
        endSession(hearth, requireViewer(request).sessionIdHash);
        return redirect("/signin?ended=signedout", [clearSessionCookie(hearth, request)]);
      },
      { detail: policy({ allow: EVERYONE }) },
    )
    .post(
      "/signout/everywhere",
      ({ request }) => {
        const viewer = requireViewer(request);
        endAllSessions(hearth, viewer.id);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "sessions.ended_everywhere", subject: `person:${viewer.id}`, ownerId: viewer.id, outcome: "ok" });
        return redirect("/signin?ended=signedout", [clearSessionCookie(hearth, request)]);
      },
      { detail: policy({ allow: EVERYONE }) },
    )
    .post("/session/extend", () => new Response(null, { status: 204 }), { detail: policy({ allow: EVERYONE }) })
    .post(
      "/confirm/options",
      async ({ request }) => {
        const viewer = requireViewer(request);
        // Still fresh with a margin: no need to ask again.
        if (hearth.now() - viewer.verifiedAt < FRESH_MS - 30_000) return json({ fresh: true });
        const options = await authenticationOptions(hearth, activePasskeys(hearth, viewer.id));
        return json({ options }, 200, [beginCeremony(hearth, request, "confirm", options.challenge, {})]);
      },
      { detail: policy({ allow: EVERYONE }) },
    )
    .post(
      "/confirm/verify",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const locale = pageFor(request).locale;
        const result = await checkAssertion(hearth, request, body.response as AuthenticationResponseJSON, "confirm", viewer.id);
        if ("wait" in result) return tooManyJson(locale, result.wait);
        if (!result.ok) {
          hearth.audit.append({ actor: `person:${viewer.id}`, action: "signin.confirm", subject: `person:${viewer.id}`, ownerId: viewer.id, outcome: "failed" });
          return json({ error: identityStrings(locale).confirmFailed }, 401);
        }
        markVerified(hearth, viewer.sessionIdHash);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "signin.confirm", subject: `person:${viewer.id}`, ownerId: viewer.id, outcome: "ok" });
        return json({ ok: true });
      },
      { body: t.Object({ response: AssertionSchema }), detail: policy({ allow: EVERYONE }) },
    );
}
