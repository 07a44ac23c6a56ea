import type { Hearth } from "../context.ts";
import type { GroupSession } from "../clinic/sessions.ts";
import { html, type Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import { isGroupMember, mustSayWhere, safetyRecordPath, safetySettingsPath, waitingRoomSlot, wherePath } from "./where-routes.ts";
import { guestsPath } from "./guest-routes.ts";
import { guestStrings } from "./guest-strings.ts";
import { whereStrings } from "./where-strings.ts";
import { alertStrings } from "./alert-strings.ts";
import { resourceList } from "./resource-routes.ts";
import { resourcesFor } from "./resources.ts";

/**
 * Safety's parts of the session page (src/rooms/page.ts puts them in its shell): the gate that
 * sends a member to "Where are you today" first when their group requires it, that question in
 * the waiting room otherwise, and the facilitators' links to the group's safety settings and the
 * session's safety record; in the room, the member's "I need help now" (with the clinic's crisis
 * lines, shown once the facilitators were told) and the facilitators' alert banners
 * (web/room/safety.ts fills them from the room's socket).
 */
export interface SafetyParts {
  /** A redirect to answer first, or null. */
  gate: Response | null;
  /** Inside the waiting room (members). */
  waiting: Html | "";
  /** At the top of the room view. */
  top: Html | "";
  /** First in the room's side column. */
  side: Html | "";
}

export const NO_SAFETY: SafetyParts = { gate: null, waiting: "", top: "", side: "" };

export async function safetyPageParts(
  hearth: Hearth,
  locale: Locale,
  ticket: { role: "clinician" | "member"; session: GroupSession; person: { personId: number } },
): Promise<SafetyParts> {
  const { session, role } = ticket;
  const s = whereStrings(locale);
  if (role === "member") {
    if (mustSayWhere(hearth, session, ticket.person.personId)) {
      return { ...NO_SAFETY, gate: new Response(null, { status: 303, headers: { location: wherePath(session.id), "cache-control": "no-store" } }) };
    }
    const a = alertStrings(locale);
    return {
      ...NO_SAFETY,
      waiting: isGroupMember(hearth, session, ticket.person.personId) ? waitingRoomSlot(locale, session.id) : "",
      side: html`<section id="help-box" class="side-panel help-box" aria-labelledby="help-title"><h2 id="help-title" class="visually-hidden">${a.helpHeading}</h2>
<button type="button" id="btn-help" class="danger help-button" aria-describedby="help-hint">${a.helpButton}</button><p id="help-hint" class="hint">${a.helpHint}</p>
<div id="help-sent" class="help-sent" tabindex="-1" hidden><p><strong>${a.helpSentTitle}</strong> ${a.helpSentBody}</p>
<h3>${a.crisisLines}</h3>${resourceList(locale, resourcesFor(hearth, locale), 3)}</div></section>`,
    };
  }
  const link = (href: string, label: string) => html`<li><a href="${href}" target="_blank" rel="noopener">${label}<span class="visually-hidden"> ${s.opensNewTab}</span></a></li>`;
  return {
    ...NO_SAFETY,
    top: html`<div id="safety-alerts" class="safety-alerts" data-label="${alertStrings(locale).alertsLabel}"></div>`,
    side: html`<section id="safety-panel" class="side-panel" aria-labelledby="safety-panel-title"><h2 id="safety-panel-title">${s.panelTitle}</h2>
<ul class="plain-list">${link(safetyRecordPath(session.groupId, session.id), s.safetyRecordLink)}${link(safetySettingsPath(session.groupId), s.safetySettingsLink)}${link(guestsPath(session.groupId, session.id), guestStrings(locale).panelLink)}</ul></section>`,
  };
}
