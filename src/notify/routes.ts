import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { attachPageContext, pageFor } from "../ui/request.ts";
import { fill, formatDateTime, plural } from "../ui/i18n.ts";
import { EVERYONE, policy } from "../identity/policy.ts";
import { requireViewer, viewerOf } from "../identity/guard.ts";
import { listNotifications, markAllRead, prefsOf, setPrefs, titleOf, unreadCount } from "./notify.ts";
import { notifyStrings } from "./strings.ts";
import { Outbox } from "./outbox.ts";

const outboxes = new WeakMap<Hearth, Outbox>();
/** This hearth's outbox (one per hearth: tests and the health page reach it here). */
export function outboxOf(hearth: Hearth): Outbox {
  let o = outboxes.get(hearth);
  if (!o) outboxes.set(hearth, (o = new Outbox(hearth)));
  return o;
}

/**
 * The bell (unread count attached to every signed-in page) and /notifications: the person's own
 * list and their choices (e-mail or not, reminders 24 h / 1 h / none). A person only ever sees
 * their own rows: every query is by the viewer's id, so there is no item to check.
 */
const SELF = { allow: [...EVERYONE] };

export function notifyRoutes(hearth: Hearth) {
  const outbox = outboxOf(hearth);
  return new Elysia({ name: "notify" })
    // The outbox sends while the server listens (every 15 s; nothing when HEARTH_SMTP_URL is unset).
    .onStart(() => outbox.start())
    .onStop(() => outbox.stop())
    .onBeforeHandle({ as: "global" }, ({ request }) => {
      const v = viewerOf(request);
      if (!v) return;
      const locale = pageFor(request).locale;
      const unread = unreadCount(hearth, v.id);
      const s = notifyStrings(locale);
      attachPageContext(request, { bell: { unread, href: "/notifications", label: unread ? plural(locale, s, "bellUnread", unread) : s.bell } });
    })
    .get(
      "/notifications",
      ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = notifyStrings(ctx.locale);
        const items = listNotifications(hearth, viewer.id);
        const prefs = prefsOf(hearth, viewer.id);
        const remind = (["24h", "1h", "none"] as const).map((v) => ({ v, label: { "24h": s.remind24h, "1h": s.remind1h, none: s.remindNone }[v] }));
        const main = html`<h1>${s.title}</h1><p class="muted">${s.intro}</p>
${query.saved ? html`<p class="notice notice-ok" role="status">${s.saved}</p>` : ""}
<section class="card" aria-labelledby="notice-list">
<h2 id="notice-list" class="visually-hidden">${s.title}</h2>
${items.length
  ? html`<ul class="notifications">${items.map(
      (n) => html`<li${n.readAt ? "" : html` class="unread"`}>${n.readAt ? "" : html`<strong class="tag">${s.unreadMark}</strong> `}<a href="${n.link}">${titleOf(n, ctx.locale)}</a> <span class="muted">${formatDateTime(ctx.locale, n.createdAt)}</span></li>`,
    )}</ul>
<form method="post" action="/notifications/read"><button type="submit" class="secondary">${s.markAllRead}</button></form>`
  : html`<p>${s.none}</p>`}
</section>
<section class="card" aria-labelledby="notice-prefs">
<h2 id="notice-prefs">${s.prefsTitle}</h2>
<form method="post" action="/notifications/preferences">
<p><label><input type="checkbox" name="email" value="1"${prefs.email ? html` checked` : ""}> ${s.emailLabel}</label></p>
<fieldset><legend>${s.remindLabel}</legend>
${remind.map((r) => html`<label><input type="radio" name="remind" value="${r.v}"${prefs.remind === r.v ? html` checked` : ""}> ${r.label}</label><br>`)}
</fieldset>
<button type="submit">${s.save}</button>
</form>
</section>`;
        return htmlResponse(layout(ctx, s.title, main));
      },
      { query: t.Object({ saved: t.Optional(t.Literal("1")) }), detail: policy(SELF) },
    )
    .post(
      "/notifications/read",
      ({ request }) => {
        markAllRead(hearth, requireViewer(request).id);
        return new Response(null, { status: 303, headers: { location: "/notifications" } });
      },
      { detail: policy(SELF) },
    )
    .post(
      "/notifications/preferences",
      ({ request, body }) => {
        setPrefs(hearth, requireViewer(request).id, { email: body.email === "1", remind: body.remind });
        return new Response(null, { status: 303, headers: { location: "/notifications?saved=1" } });
      },
      { body: t.Object({ email: t.Optional(t.Literal("1")), remind: t.UnionEnum(["24h", "1h", "none"]) }), detail: policy(SELF) },
    );
}
