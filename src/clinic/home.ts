import type { Hearth } from "../context.ts";
import { html, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import type { Role } from "../identity/policy.ts";
import { BACKGROUND_HEADER } from "../identity/guard.ts";
import { clinicStrings } from "./strings.ts";
import { groupIdsOf, readGroup, readGroupsOf } from "./groups.ts";
import { liveSessionOf } from "./sessions.ts";
import { sessionPath } from "./views.ts";
import { plannedSessions } from "./schedule/schedules.ts";
import { scheduleStrings } from "./schedule/strings.ts";
import { intakeStrings } from "./intake/strings.ts";
import { whenText } from "./schedule/views.ts";

/** The next session of a group that is not over and not cancelled, within eight weeks. */
function nextSession(hearth: Hearth, groupId: number) {
  const now = hearth.now();
  return plannedSessions(hearth, [groupId], now - 12 * 3_600_000, now + 56 * 86_400_000).find((p) => !p.cancelled && p.endsAt > now) ?? null;
}

/**
 * The clinic's part of the home page. Members and guests see their groups, with a prominent
 * "Join" while a session of one is open; clinicians see the sessions they have open. The
 * members' list refreshes itself while the page is open, so "Join" appears without a reload.
 */
export const POLL_SECONDS = 20;

/**
 * A fingerprint of what the members' list shows (which groups, which sessions open), from ids
 * alone: the page sends it back when it polls, and nothing sealed is opened while it is unchanged.
 */
export function memberState(hearth: Hearth, personId: number): string {
  const ids = groupIdsOf(hearth.db, personId, ["member", "guest"]).map((g) => [g, liveSessionOf(hearth.db, g)?.id ?? 0, nextSession(hearth, g)?.startsAt ?? 0]);
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(ids)).digest("hex").slice(0, 16);
}

/** The members' list of groups (audited: it opens the groups' names). */
export async function memberGroups(hearth: Hearth, personId: number, locale: Locale): Promise<Html> {
  const s = clinicStrings(locale);
  const groups = await readGroupsOf(hearth, personId, ["member", "guest"]);
  const state = memberState(hearth, personId);
  const items = groups.map((g) => {
    const live = liveSessionOf(hearth.db, g.id);
    const next = nextSession(hearth, g.id);
    const ss = scheduleStrings(locale);
    const plan = html`${next ? html`<p>${fill(ss.nextSession, { when: whenText(locale, next.zone, next.startsAt) })}</p>` : ""}<p><a href="/calendar/groups/${g.id}">${ss.groupPageLink}</a></p>`;
    return html`<div class="card"><h3>${g.name}</h3>${plan}
${live
  ? html`<p>${s.sessionOpenNow}</p><p><a class="button" href="${sessionPath(live.id)}" aria-label="${fill(s.joinLabel, { name: g.name })}">${s.joinSession}</a></p>`
  : html`<p class="muted">${s.noSessionNow}</p>`}</div>`;
  });
  return html`<div id="my-groups" hx-get="/groups/mine?v=${state}" hx-trigger="every ${POLL_SECONDS}s" hx-swap="outerHTML" hx-headers='{"${BACKGROUND_HEADER}": "1"}'>
<div class="grid">${items}</div></div>`;
}

async function clinicianLive(hearth: Hearth, personId: number, locale: Locale): Promise<Html | null> {
  const s = clinicStrings(locale);
  const open = [];
  // Ids first: only the names of groups with a session open now are opened (and audited).
  for (const id of groupIdsOf(hearth.db, personId, ["clinician"])) {
    const live = liveSessionOf(hearth.db, id);
    const g = live ? await readGroup(hearth, personId, id) : null;
    if (live && g) open.push({ g, live });
  }
  if (!open.length) return null;
  return html`<section class="card" aria-labelledby="live-sessions-title"><h2 id="live-sessions-title">${s.homeLiveTitle}</h2>
<ul>${open.map(({ g, live }) => html`<li><a href="${sessionPath(live.id)}">${fill(s.homeLiveItem, { name: g.name, when: formatDateTime(locale, live.openedAt!) })}</a></li>`)}</ul></section>`;
}

/** The section identity's home page shows (see identity/extensions.ts), or null. */
export async function homeSection(hearth: Hearth, viewer: { id: number; role: Role }, locale: Locale): Promise<Html | null> {
  if (viewer.role === "clinician") return clinicianLive(hearth, viewer.id, locale);
  if (viewer.role !== "patient" && viewer.role !== "guest") return null;
  if (!groupIdsOf(hearth.db, viewer.id, ["member", "guest"]).length) {
    // Invited to the clinic rather than to a group: the intake comes first.
    if (viewer.role !== "patient") return null;
    const si = intakeStrings(locale);
    return html`<section class="card" aria-labelledby="intake-card"><h2 id="intake-card">${si.title}</h2><p>${si.homeCard}</p><p><a class="button" href="/intake">${si.homeCardLink}</a></p></section>`;
  }
  const s = clinicStrings(locale);
  // A live region around the refreshed list: a Join button that appears is announced.
  return html`<section aria-labelledby="my-groups-title"><h2 id="my-groups-title">${s.homeGroupsTitle}</h2>
<div aria-live="polite">${await memberGroups(hearth, viewer.id, locale)}</div></section>`;
}
