import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse, type Html } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { pageFor } from "../../ui/request.ts";
import { HttpError } from "../../ui/errors.ts";
import { fill, type Locale } from "../../ui/i18n.ts";
import { policy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { groupIdsOf, partIn, readGroup } from "../groups.ts";
import { sessionPath } from "../views.ts";
import { localParts, wallToUtc } from "./recurrence.ts";
import { clinicZone, openLeadMinutes, plannedSessions, type PlannedSession } from "./schedules.ts";
import { occurrenceSession } from "./scheduler.ts";
import { feedFor, feedOwner, feedUrl, hasFeed, newFeed, revokeFeed } from "./feed.ts";
import { scheduleStrings } from "./strings.ts";
import { weekView, whenText, type WeekItem } from "./views.ts";

/**
 * Calendars. /calendar is a clinician's week (their groups' sessions, cancelled ones marked) or a
 * member's upcoming sessions with "Join" once a session is open; /calendar/groups/:id is one
 * group's dates and materials, for the people of that group only; /calendar/feed makes or
 * revokes the private .ics address, served at /ics/:token to whoever holds the token.
 */
const DAY = 86_400_000;
const PEOPLE_IN_GROUPS = { allow: ["clinician", "patient", "guest"] } as const;

/** What a section about a group's materials looks like; the materials capability provides it. */
export type MaterialsSection = (request: Request, viewer: { id: number; role: string }, groupId: number, sessions: PlannedSession[]) => Promise<Html>;

function mondayOf(zone: string, dateText: string | undefined, now: number): { y: number; m: number; d: number } {
  const parts = dateText && /^\d{4}-\d{2}-\d{2}$/.test(dateText) ? dateText : localParts(zone, now).date;
  const [y, m, d] = parts.split("-").map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  const back = (day.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(y, m - 1, d - back));
  return { y: monday.getUTCFullYear(), m: monday.getUTCMonth(), d: monday.getUTCDate() };
}

/** A session item for members: when, and Join while its session is open. */
export function upcomingItem(hearth: Hearth, locale: Locale, p: PlannedSession, groupName: string): Html {
  const s = scheduleStrings(locale);
  const row = occurrenceSession(hearth, p.scheduleId, p.wall);
  const live = row && row.openedAt !== null && row.closedAt === null;
  const opens = localParts(p.zone, p.startsAt - openLeadMinutes(hearth) * 60_000).time;
  return html`<li>${p.cancelled ? html`<strong class="tag">${s.cancelledMark}</strong> <s>${whenText(locale, p.zone, p.startsAt)}</s>` : whenText(locale, p.zone, p.startsAt)} · ${groupName}
${p.cancelled ? "" : live ? html` <a class="button" href="${sessionPath(row.id)}" aria-label="${fill(s.joinLabel, { name: groupName })}">${s.join}</a>` : html` <span class="muted">${fill(s.opensAt, { time: opens })}</span>`}</li>`;
}

export function calendarRoutes(hearth: Hearth, materials: MaterialsSection) {
  return new Elysia({ name: "clinic-calendar" })
    .get(
      "/calendar",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = scheduleStrings(ctx.locale);
        const zone = clinicZone(hearth);
        const now = hearth.now();
        if (viewer.role === "clinician") {
          const { y, m, d } = mondayOf(zone, query.week, now);
          const days = Array.from({ length: 8 }, (_, i) => {
            const wall = Date.UTC(y, m, d + i);
            return { date: new Date(wall).toISOString().slice(0, 10), startMs: wallToUtc(zone, wall) };
          });
          const groups = groupIdsOf(hearth.db, viewer.id, ["clinician"]);
          const planned = plannedSessions(hearth, groups, days[0]!.startMs, days[7]!.startMs);
          const names = new Map<number, string>();
          for (const id of new Set(planned.map((p) => p.groupId))) names.set(id, (await readGroup(hearth, viewer.id, id))?.name ?? "");
          const items: WeekItem[] = planned.map((p) => ({ p, groupName: names.get(p.groupId) ?? "", otherFacilitator: p.facilitatorId !== null && p.facilitatorId !== viewer.id }));
          const prev = new Date(Date.UTC(y, m, d - 7)).toISOString().slice(0, 10);
          const next = days[7]!.date;
          const main = html`${weekView(ctx.locale, zone, days.slice(0, 7), items, prev, next)}<p><a href="/calendar/feed">${s.feedTitle}</a></p>`;
          return htmlResponse(layout(ctx, s.navCalendar, main), 200, { "cache-control": "no-store" });
        }
        const groups = groupIdsOf(hearth.db, viewer.id, ["member", "guest"]);
        const planned = plannedSessions(hearth, groups, now - 6 * 3_600_000, now + 8 * 7 * DAY).filter((p) => p.endsAt > now);
        const names = new Map<number, string>();
        for (const id of new Set(planned.map((p) => p.groupId))) names.set(id, (await readGroup(hearth, viewer.id, id))?.name ?? "");
        const main = html`<h1>${s.upcomingTitle}</h1><p>${fill(s.upcomingIntro, { zone })}</p>
<section class="card" aria-labelledby="upcoming-list"><h2 id="upcoming-list" class="visually-hidden">${s.upcomingTitle}</h2>
${planned.length ? html`<ul>${planned.map((p) => upcomingItem(hearth, ctx.locale, p, names.get(p.groupId) ?? ""))}</ul>` : html`<p>${s.noUpcoming}</p>`}</section>
<ul>${groups.map((id) => (names.has(id) ? html`<li><a href="/calendar/groups/${id}">${names.get(id)}: ${s.groupPageLink}</a></li>` : ""))}</ul>
<p><a href="/calendar/feed">${s.feedTitle}</a></p>`;
        return htmlResponse(layout(ctx, s.navCalendar, main), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ week: t.Optional(t.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" })) }), detail: policy(PEOPLE_IN_GROUPS) },
    )
    .get(
      "/calendar/groups/:id",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = scheduleStrings(ctx.locale);
        const group = await readGroup(hearth, viewer.id, params.id);
        if (!group) throw new HttpError(404, s.checkTitle, s.scheduleGone);
        const now = hearth.now();
        const planned = plannedSessions(hearth, [group.id], now - 14 * DAY, now + 8 * 7 * DAY);
        const upcoming = planned.filter((p) => p.endsAt > now);
        const back = partIn(hearth.db, group.id, viewer.id) === "clinician" ? html`<p><a href="/groups/${group.id}">${s.backToGroup}</a></p>` : "";
        const main = html`${back}<h1>${s.groupCalendarTitle}</h1><p>${group.name}</p>
<section class="card" aria-labelledby="group-upcoming"><h2 id="group-upcoming">${s.upcomingTitle}</h2>
${upcoming.length ? html`<ul>${upcoming.map((p) => upcomingItem(hearth, ctx.locale, p, group.name))}</ul>` : html`<p>${s.noUpcoming}</p>`}</section>
${await materials(request, viewer, group.id, planned)}`;
        return htmlResponse(layout(ctx, s.groupCalendarTitle, main, { scripts: ["upload.js"] }), 200, { "cache-control": "no-store" });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy({ allow: ["clinician", "patient", "guest"], item: { kind: "groupItem", param: "id", of: "group" } }) },
    )
    .get(
      "/calendar/feed",
      ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = scheduleStrings(ctx.locale);
        return htmlResponse(layout(ctx, s.feedTitle, feedPage(ctx.locale, hasFeed(hearth, viewer.id), null)), 200, { "cache-control": "no-store" });
      },
      { detail: policy(PEOPLE_IN_GROUPS) },
    )
    .post(
      "/calendar/feed",
      ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const url = feedUrl(hearth, newFeed(hearth, viewer.id));
        // Shown once, in the answer to the post (never in a URL, never stored in the clear).
        return htmlResponse(layout(ctx, scheduleStrings(ctx.locale).feedTitle, feedPage(ctx.locale, true, url)), 200, { "cache-control": "no-store" });
      },
      { detail: policy(PEOPLE_IN_GROUPS) },
    )
    .post(
      "/calendar/feed/revoke",
      ({ request }) => {
        revokeFeed(hearth, requireViewer(request).id);
        return new Response(null, { status: 303, headers: { location: "/calendar/feed" } });
      },
      { detail: policy(PEOPLE_IN_GROUPS) },
    )
    .get(
      "/ics/:token",
      async ({ request, params }) => {
        const owner = feedOwner(hearth, params.token);
        if (owner === null) {
          const s = scheduleStrings(pageFor(request).locale);
          throw new HttpError(404, s.feedTitle, s.feedGone);
        }
        return new Response(await feedFor(hearth, owner), {
          headers: { "content-type": "text/calendar; charset=utf-8", "cache-control": "no-store", "x-robots-tag": "noindex", "content-disposition": 'inline; filename="hearth.ics"' },
        });
      },
      // The token is the key: whoever holds it sees the times, as in every calendar app's subscription.
      { params: t.Object({ token: t.String({ maxLength: 64 }) }), detail: policy({ allow: "public" }) },
    );
}

function feedPage(locale: Locale, active: boolean, url: string | null): Html {
  const s = scheduleStrings(locale);
  return html`<div class="card narrow"><h1>${s.feedTitle}</h1><p>${s.feedIntro}</p>
${url
  ? html`<div class="notice notice-ok" role="status"><p>${s.feedNew}</p><label for="feed-url">${s.feedAddress}</label><input type="text" id="feed-url" readonly value="${url}"></div>`
  : html`<p>${active ? s.feedActive : s.feedNone}</p>`}
<form method="post" action="/calendar/feed"><button type="submit">${active ? s.remakeFeed : s.makeFeed}</button></form>
${active ? html`<form method="post" action="/calendar/feed/revoke" hx-post="/calendar/feed/revoke" hx-confirm="${s.revokeConfirm}"><button type="submit" class="secondary">${s.revokeFeed}</button></form>` : ""}</div>`;
}
