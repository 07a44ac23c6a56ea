import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout, type PageContext } from "../ui/page.ts";
import { pageFor, isHtmx } from "../ui/request.ts";
import { fill } from "../ui/i18n.ts";
import { applianceStrings } from "./strings.ts";
import { readIdentity, slotExists, KeyError } from "../store/keys.ts";
import { log } from "../log.ts";
import { policy } from "../identity/policy.ts";
import { viewerOf } from "../identity/guard.ts";
import { identityStrings } from "../identity/strings.ts";

// While locked, only these answer; everything else shows the unlock page. Signing in works
// while locked (people and passkeys are not sealed): an admin must be signed in to unlock.
const OPEN_WHILE_LOCKED = [
  /^\/healthz$/,
  /^\/static\//,
  /^\/unlock$/,
  /^\/preferences$/,
  // The local CA and how to trust it: a device may need them before it can reach the sign-in page.
  /^\/ca\.crt$/,
  /^\/trust$/,
  /^\/signin(\/options|\/verify)?$/,
  /^\/signout(\/everywhere)?$/,
  /^\/session\/extend$/,
];

function unlockPage(ctx: PageContext, error?: string, status = 423): Response {
  const s = applianceStrings(ctx.locale);
  if (ctx.viewer?.role !== "admin") {
    const main = html`<div class="card narrow"><h1>${s.unlockTitle}</h1><p>${s.unlockIntro}</p><p>${identityStrings(ctx.locale).unlockSignInFirst}</p>
<p><a class="button" href="/signin?next=/unlock">${identityStrings(ctx.locale).unlockSignIn}</a></p></div>`;
    return htmlResponse(layout(ctx, s.unlockTitle, main), status);
  }
  const main = html`<div class="card narrow"><h1>${s.unlockTitle}</h1><p>${s.unlockIntro}</p>
${error ? html`<div class="notice notice-error" role="alert"><p>${error}</p></div>` : ""}
<form method="post" action="/unlock">
<div class="field"><label for="passphrase">${s.passphrase}</label>
<input type="password" id="passphrase" name="passphrase" autocomplete="current-password" required></div>
<div class="actions"><button type="submit">${s.unlock}</button></div></form></div>`;
  return htmlResponse(layout(ctx, s.unlockTitle, main), status);
}

/**
 * Locked mode: the identity file is passphrase-encrypted and the appliance booted without the
 * passphrase. Until someone gives it, every page but this one is refused.
 */
export function unlockRoutes(hearth: Hearth) {
  let failures = 0;
  let waitUntil = 0;
  return new Elysia({ name: "unlock" })
    .onBeforeHandle({ as: "global" }, ({ request }) => {
      if (hearth.vault.unlocked) return;
      const path = new URL(request.url).pathname;
      if (OPEN_WHILE_LOCKED.some((re) => re.test(path))) return;
      const ctx = pageFor(request);
      if (isHtmx(request) || request.method !== "GET") {
        return new Response(applianceStrings(ctx.locale).lockedApi, { status: 423 });
      }
      return unlockPage(ctx);
    })
    .get(
      "/unlock",
      ({ request }) => {
        if (hearth.vault.unlocked) return new Response(null, { status: 303, headers: { location: "/" } });
        return unlockPage(pageFor(request), undefined, 200);
      },
      { detail: policy({ allow: "public" }) },
    )
    .post(
      "/unlock",
      async ({ request, body }) => {
        const ctx = pageFor(request);
        const s = applianceStrings(ctx.locale);
        if (hearth.vault.unlocked) return new Response(null, { status: 303, headers: { location: "/" } });
        // The guard let only admins in; say so here too, next to the action it protects.
        const admin = viewerOf(request);
        if (admin?.role !== "admin") return unlockPage(ctx, undefined, 401);
        const now = hearth.now();
        if (now < waitUntil) return unlockPage(ctx, fill(s.tooManyTries, { s: Math.ceil((waitUntil - now) / 1000) }), 429);
        try {
          const dataDir = hearth.config.dataDir;
          const ids = [await readIdentity(dataDir, "identity", body.passphrase)];
          if (slotExists(dataDir, "identity.next")) ids.unshift(await readIdentity(dataDir, "identity.next", body.passphrase));
          await hearth.vault.unlock(ids);
        } catch (err) {
          if (!(err instanceof KeyError)) throw err;
          failures++;
          // Growing delay: 1 s, 2 s, 4 s … up to 5 minutes, so guessing is slow.
          waitUntil = now + Math.min(300_000, 1000 * 2 ** Math.min(failures - 1, 9));
          hearth.audit.append({ actor: `person:${admin.id}`, action: "appliance.unlock", subject: "appliance", outcome: "denied" });
          log.warn("unlock refused", { failures });
          return unlockPage(ctx, s.wrongPassphrase, 401);
        }
        failures = 0;
        hearth.audit.append({ actor: `person:${admin.id}`, action: "appliance.unlock", subject: "appliance", outcome: "ok" });
        log.info("appliance unlocked");
        return new Response(null, { status: 303, headers: { location: "/" } });
      },
      { body: t.Object({ passphrase: t.String({ minLength: 1, maxLength: 1024 }) }), detail: policy({ allow: ["admin"] }) },
    );
}
