import { Elysia, t } from "elysia";
import { getAsset } from "./assets.ts";
import { html, htmlResponse } from "./html.ts";
import { layout, languageOptions } from "./page.ts";
import { pageFor, PREF_COOKIES } from "./request.ts";
import { shellStrings } from "./strings.ts";
import { LOCALES } from "./i18n.ts";
import { policy } from "../identity/policy.ts";

const YEAR = 365 * 24 * 3600;

/** Static files, and the display-and-language preferences every visitor can set. */
export const uiRoutes = new Elysia({ name: "ui" })
  .get(
    "/static/:name",
    ({ params, request }) => {
      const asset = getAsset(params.name);
      if (!asset) return new Response(shellStrings(pageFor(request).locale).notFoundTitle, { status: 404 });
      if (request.headers.get("if-none-match") === `"${asset.etag}"`) return new Response(null, { status: 304 });
      return new Response(asset.body as Uint8Array<ArrayBuffer> | Blob, {
        headers: {
          "content-type": asset.type,
          etag: `"${asset.etag}"`,
          // URLs carry the content hash (?v=), so a long cache is safe. A file asked for by its bare
          // name (the noise worklet, loaded by URL from web/room/comfort.ts) is checked each time.
          "cache-control": new URL(request.url).searchParams.has("v") ? "public, max-age=31536000, immutable" : "no-cache",
        },
      });
    },
    { params: t.Object({ name: t.String({ pattern: "^[A-Za-z0-9._-]{1,80}$" }) }), detail: policy({ allow: "public" }) },
  )
  .get("/preferences", ({ request, query }) => {
    const ctx = pageFor(request);
    const s = shellStrings(ctx.locale);
    const radio = (name: string, value: string, label: string, current: string) =>
      html`<label class="choice"><input type="radio" name="${name}" value="${value}"${value === current ? html` checked` : ""}> ${label}</label>`;
    const main = html`<div class="card narrow">
<h1>${s.preferences}</h1>
${query.saved ? html`<div class="notice notice-ok" role="status"><p>${s.saved}</p></div>` : ""}
<p class="muted">${s.preferencesIntro}</p>
<form method="post" action="/preferences">
  <div class="field"><label for="lang">${s.language}</label>
    <select id="lang" name="lang">${languageOptions(ctx.locale)}</select></div>
  <fieldset><legend>${s.textSize}</legend>
    ${radio("text", "normal", s.textNormal, ctx.textSize)}${radio("text", "large", s.textLarge, ctx.textSize)}</fieldset>
  <fieldset><legend>${s.theme}</legend>
    ${radio("theme", "auto", s.themeAuto, ctx.theme)}${radio("theme", "light", s.themeLight, ctx.theme)}${radio("theme", "dark", s.themeDark, ctx.theme)}</fieldset>
  <div class="actions"><button type="submit">${s.save}</button></div>
</form></div>`;
    return htmlResponse(layout(ctx, s.preferences, main));
  }, { query: t.Object({ saved: t.Optional(t.String({ maxLength: 1 })) }), detail: policy({ allow: "public" }) })
  .post(
    "/preferences",
    ({ body, request }) => {
      const secure = new URL(request.url).protocol === "https:" ? "; Secure" : "";
      const cookie = (name: string, value: string) => `${name}=${value}; Path=/; Max-Age=${YEAR}; SameSite=Lax${secure}`;
      const headers = new Headers({ location: "/preferences?saved=1" });
      headers.append("set-cookie", cookie(PREF_COOKIES.lang, body.lang));
      headers.append("set-cookie", cookie(PREF_COOKIES.text, body.text));
      headers.append("set-cookie", cookie(PREF_COOKIES.theme, body.theme));
      return new Response(null, { status: 303, headers });
    },
    {
      detail: policy({ allow: "public" }),
      body: t.Object({
        lang: t.UnionEnum([...LOCALES]),
        text: t.UnionEnum(["normal", "large"]),
        theme: t.UnionEnum(["auto", "light", "dark"]),
        _csrf: t.Optional(t.String({ maxLength: 200 })),
      }),
    },
  );
