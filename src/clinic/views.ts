import { html, type Html } from "../ui/html.ts";
import { fill, formatDateTime, plural, type Locale } from "../ui/i18n.ts";
import { clinicStrings } from "./strings.ts";
import { DESCRIPTION_MAX, NAME_MAX, type Group, type GroupRole } from "./groups.ts";
import type { GroupSession } from "./sessions.ts";

/** The clinic's page parts. Every value is escaped by html``; nothing here opens sealed data. */

/** Where the room-client serves a live session (the page members and clinicians join in). */
export function sessionPath(sessionId: number): string {
  return `/sessions/${sessionId}`;
}

export function partLabel(locale: Locale, part: GroupRole): string {
  const s = clinicStrings(locale);
  return { clinician: s.partClinician, member: s.partMember, guest: s.partGuest }[part];
}

export function notice(kind: "ok" | "info" | "warning" | "error", text: string): Html {
  return html`<div class="notice notice-${kind}" role="${kind === "error" ? "alert" : "status"}"><p>${text}</p></div>`;
}

/** A description as its clinician typed it: one paragraph per line. */
export function paragraphs(text: string): Html[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => html`<p>${line}</p>`);
}

/**
 * A form that posts through htmx (a refusal lands in #flash, what was typed stays) and still
 * works as a plain form without script.
 */
export function postForm(action: string, body: Html, opts: { confirm?: string; className?: string } = {}): Html {
  return html`<form method="post" action="${action}" hx-post="${action}"${opts.confirm ? html` hx-confirm="${opts.confirm}"` : ""}${opts.className ? html` class="${opts.className}"` : ""}>${body}</form>`;
}

export function newGroupForm(locale: Locale): Html {
  const s = clinicStrings(locale);
  return postForm(
    "/groups",
    html`<div class="field"><label for="name">${s.nameLabel}<span class="hint" id="name-hint">${fill(s.nameHint, { n: NAME_MAX })}</span></label>
<input type="text" id="name" name="name" maxlength="${NAME_MAX}" required autocomplete="off" aria-describedby="name-hint"></div>
<div class="field"><label for="description">${s.descriptionLabel}<span class="hint" id="description-hint">${fill(s.descriptionHint, { n: DESCRIPTION_MAX })}</span></label>
<textarea id="description" name="description" maxlength="${DESCRIPTION_MAX}" aria-describedby="description-hint"></textarea></div>
<div class="actions"><button type="submit">${s.createGroup}</button><a class="button secondary" href="/groups">${s.cancel}</a></div>`,
  );
}

export function groupsTable(locale: Locale, rows: { group: Group; people: number; live: GroupSession | null }[]): Html {
  const s = clinicStrings(locale);
  if (!rows.length) return html`<p>${s.noGroups}</p>`;
  return html`<div class="table-wrap"><table><thead><tr><th scope="col">${s.colGroup}</th><th scope="col">${s.colPeople}</th><th scope="col">${s.colSession}</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr><td><a href="/groups/${r.group.id}">${r.group.name}</a></td><td>${r.people}</td>
<td>${r.live ? html`<a href="${sessionPath(r.live.id)}">${fill(s.sessionOpenSince, { when: formatDateTime(locale, r.live.openedAt!) })}</a>` : s.noSessionOpen}</td></tr>`,
)}</tbody></table></div>`;
}

/** The session box of a group page: open one now, or go to and end the open one. */
export function sessionSection(locale: Locale, groupId: number, live: GroupSession | null): Html {
  const s = clinicStrings(locale);
  const body = live
    ? html`${notice("info", fill(s.sessionLive, { when: formatDateTime(locale, live.openedAt!) }))}
<div class="actions"><a class="button" href="${sessionPath(live.id)}">${s.goToSession}</a>
${postForm(`/groups/${groupId}/sessions/${live.id}/end`, html`<button type="submit" class="danger">${s.endSession}</button>`, { confirm: s.endConfirm })}</div>`
    : html`<p>${s.sessionIdle}</p><form method="post" action="/groups/${groupId}/sessions"><div class="actions"><button type="submit">${s.openSessionNow}</button></div></form>`;
  return html`<section class="card" aria-labelledby="session-title"><h2 id="session-title">${s.sessionTitle}</h2>${body}</section>`;
}

export interface MemberRow {
  personId: number;
  name: string;
  part: GroupRole;
  addedAt: number;
  removable: boolean;
}

export function peopleSection(locale: Locale, groupId: number, rows: MemberRow[]): Html {
  const s = clinicStrings(locale);
  const hasMembers = rows.some((r) => r.part !== "clinician");
  const table = html`<div class="table-wrap"><table><thead><tr><th scope="col">${s.colName}</th><th scope="col">${s.colPart}</th><th scope="col">${s.colSince}</th><th scope="col"><span class="visually-hidden">${s.colActions}</span></th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr><td>${r.name}</td><td>${partLabel(locale, r.part)}</td><td>${formatDateTime(locale, r.addedAt)}</td>
<td>${r.removable ? postForm(`/groups/${groupId}/members/${r.personId}/remove`, html`<button type="submit" class="secondary" aria-label="${fill(s.removeLabel, { name: r.name })}">${s.remove}</button>`, { confirm: s.removeConfirm }) : ""}</td></tr>`,
)}</tbody></table></div>`;
  return html`<section class="card" aria-labelledby="people-title"><h2 id="people-title">${s.peopleTitle}</h2>${table}${hasMembers ? "" : html`<p>${s.noMembersYet}</p>`}</section>`;
}

function personSelect(id: string, label: string, people: { id: number; name: string }[]): Html {
  return html`<div class="field"><label for="${id}">${label}</label><select id="${id}" name="personId">${people.map((p) => html`<option value="${p.id}">${p.name}</option>`)}</select></div>`;
}

export function cofacilitatorSection(locale: Locale, groupId: number, clinicians: { id: number; name: string }[]): Html {
  const s = clinicStrings(locale);
  const body = clinicians.length
    ? postForm(`/groups/${groupId}/clinicians`, html`${personSelect("cofacilitator", s.cofacLabel, clinicians)}<div class="actions"><button type="submit" class="secondary">${s.cofacButton}</button></div>`)
    : html`<p>${s.noOtherClinicians}</p>`;
  return html`<section class="card" aria-labelledby="cofac-title"><h2 id="cofac-title">${s.cofacTitle}</h2><p>${s.cofacIntro}</p>${body}</section>`;
}

export function existingPersonSection(locale: Locale, groupId: number, people: { id: number; name: string }[]): Html {
  if (!people.length) return html``;
  const s = clinicStrings(locale);
  return html`<section class="card" aria-labelledby="existing-title"><h2 id="existing-title">${s.addExistingTitle}</h2><p>${s.addExistingIntro}</p>
${postForm(`/groups/${groupId}/members`, html`${personSelect("existing-person", s.addExistingLabel, people)}<div class="actions"><button type="submit" class="secondary">${s.addExistingButton}</button></div>`)}</section>`;
}

export const INVITE_TTL_CHOICES = [1, 3, 7, 14] as const;
export const GUEST_ACCESS_CHOICES = [1, 7, 30] as const;

function dayOptions(locale: Locale, choices: readonly number[], selected: number): Html[] {
  const s = clinicStrings(locale);
  return choices.map((d) => html`<option value="${d}"${d === selected ? html` selected` : ""}>${plural(locale, s, "days", d)}</option>`);
}

/** Invitation to this group: a plain form, because its answer is the page with the link and QR code. */
export function inviteSection(locale: Locale, groupId: number): Html {
  const s = clinicStrings(locale);
  return html`<section class="card" aria-labelledby="invite-title"><h2 id="invite-title">${s.inviteTitle}</h2><p>${s.inviteIntro}</p>
<form method="post" action="/groups/${groupId}/invitations">
<div class="field"><label for="invite-role">${s.inviteAs}</label><select id="invite-role" name="role"><option value="patient">${s.partMember}</option><option value="guest">${s.partGuest}</option></select></div>
<div class="field"><label for="invite-days">${s.inviteValidFor}</label><select id="invite-days" name="days">${dayOptions(locale, INVITE_TTL_CHOICES, 7)}</select></div>
<div class="field"><label for="invite-access">${s.guestAccessFor}<span class="hint" id="invite-access-hint">${s.guestAccessHint}</span></label><select id="invite-access" name="accessDays" aria-describedby="invite-access-hint">${dayOptions(locale, GUEST_ACCESS_CHOICES, 7)}</select></div>
<div class="actions"><button type="submit">${s.createInvitation}</button></div></form></section>`;
}
