import { html, type Html } from "./html.ts";
import { LOCALES, LOCALE_NAMES, type Locale } from "./i18n.ts";
import { shellStrings } from "./strings.ts";
import { assetUrl } from "./assets.ts";
import { crisisHeaderLink } from "../safety/link.ts";

export type TextSize = "normal" | "large";
export type Theme = "auto" | "light" | "dark";

/** What every page needs to know about who is looking and how they like to read. */
export interface PageContext {
  locale: Locale;
  textSize: TextSize;
  theme: Theme;
  /** Filled by identity once someone is signed in. */
  viewer?: { id: number; role: string; displayName: string };
  /** Sent back by htmx as a header on every state-changing request. */
  csrfToken?: string;
  /** Navigation links for this viewer, added by the capabilities they may use. */
  nav?: { href: string; label: string; current?: boolean }[];
  /** Shown above the main content on every page for this viewer (e.g. the idle sign-out warning). */
  banner?: Html;
  /** Extra browser bundles (web/entries/NAME.ts) every page for this viewer loads. */
  scripts?: string[];
  /** Unread notifications (src/notify): the bell in the header shows it when set. */
  bell?: { unread: number; label: string; href: string };
}

export function layout(ctx: PageContext, title: string, main: Html, opts: { status?: Html; scripts?: string[]; styles?: string[] } = {}): Html {
  const s = shellStrings(ctx.locale);
  const scripts = [...new Set([...(ctx.scripts ?? []), ...(opts.scripts ?? [])])];
  return html`<!doctype html>
<html lang="${ctx.locale}" data-text="${ctx.textSize}" data-theme="${ctx.theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${s.appName}</title>
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true,"target":"#flash","swapOverride":"innerHTML"}]}'>
${ctx.csrfToken ? html`<meta name="csrf-token" content="${ctx.csrfToken}">` : ""}
<link rel="stylesheet" href="${assetUrl("hearth.css")}">
<link rel="stylesheet" href="${assetUrl("safety.css")}">
${(opts.styles ?? []).map((name) => html`<link rel="stylesheet" href="${assetUrl(name)}">\n`)}
<link rel="icon" href="${assetUrl("favicon.svg")}" type="image/svg+xml">
<script src="${assetUrl("htmx.min.js")}" defer></script>
<script src="${assetUrl("shell.js")}" defer></script>
${scripts.map((name) => html`<script src="${assetUrl(name)}" defer></script>\n`)}
</head>
<body>
<a class="skip-link" href="#main">${s.skipLink}</a>
<header class="site-header">
  <a class="brand" href="/">${s.appName}</a>
  ${ctx.nav?.length
    ? html`<nav aria-label="${s.mainNav}"><ul>${ctx.nav.map(
        (n) => html`<li><a href="${n.href}"${n.current ? html` aria-current="page"` : ""}>${n.label}</a></li>`,
      )}</ul></nav>`
    : ""}
  ${crisisHeaderLink(ctx.locale)}
  ${ctx.bell ? html`<a class="bell" href="${ctx.bell.href}"><span aria-hidden="true">🔔</span><span class="visually-hidden">${ctx.bell.label}</span>${ctx.bell.unread ? html`<span class="bell-count" aria-hidden="true">${ctx.bell.unread}</span>` : ""}</a>` : ""}
</header>
<div id="flash" class="flash" role="alert" aria-live="assertive">${opts.status ?? ""}</div>
${ctx.banner ?? ""}
<main id="main" tabindex="-1">
${main}
</main>
<footer class="site-footer">
  <p>${s.footerNote}</p>
  <p><a href="/preferences">${s.preferences}</a></p>
</footer>
</body>
</html>`;
}

export function languageOptions(current: Locale): Html[] {
  return LOCALES.map(
    (l) => html`<option value="${l}"${l === current ? html` selected` : ""} lang="${l}">${LOCALE_NAMES[l]}</option>`,
  );
}
