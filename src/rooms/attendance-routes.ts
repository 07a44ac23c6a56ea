import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { findSession } from "../clinic/sessions.ts";
import { membersOf } from "../clinic/groups.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { HttpError } from "../ui/errors.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { heldSessionsOf, presenceOf, visitsOf, type Presence, type VisitOutcome } from "./attendance.ts";
import { attendanceStrings } from "./attendance-strings.ts";
import { loadBoard, savedBoardBytes } from "./whiteboard-store.ts";
import { boardSvg } from "./whiteboard-svg.ts";
import { BOARD_ITEMS, type BoardItem } from "./whiteboard-protocol.ts";
import * as Y from "yjs";
import { formatBytes, whiteboardStrings } from "./whiteboard-strings.ts";
import { chatTranscriptLink } from "./chat-transcript.ts";

/**
 * Attendance for the facilitators: the session record page (where /sessions/:id sends a
 * clinician once the session is over), the group page's attendance section, and the CSV export.
 * It is the basis for billing and the clinical record: every showing is audited, and names are
 * opened (and their showing audited) only for a clinician of the group.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const Params = t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }) });

/** How many recent sessions the group page shows side by side. */
const GROUP_COLUMNS = 6;

type S = ReturnType<typeof attendanceStrings>;

export function sessionRecordPath(groupId: number, sessionId: number): string {
  return `/groups/${groupId}/sessions/${sessionId}`;
}

interface Row extends Presence {
  name: string;
  part: string;
}

function partOf(s: S, role: string | undefined): string {
  return role === "clinician" ? s.partFacilitator : role === "guest" ? s.partGuest : s.partMember;
}

function outcomeLabel(s: S, outcome: VisitOutcome): string {
  const key = `outcome${outcome[0]!.toUpperCase()}${outcome.slice(1)}` as keyof S;
  return s[key];
}

/** Names for the people in `ids`, opened for this viewer; each patient's name shown is audited. */
async function namesFor(hearth: Hearth, viewerId: number, s: S, ids: Iterable<number>): Promise<Map<number, { name: string; role: string | undefined }>> {
  const out = new Map<number, { name: string; role: string | undefined }>();
  for (const id of ids) {
    const person = getPerson(hearth, id);
    const name = await displayName(hearth, id);
    if (name && person) auditNameShown(hearth, viewerId, person);
    out.set(id, { name: name || fill(s.personNumber, { n: id }), role: person?.role });
  }
  return out;
}

/** The attendance rows of one session, names opened for the viewer, sorted by name. */
export async function attendanceRows(hearth: Hearth, viewerId: number, locale: Locale, sessionId: number): Promise<Row[]> {
  const s = attendanceStrings(locale);
  const presence = presenceOf(visitsOf(hearth.db, sessionId), hearth.now());
  const names = await namesFor(hearth, viewerId, s, presence.map((p) => p.personId));
  return presence
    .map((p) => ({ ...p, name: names.get(p.personId)!.name, part: partOf(s, names.get(p.personId)!.role) }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}

function auditRead(hearth: Hearth, viewerId: number, sessionId: number, action: "attendance.read" | "attendance.exported"): void {
  hearth.audit.append({ actor: `person:${viewerId}`, action, subject: `group_session:${sessionId}`, outcome: "ok" });
}

function attendanceTable(locale: Locale, rows: Row[]): Html {
  const s = attendanceStrings(locale);
  if (!rows.length) return html`<p>${s.noAttendance}</p>`;
  const when = (ms: number | null, otherwise: string) => (ms === null ? otherwise : formatDateTime(locale, ms));
  return html`<div class="table-wrap"><table id="attendance-table"><thead><tr><th scope="col">${s.colName}</th><th scope="col">${s.colPart}</th><th scope="col">${s.colFirstIn}</th><th scope="col">${s.colLastOut}</th><th scope="col">${s.colMinutes}</th><th scope="col">${s.colVisits}</th><th scope="col">${s.colOutcome}</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr data-person-id="${r.personId}"><th scope="row">${r.name}</th><td>${r.part}</td><td>${when(r.firstAdmittedAt, s.neverAdmitted)}</td><td>${when(r.lastLeftAt, s.inNow)}</td><td data-minutes="${r.minutes}">${r.minutes}</td><td>${r.visits}</td><td>${r.lastOutcome ? outcomeLabel(s, r.lastOutcome) : s.inNow}</td></tr>`,
)}</tbody></table></div>`;
}

/** A spreadsheet must not run a name as a formula (CSV injection): such cells start with a quote. */
function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function attendanceCsv(locale: Locale, rows: Row[]): string {
  const s = attendanceStrings(locale);
  const iso = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());
  const head = [s.colName, s.colPart, s.colFirstIn, s.colLastOut, s.colMinutes, s.colVisits, s.colOutcome];
  const lines = [head, ...rows.map((r) => [r.name, r.part, iso(r.firstAdmittedAt), iso(r.lastLeftAt), r.minutes, r.visits, r.lastOutcome ? outcomeLabel(s, r.lastOutcome) : s.inNow])];
  // A byte-order mark so spreadsheet programs read the accents in names as UTF-8.
  return `\uFEFF${lines.map((l) => l.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

/**
 * The group page's attendance: the recent sessions side by side, minutes per person. Called by
 * the clinic's group page for a clinician of the group (its route's policy checked that).
 */
export async function groupAttendanceSection(hearth: Hearth, viewerId: number, locale: Locale, groupId: number): Promise<Html> {
  const s = attendanceStrings(locale);
  const sessions = heldSessionsOf(hearth.db, groupId, GROUP_COLUMNS);
  const head = html`<h2 id="group-attendance-title">${s.groupAttendanceTitle}</h2>`;
  if (!sessions.length) return html`<section class="card" aria-labelledby="group-attendance-title">${head}<p>${s.noSessionsYet}</p></section>`;
  const now = hearth.now();
  const columns = sessions.map((session) => ({ session, byPerson: new Map(presenceOf(visitsOf(hearth.db, session.id), now).map((p) => [p.personId, p])) }));
  const ids = new Set<number>(membersOf(hearth.db, groupId).map((m) => m.personId));
  for (const c of columns) for (const id of c.byPerson.keys()) ids.add(id);
  const names = await namesFor(hearth, viewerId, s, ids);
  const people = [...ids].sort((a, b) => names.get(a)!.name.localeCompare(names.get(b)!.name, locale));
  // A session nobody came into shows nothing about anyone: only registers with people in them are reads.
  for (const c of columns) if (c.byPerson.size) auditRead(hearth, viewerId, c.session.id, "attendance.read");
  const cell = (p: Presence | undefined) =>
    p && p.firstAdmittedAt !== null ? html`<td data-minutes="${p.minutes}">${fill(s.minutesShort, { n: p.minutes })}</td>` : html`<td><span aria-hidden="true">—</span><span class="visually-hidden">${s.absent}</span></td>`;
  return html`<section class="card" aria-labelledby="group-attendance-title">${head}<p>${s.groupAttendanceIntro}</p>
<div class="table-wrap"><table id="group-attendance"><thead><tr><th scope="col">${s.colName}</th>${columns.map(
    (c) => html`<th scope="col"><a href="${sessionRecordPath(groupId, c.session.id)}">${fill(s.sessionColumn, { when: formatDateTime(locale, c.session.openedAt) })}</a></th>`,
  )}</tr></thead><tbody>
${people.map((id) => html`<tr data-person-id="${id}"><th scope="row">${names.get(id)!.name}</th>${columns.map((c) => cell(c.byPerson.get(id)))}</tr>`)}</tbody></table></div></section>`;
}

/**
 * The session's whiteboard as it was saved (sealed), drawn as SVG; opening it is audited like any
 * read of what members wrote. Its pictures are among the group's materials.
 */
async function boardSection(hearth: Hearth, viewerId: number, locale: Locale, groupId: number, sessionId: number): Promise<Html> {
  const w = whiteboardStrings(locale);
  const bytes = savedBoardBytes(hearth, sessionId);
  let board: Html | "" = "";
  const saved = bytes === null ? null : await loadBoard(hearth, sessionId);
  if (saved) {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, saved);
    const items = doc.getArray<BoardItem>(BOARD_ITEMS).toArray();
    doc.destroy();
    hearth.audit.append({ actor: `person:${viewerId}`, action: "whiteboard.read", subject: `group_session:${sessionId}`, outcome: "ok" });
    board = boardSvg(items, w.recordTitle, w.boardWords);
  }
  return html`<section class="card" aria-labelledby="record-board-title"><h2 id="record-board-title">${w.recordTitle}</h2>
<p>${bytes === null ? w.recordNone : fill(w.recordSaved, { size: formatBytes(bytes) })}</p>${board}<p><a href="/calendar/groups/${groupId}">${w.recordPictures}</a></p></section>`;
}

export function attendanceRoutes(hearth: Hearth) {
  /** The session, if it belongs to the group in the path (the policy has checked the group). */
  function sessionIn(locale: Locale, groupId: number, sessionId: number) {
    const session = findSession(hearth.db, sessionId);
    if (!session || session.groupId !== groupId) {
      const s = attendanceStrings(locale);
      throw new HttpError(404, s.recordTitle, s.sessionGone);
    }
    return session;
  }

  return new Elysia({ name: "attendance" })
    .get(
      "/groups/:id/sessions/:sessionId",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = attendanceStrings(ctx.locale);
        const session = sessionIn(ctx.locale, params.id, params.sessionId);
        const rows = await attendanceRows(hearth, viewer.id, ctx.locale, session.id);
        auditRead(hearth, viewer.id, session.id, "attendance.read");
        const title = session.openedAt ? fill(s.heldOn, { when: formatDateTime(ctx.locale, session.openedAt) }) : s.recordTitle;
        const csv = `${sessionRecordPath(params.id, session.id)}/attendance.csv`;
        const main = html`<p><a href="/groups/${params.id}">${s.backToGroup}</a></p><h1>${title}</h1>
<dl class="facts"><dt>${s.openedAt}</dt><dd>${session.openedAt ? formatDateTime(ctx.locale, session.openedAt) : "—"}</dd><dt>${s.closedAt}</dt><dd>${session.closedAt ? formatDateTime(ctx.locale, session.closedAt) : s.stillOpen}</dd></dl>
<section class="card" aria-labelledby="attendance-title"><h2 id="attendance-title">${s.attendanceTitle}</h2><p>${s.attendanceIntro}</p>${attendanceTable(ctx.locale, rows)}
${rows.length ? html`<p><a class="button secondary" href="${csv}" download aria-describedby="csv-hint">${s.downloadCsv}</a></p><p id="csv-hint" class="hint">${s.csvHint}</p>` : ""}</section>
${chatTranscriptLink(ctx.locale, params.id, session.id)}
${await boardSection(hearth, viewer.id, ctx.locale, params.id, session.id)}`;
        // The title stays neutral: it lands in the browser's history.
        return htmlResponse(layout(ctx, s.recordTitle, main), 200, { "cache-control": "no-store" });
      },
      { params: Params, detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/groups/:id/sessions/:sessionId/attendance.csv",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const session = sessionIn(locale, params.id, params.sessionId);
        const rows = await attendanceRows(hearth, viewer.id, locale, session.id);
        auditRead(hearth, viewer.id, session.id, "attendance.exported");
        const day = new Date(session.openedAt ?? hearth.now()).toISOString().slice(0, 10);
        // Ids and the date only: the file name shows up in download lists and must name no one.
        return new Response(attendanceCsv(locale, rows), {
          headers: {
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": `attachment; filename="attendance-session-${session.id}-${day}.csv"`,
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
          },
        });
      },
      { params: Params, detail: policy(GROUP_CLINICIANS) },
    );
}
