import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { isHtmx, pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { isCarerOf, policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, canSignIn, displayName, getPerson, listPeople, type Person } from "../identity/people.ts";
import { createInvitation } from "../identity/invitations.ts";
import { invitationCreatedPage } from "../identity/invitation-routes.ts";
import { clinicStrings } from "./strings.ts";
import { recordLink } from "./record/views.ts";
import { DESCRIPTION_MAX, NAME_MAX, addMember, createGroup, membersOf, partIn, readGroup, readGroupsOf, removeMember, type GroupMember } from "./groups.ts";
import { endSessionNow, findSession, liveSessionOf, openSessionNow, type LiveRooms } from "./sessions.ts";
import { memberGroups, memberState } from "./home.ts";
import { scheduleRoutes } from "./schedule/routes.ts";
import { calendarRoutes } from "./schedule/calendar-routes.ts";
import { schedulerOf } from "./schedule/scheduler.ts";
import { clinicZone, openLeadMinutes, schedulesOf } from "./schedule/schedules.ts";
import { scheduleSection } from "./schedule/views.ts";
import { materialRoutes, materialsSection } from "./materials/routes.ts";
import { intakeRoutes } from "./intake/routes.ts";
import { groupAttendanceSection } from "../rooms/attendance-routes.ts";
import { groupConsentSection } from "../portal/group-consent-routes.ts";
import {
  cofacilitatorSection,
  existingPersonSection,
  groupsTable,
  inviteSection,
  newGroupForm,
  notice,
  paragraphs,
  partLabel,
  peopleSection,
  sessionPath,
  sessionSection,
  type MemberRow,
} from "./views.ts";

/**
 * The clinic's pages. Clinicians list the groups they lead, make new ones, and on a group's page
 * see and change who is in it, invite people into it, and open and end its sessions. Every route
 * that acts on one group names it in the path; identity's guard lets in only that group's
 * clinicians (a clinician of another group is refused before the handler runs), and admins never
 * reach a group: running the box is not a reason to see who is in therapy, or for what.
 */
const CLINICIANS: RoutePolicy = { allow: ["clinician"] };
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };

const GroupParams = t.Object({ id: t.Numeric({ minimum: 1 }) });
const DONE = ["created", "clinician", "member", "removed", "ended"] as const;

/** After a change: a plain form follows a 303; an htmx form is told where to go (HX-Redirect). */
function goTo(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
  return new Response(null, { status: 303, headers: { location } });
}

function bad(locale: Locale, status: 400 | 403 | 404 | 409, message: string): HttpError {
  return new HttpError(status, clinicStrings(locale).checkTitle, message);
}

/** Spaces and line ends as a person meant them; no control characters stored. */
function cleanLine(text: string): string {
  return text.replace(/[\p{Cc}\s]+/gu, " ").trim();
}
function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[^\P{Cc}\n]/gu, "")
    .split("\n")
    .map((line) => line.replace(/\s+/g, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

export function clinicRoutes(hearth: Hearth, rooms: LiveRooms) {
  /** How a person in a group is named to a clinician of it (names of patients and guests audited). */
  async function nameFor(viewerId: number, locale: Locale, m: GroupMember): Promise<string> {
    const name = await displayName(hearth, m.personId);
    const person = getPerson(hearth, m.personId);
    if (name && person) auditNameShown(hearth, viewerId, person);
    const shown = name || fill(clinicStrings(locale).personNumber, { part: partLabel(locale, m.role), n: m.personId });
    return m.personId === viewerId ? fill(clinicStrings(locale).you, { name: shown }) : shown;
  }

  async function named(viewerId: number, people: Person[]): Promise<{ id: number; name: string }[]> {
    const out = [];
    for (const p of people) {
      const name = await displayName(hearth, p.id);
      if (!name) continue;
      auditNameShown(hearth, viewerId, p);
      out.push({ id: p.id, name });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  const scheduler = schedulerOf(hearth, rooms);
  return new Elysia({ name: "clinic" })
    // Scheduled sessions open (and reminders go) while the server listens; see schedule/scheduler.ts.
    .onStart(() => scheduler.start())
    .onStop(() => scheduler.stop())
    .use(scheduleRoutes(hearth))
    .use(calendarRoutes(hearth, materialsSection(hearth)))
    .use(materialRoutes(hearth))
    .use(intakeRoutes(hearth))
    .get(
      "/groups",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = clinicStrings(ctx.locale);
        const rows = (await readGroupsOf(hearth, viewer.id, ["clinician"])).map((group) => ({
          group,
          people: membersOf(hearth.db, group.id).length,
          live: liveSessionOf(hearth.db, group.id),
        }));
        const main = html`<h1>${s.groupsTitle}</h1><p>${s.groupsIntro}</p><p><a class="button" href="/groups/new">${s.newGroup}</a></p>
<div class="card">${groupsTable(ctx.locale, rows)}</div>`;
        return htmlResponse(layout(ctx, s.groupsTitle, main), 200, { "cache-control": "no-store" });
      },
      { detail: policy(CLINICIANS) },
    )
    .get(
      "/groups/new",
      ({ request }) => {
        const ctx = pageFor(request);
        const s = clinicStrings(ctx.locale);
        const main = html`<div class="card narrow"><h1>${s.newGroupTitle}</h1><p>${s.newGroupIntro}</p>${newGroupForm(ctx.locale)}</div>`;
        return htmlResponse(layout(ctx, s.newGroupTitle, main));
      },
      { detail: policy(CLINICIANS) },
    )
    .post(
      "/groups",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = clinicStrings(locale);
        const name = cleanLine(body.name);
        const description = cleanText(body.description ?? "");
        if (!name) throw bad(locale, 400, s.nameEmpty);
        if (name.length > NAME_MAX) throw bad(locale, 400, fill(s.nameTooLong, { n: NAME_MAX }));
        if (description.length > DESCRIPTION_MAX) throw bad(locale, 400, fill(s.descriptionTooLong, { n: DESCRIPTION_MAX }));
        const id = await createGroup(hearth, { name, description, createdBy: viewer.id });
        return goTo(request, `/groups/${id}?done=created`);
      },
      {
        // Generous bounds here; the limits people are told about are checked above, in words.
        body: t.Object({ name: t.String({ maxLength: 2000 }), description: t.Optional(t.String({ maxLength: 20000 })) }),
        detail: policy(CLINICIANS),
      },
    )
    .get(
      "/groups/mine",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        // Unchanged since the page last looked: nothing to swap, and no sealed name opened.
        if (query.v === memberState(hearth, viewer.id)) return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
        return htmlResponse(await memberGroups(hearth, viewer.id, pageFor(request).locale), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ v: t.Optional(t.String({ pattern: "^[0-9a-f]{0,64}$" })) }), detail: policy({ allow: ["patient", "guest"] }) },
    )
    .get(
      "/groups/:id",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = clinicStrings(ctx.locale);
        const group = await readGroup(hearth, viewer.id, params.id);
        if (!group) throw bad(ctx.locale, 404, s.groupGone);
        const members = membersOf(hearth.db, group.id);
        const leaders = members.filter((m) => m.role === "clinician").length;
        const rows: MemberRow[] = [];
        for (const m of members) {
          rows.push({ personId: m.personId, name: await nameFor(viewer.id, ctx.locale, m), part: m.role, addedAt: m.addedAt, removable: m.role !== "clinician" || leaders > 1 });
        }
        const inGroup = new Set(members.map((m) => m.personId));
        const others = listPeople(hearth).filter((p) => p.status === "active" && !inGroup.has(p.id));
        const clinicians = await named(viewer.id, others.filter((p) => p.role === "clinician"));
        const cared = await named(
          viewer.id,
          others.filter((p) => (p.role === "patient" || p.role === "guest") && canSignIn(hearth, p) && isCarerOf(hearth, viewer.id, p.id)),
        );
        const done = query.done
          ? { created: s.groupCreated, clinician: s.clinicianAdded, member: s.memberAdded, removed: s.memberRemoved, ended: s.sessionEnded }[query.done]
          : null;
        const main = html`<h1>${group.name}</h1>${done ? notice("ok", done) : ""}${paragraphs(group.description)}
${sessionSection(ctx.locale, group.id, liveSessionOf(hearth.db, group.id))}
${scheduleSection(ctx.locale, group.id, schedulesOf(hearth, [group.id]), clinicZone(hearth), openLeadMinutes(hearth))}
${recordLink(ctx.locale, group.id)}
${groupConsentSection(hearth, ctx.locale, group.id)}
${peopleSection(ctx.locale, group.id, rows)}
${await groupAttendanceSection(hearth, viewer.id, ctx.locale, group.id)}
<div class="grid">${inviteSection(ctx.locale, group.id)}${existingPersonSection(ctx.locale, group.id, cared)}${cofacilitatorSection(ctx.locale, group.id, clinicians)}</div>`;
        // The page title stays neutral: it lands in the browser's history, the group's name must not.
        return htmlResponse(layout(ctx, s.colGroup, main), 200, { "cache-control": "no-store" });
      },
      { params: GroupParams, query: t.Object({ done: t.Optional(t.UnionEnum([...DONE])) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/clinicians",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = clinicStrings(locale);
        const person = getPerson(hearth, body.personId);
        if (!person) throw bad(locale, 404, s.unknownPerson);
        if (person.role !== "clinician") throw bad(locale, 400, s.notAClinician);
        if (person.status !== "active") throw bad(locale, 400, s.personDisabled);
        if (partIn(hearth.db, params.id, person.id)) throw bad(locale, 409, s.alreadyInGroup);
        addMember(hearth, viewer.id, params.id, person.id, "clinician");
        return goTo(request, `/groups/${params.id}?done=clinician`);
      },
      { params: GroupParams, body: t.Object({ personId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/members",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = clinicStrings(locale);
        const person = getPerson(hearth, body.personId);
        if (!person) throw bad(locale, 404, s.unknownPerson);
        if (person.role !== "patient" && person.role !== "guest") throw bad(locale, 400, s.membersArePatients);
        if (!canSignIn(hearth, person)) throw bad(locale, 400, s.personDisabled);
        if (!isCarerOf(hearth, viewer.id, person.id)) throw bad(locale, 403, s.notYourPatient);
        if (partIn(hearth.db, params.id, person.id)) throw bad(locale, 409, s.alreadyInGroup);
        addMember(hearth, viewer.id, params.id, person.id, person.role === "guest" ? "guest" : "member");
        return goTo(request, `/groups/${params.id}?done=member`);
      },
      { params: GroupParams, body: t.Object({ personId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/members/:personId/remove",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = clinicStrings(locale);
        const part = partIn(hearth.db, params.id, params.personId);
        if (!part) throw bad(locale, 404, s.notInGroup);
        const leaders = membersOf(hearth.db, params.id).filter((m) => m.role === "clinician").length;
        if (part === "clinician" && leaders <= 1) throw bad(locale, 409, s.lastClinician);
        removeMember(hearth, viewer.id, params.id, params.personId);
        // Who steps down from their own group no longer sees it.
        return goTo(request, params.personId === viewer.id ? "/groups" : `/groups/${params.id}?done=removed`);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), personId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/invitations",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const s = clinicStrings(pageFor(request).locale);
        // Identity's own invitation, bound to this group: accepting it makes the person a member (clinic.ts).
        const inv = createInvitation(hearth, {
          createdBy: viewer.id,
          role: body.role,
          groupId: params.id,
          ttlDays: body.days ?? 7,
          accessDays: body.role === "guest" ? (body.accessDays ?? 7) : null,
        });
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "group.invitation_created", subject: `group:${params.id}`, outcome: "ok" });
        return invitationCreatedPage(request, { url: inv.url, role: body.role, expiresAt: inv.expiresAt, reinvite: false, back: { href: `/groups/${params.id}`, label: s.backToGroup } });
      },
      {
        params: GroupParams,
        body: t.Object({
          role: t.UnionEnum(["patient", "guest"]),
          days: t.Optional(t.Numeric({ minimum: 1, maximum: 30 })),
          accessDays: t.Optional(t.Numeric({ minimum: 1, maximum: 90 })),
        }),
        detail: policy(GROUP_CLINICIANS),
      },
    )
    .post(
      "/groups/:id/sessions",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        // Opening when one is open already goes to that one: a double click opens nothing twice.
        const { id } = openSessionNow(hearth, params.id, viewer.id);
        return goTo(request, sessionPath(id));
      },
      { params: GroupParams, detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/sessions/:sessionId/end",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = clinicStrings(locale);
        const session = findSession(hearth.db, params.sessionId);
        if (!session || session.groupId !== params.id) throw bad(locale, 404, s.sessionNotOpen);
        if (!endSessionNow(hearth, rooms, session.id, viewer.id)) throw bad(locale, 409, s.sessionNotOpen);
        return goTo(request, `/groups/${params.id}?done=ended`);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    );
}
