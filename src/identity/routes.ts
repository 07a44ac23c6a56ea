import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { shellStrings } from "../ui/strings.ts";
import { fill } from "../ui/i18n.ts";
import { identityStrings } from "./strings.ts";
import { setupTokenState } from "./setup.ts";
import { TOKEN_PATTERN } from "./tokens.ts";

export function identityRoutes(hearth: Hearth) {
  return new Elysia({ name: "identity" })
    .get("/", ({ request }) => {
      const ctx = pageFor(request);
      const s = shellStrings(ctx.locale);
      return htmlResponse(layout(ctx, s.welcomeTitle, html`<div class="card narrow"><h1>${s.welcomeTitle}</h1><p>${s.welcomeBody}</p></div>`));
    })
    .get(
      "/setup/:token",
      ({ request, params }) => {
        const ctx = pageFor(request);
        const s = identityStrings(ctx.locale);
        const state = setupTokenState(hearth.db, params.token, hearth.now());
        if (state !== "valid") {
          const reason = {
            used: s.setupLinkUsed,
            expired: s.setupLinkExpired,
            unknown: s.setupLinkUnknown,
            closed: s.setupClosed,
          }[state];
          const body = html`<div class="card narrow"><h1>${s.setupTitle}</h1><p>${reason}</p>
${state === "closed" ? "" : html`<p>${fill(s.setupNewLink, { cmd: "" })}<code>hearth setup-link</code></p>`}</div>`;
          return htmlResponse(layout(ctx, s.setupTitle, body), state === "closed" ? 409 : 410);
        }
        return htmlResponse(layout(ctx, s.setupTitle, html`<div class="card narrow"><h1>${s.setupTitle}</h1><p>${s.setupIntro}</p></div>`));
      },
      { params: t.Object({ token: t.String({ pattern: TOKEN_PATTERN }) }) },
    );
}
