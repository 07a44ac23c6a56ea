import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { requireViewer } from "../identity/guard.ts";
import { policy } from "../identity/policy.ts";
import { extendNav } from "../identity/extensions.ts";
import { HttpError } from "../ui/errors.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { layout } from "../ui/page.ts";
import { isHtmx, pageFor } from "../ui/request.ts";
import { LANGUAGE_NAMES, LIMITS, RESOURCE_LANGUAGES, addResource, checkResource, dialable, listResources, removeResource, resourcesFor, type CrisisResource } from "./resources.ts";
import { resourceStrings } from "./strings.ts";

/**
 * Crisis resources as people meet them: /crisis, public and linked from every page (the layout's
 * header), and the admin's list at /admin/crisis-resources. The public page needs no sign-in and
 * no script: someone locked out, or on a borrowed phone, still reaches it.
 */

/** The lines as a list a person can act on: tap to call, tap to text. Used by /crisis and the room. */
export function resourceList(locale: Locale, resources: readonly CrisisResource[], level: 2 | 3 = 2): Html {
  const s = resourceStrings(locale);
  if (resources.length === 0) return html`<p>${s.none}</p>`;
  return html`<ul class="crisis-lines">${resources.map((r) => {
    const tel = r.phone ? dialable(r.phone) : null;
    const sms = r.textLine ? dialable(r.textLine) : null;
    const name = level === 2 ? html`<h2 class="crisis-name">${r.name}</h2>` : html`<h3 class="crisis-name">${r.name}</h3>`;
    return html`<li>${name}
${r.phone ? html`<p>${tel ? html`<a class="button" href="tel:${tel}">${fill(s.call, { phone: r.phone })}</a>` : fill(s.call, { phone: r.phone })}</p>` : ""}
${r.textLine ? html`<p>${sms ? html`<a href="sms:${sms}">${fill(s.text, { text: r.textLine })}</a>` : fill(s.text, { text: r.textLine })}</p>` : ""}
<p class="muted">${r.hours ? html`${fill(s.hours, { hours: r.hours })} · ` : ""}${r.language ? fill(s.inLanguage, { language: LANGUAGE_NAMES[r.language] }) : s.anyLanguage}</p></li>`;
  })}</ul>`;
}

function adminPage(locale: Locale, resources: readonly CrisisResource[], done: "added" | "removed" | undefined): Html {
  const s = resourceStrings(locale);
  const row = (r: CrisisResource) => html`<tr><td>${r.name}</td><td>${r.phone}</td><td>${r.textLine}</td><td>${r.hours}</td>
<td>${r.language ? LANGUAGE_NAMES[r.language] : s.anyLanguage}</td>
<td><form method="post" action="/admin/crisis-resources/${r.id}/delete"><button type="submit" class="secondary" aria-label="${fill(s.removeLabel, { name: r.name })}">${s.remove}</button></form></td></tr>`;
  const field = (name: string, label: string, max: number, hint?: string, type = "text") =>
    html`<div class="field"><label for="cr-${name}">${label}${hint ? html`<span class="hint" id="cr-${name}-hint">${hint}</span>` : ""}</label>
<input type="${type}" id="cr-${name}" name="${name}" maxlength="${max}"${hint ? html` aria-describedby="cr-${name}-hint"` : ""}${name === "name" ? html` required` : ""}></div>`;
  return html`<h1>${s.adminTitle}</h1>
${done ? html`<div class="notice notice-ok" role="status"><p>${done === "added" ? s.added : s.removed}</p></div>` : ""}
<p>${s.adminIntro} <a href="/crisis">${s.pageTitle}</a></p>
${resources.length
    ? html`<div class="card table-wrap"><table><caption>${s.listCaption}</caption>
<thead><tr><th scope="col">${s.colName}</th><th scope="col">${s.colPhone}</th><th scope="col">${s.colText}</th><th scope="col">${s.colHours}</th><th scope="col">${s.colLanguage}</th><th scope="col">${s.colAction}</th></tr></thead>
<tbody>${resources.map(row)}</tbody></table></div>`
    : html`<p>${s.none}</p>`}
<section class="card narrow" aria-labelledby="add-line"><h2 id="add-line">${s.addTitle}</h2>
<form method="post" action="/admin/crisis-resources">
${field("name", s.fieldName, LIMITS.name)}
${field("phone", s.fieldPhone, LIMITS.phone, s.fieldPhoneHint, "tel")}
${field("textLine", s.fieldText, LIMITS.textLine, s.fieldTextHint)}
${field("hours", s.fieldHours, LIMITS.hours, s.fieldHoursHint)}
<div class="field"><label for="cr-language">${s.fieldLanguage}</label><select id="cr-language" name="language">
<option value="">${s.anyLanguage}</option>${RESOURCE_LANGUAGES.map((l) => html`<option value="${l}" lang="${l}">${LANGUAGE_NAMES[l]}</option>`)}</select></div>
<div class="actions"><button type="submit">${s.add}</button></div>
</form></section>`;
}

function goTo(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
  return new Response(null, { status: 303, headers: { location } });
}

export function resourceRoutes(hearth: Hearth) {
  extendNav(hearth, "safety", (locale, role) => (role === "admin" ? [{ href: "/admin/crisis-resources", label: resourceStrings(locale).navCrisis }] : []));
  return new Elysia({ name: "safety-resources" })
    .get(
      "/crisis",
      ({ request }) => {
        const ctx = pageFor(request);
        const s = resourceStrings(ctx.locale);
        const main = html`<div class="card narrow crisis"><h1>${s.pageTitle}</h1><p>${s.intro}</p>${resourceList(ctx.locale, resourcesFor(hearth, ctx.locale))}</div>`;
        return htmlResponse(layout(ctx, s.pageTitle, main));
      },
      // Public on purpose: help must be reachable by someone who cannot sign in.
      { detail: policy({ allow: "public" }) },
    )
    .get(
      "/admin/crisis-resources",
      ({ request, query }) => {
        const ctx = pageFor(request);
        const s = resourceStrings(ctx.locale);
        return htmlResponse(layout(ctx, s.adminTitle, adminPage(ctx.locale, listResources(hearth), query.done)), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ done: t.Optional(t.UnionEnum(["added", "removed"])) }), detail: policy({ allow: ["admin"] }) },
    )
    .post(
      "/admin/crisis-resources",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = resourceStrings(locale);
        const checked = checkResource(body);
        if (!checked.ok) {
          const n = { nameTooLong: LIMITS.name, phoneInvalid: LIMITS.phone, textTooLong: LIMITS.textLine, hoursTooLong: LIMITS.hours }[checked.problem as string] ?? 0;
          throw new HttpError(400, s.checkTitle, fill(s[checked.problem], { n }));
        }
        addResource(hearth, viewer.id, checked.value);
        return goTo(request, "/admin/crisis-resources?done=added");
      },
      {
        // Generous bounds; the limits people are told about are checked above, in words.
        body: t.Object({
          name: t.String({ maxLength: 2000 }),
          phone: t.Optional(t.String({ maxLength: 2000 })),
          textLine: t.Optional(t.String({ maxLength: 2000 })),
          hours: t.Optional(t.String({ maxLength: 2000 })),
          language: t.Optional(t.String({ maxLength: 10 })),
          _csrf: t.Optional(t.String({ maxLength: 200 })),
        }),
        detail: policy({ allow: ["admin"] }),
      },
    )
    .post(
      "/admin/crisis-resources/:id/delete",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = resourceStrings(locale);
        if (!removeResource(hearth, viewer.id, params.id)) throw new HttpError(404, s.checkTitle, s.gone);
        return goTo(request, "/admin/crisis-resources?done=removed");
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Optional(t.Object({ _csrf: t.Optional(t.String({ maxLength: 200 })) })), detail: policy({ allow: ["admin"] }) },
    );
}
