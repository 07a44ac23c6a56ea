import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { attachPageContext, pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { policy, type Role, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer, viewerOf } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendNav } from "../identity/extensions.ts";
import { messageStrings } from "./message-strings.ts";
import {
  BODY_MAX,
  SUBJECT_MAX,
  addMessage,
  careTeamOf,
  closeThread,
  markRead,
  messagesOf,
  patientsOf,
  startThread,
  subjectOf,
  takesPart,
  threadById,
  threadsOf,
  unreadTotal,
  type Thread,
} from "./messages.ts";
import { newThreadForm, safetyNotice, threadView, threadsTable } from "./message-views.ts";
import { MaterialError } from "../clinic/materials/store.ts";
import { DOCUMENT_MAX_BYTES, TITLE_MAX, addDocument } from "./documents.ts";
import { documentStrings } from "./document-strings.ts";

/**
 * Secure messaging pages. Patients write to their care team or one clinician of it; clinicians
 * to the patients they care for. Every thread route checks the viewer takes part in the thread
 * (messages.ts, through identity's isCarerOf) and answers 404 otherwise, so nothing says whether
 * a thread exists. Admins and guests reach none of it.
 */
const PEOPLE: RoutePolicy = { allow: ["patient", "clinician"] };
const CLINICIANS: RoutePolicy = { allow: ["clinician"] };
const ThreadParams = t.Object({ id: t.Numeric({ minimum: 1 }) });
const Form = { body: t.Object({ body: t.Optional(t.String()), _csrf: t.Optional(t.String()) }) };

function bad(locale: Locale, status: 400 | 404 | 409, message: string): HttpError {
  return new HttpError(status, messageStrings(locale).checkTitle, message);
}

/** Line ends as the person meant them, no control characters, within the limit. */
function cleanBody(locale: Locale, text: string | undefined): string {
  const body = (text ?? "").replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n\t]/gu, "").trim();
  if (!body) throw bad(locale, 400, messageStrings(locale).bodyRequired);
  if (body.length > BODY_MAX) throw bad(locale, 400, fill(messageStrings(locale).bodyTooLong, { n: BODY_MAX }));
  return body;
}

function see(request: Request, location: string): Response {
  return new Response(null, { status: 303, headers: { location } });
}

/**
 * The nav's "Messages" item with the viewer's unread count, on every page. A plugin of its own
 * because Elysia applies a hook only to routes registered after it: app.ts uses it right after
 * identity's guard (which attaches the nav), before every capability's pages.
 */
export function messageNavCounts(hearth: Hearth) {
  return new Elysia({ name: "portal-message-counts" }).onBeforeHandle({ as: "global" }, ({ request }) => {
    const v = viewerOf(request);
    if (!v || (v.role !== "patient" && v.role !== "clinician")) return;
    const ctx = pageFor(request);
    if (!ctx.nav) return;
    const n = unreadTotal(hearth, v);
    if (!n) return;
    const label = fill(messageStrings(ctx.locale).navMessagesUnread, { n });
    attachPageContext(request, { nav: ctx.nav.map((item) => (item.href === "/portal/messages" ? { ...item, label } : item)) });
  });
}

export function messageRoutes(hearth: Hearth) {
  extendNav(hearth, "portal-messages", (locale, role) =>
    role === "patient" || role === "clinician" ? [{ href: "/portal/messages", label: messageStrings(locale).navMessages }] : [],
  );

  /** A name shown to this viewer (a patient's name shown to a clinician is audited). */
  async function nameOf(viewerId: number, personId: number): Promise<string> {
    const person = getPerson(hearth, personId);
    if (!person) return "";
    auditNameShown(hearth, viewerId, person);
    return (await displayName(hearth, personId)) ?? "";
  }

  function ownThread(request: Request, id: number): { viewer: { id: number; role: Role }; thread: Thread; locale: Locale } {
    const viewer = requireViewer(request);
    const { locale } = pageFor(request);
    const thread = threadById(hearth, id);
    if (!thread || !takesPart(hearth, viewer, thread)) throw bad(locale, 404, messageStrings(locale).noThread);
    return { viewer, thread, locale };
  }

  return new Elysia({ name: "portal-messages" })
    .get(
      "/portal/messages",
      async ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = messageStrings(ctx.locale);
        // Every name this page shows is audited once, all in one transaction below: one commit
        // instead of one per name (a clinician's inbox names each patient twice; see
        // scripts/bench/messaging.ts).
        const shown = new Map<number, { id: number; role: Role }>();
        const name = async (id: number) => {
          const person = getPerson(hearth, id);
          if (!person) return "";
          shown.set(id, person);
          return (await displayName(hearth, id)) ?? "";
        };
        const threads = [];
        for (const th of threadsOf(hearth, viewer)) {
          const withName = viewer.role === "clinician" ? await name(th.patientId) : th.clinicianId === null ? s.careTeam : await name(th.clinicianId);
          threads.push({ ...th, subject: await subjectOf(hearth, th.id), withName });
        }
        const options =
          viewer.role === "patient"
            ? careTeamOf(hearth, viewer.id).length
              ? [{ value: "team", label: s.toCareTeam }, ...(await Promise.all(careTeamOf(hearth, viewer.id).map(async (id) => ({ value: String(id), label: await name(id) }))))]
              : []
            : await Promise.all(patientsOf(hearth, viewer.id).map(async (id) => ({ value: String(id), label: await name(id) })));
        hearth.db.transaction(() => {
          for (const person of shown.values()) auditNameShown(hearth, viewer.id, person);
          hearth.audit.append({ actor: `person:${viewer.id}`, action: "message.threads_listed", subject: `person:${viewer.id}`, ownerId: viewer.role === "patient" ? viewer.id : null, outcome: "ok" });
        })();
        const status = query.done === "closed" ? html`<p class="notice notice-ok">${s.closedDone}</p>` : undefined;
        const main = html`<h1>${s.title}</h1>
<p>${viewer.role === "patient" ? s.intro : s.introClinician}</p>
${viewer.role === "patient" ? safetyNotice(ctx.locale) : ""}
<section aria-labelledby="threads-title"><h2 id="threads-title">${s.threadsTitle}</h2>${threadsTable(ctx.locale, threads)}</section>
<section class="card" aria-labelledby="new-message-title"><h2 id="new-message-title">${s.newTitle}</h2>${newThreadForm(ctx.locale, viewer.role, options)}</section>
<p class="muted" data-retention>${s.retention}</p>`;
        return htmlResponse(layout(ctx, s.title, main, { status, styles: ["portal.css"] }), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ done: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    )
    .post(
      "/portal/messages",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = messageStrings(locale);
        const subject = (body.subject ?? "").replace(/[\p{Cc}\s]+/gu, " ").trim();
        if (!subject) throw bad(locale, 400, s.subjectRequired);
        if (subject.length > SUBJECT_MAX) throw bad(locale, 400, fill(s.subjectTooLong, { n: SUBJECT_MAX }));
        const text = cleanBody(locale, body.body);
        // Patients write only to their own care team; clinicians only to patients they care for.
        let patientId: number;
        let clinicianId: number | null;
        if (viewer.role === "patient") {
          const team = careTeamOf(hearth, viewer.id);
          patientId = viewer.id;
          clinicianId = body.to === "team" ? null : Number(body.to);
          if (!team.length || (clinicianId !== null && !team.includes(clinicianId))) throw bad(locale, 400, s.badRecipient);
        } else {
          patientId = Number(body.to);
          clinicianId = viewer.id;
          if (!patientsOf(hearth, viewer.id).includes(patientId)) throw bad(locale, 400, s.badRecipient);
        }
        const { threadId, crisis } = await startThread(hearth, { patientId, clinicianId, authorId: viewer.id, subject, body: text });
        return see(request, `/portal/messages/${threadId}?sent=${crisis ? "crisis" : "1"}`);
      },
      {
        body: t.Object({ to: t.String({ maxLength: 20 }), subject: t.Optional(t.String()), body: t.Optional(t.String()), _csrf: t.Optional(t.String()) }),
        detail: policy(PEOPLE),
      },
    )
    .get(
      "/portal/messages/:id",
      async ({ request, params, query }) => {
        const { viewer, thread, locale } = ownThread(request, params.id);
        const ctx = pageFor(request);
        const s = messageStrings(locale);
        const messages = await messagesOf(hearth, thread.id);
        if (messages.length) markRead(hearth, thread.id, viewer.id, messages.at(-1)!.id);
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "message.thread_read", subject: `thread:${thread.id}`, ownerId: thread.patientId, outcome: "ok" });
        const names = new Map<number, string>();
        for (const id of new Set(messages.map((m) => m.authorId))) if (id !== viewer.id) names.set(id, await nameOf(viewer.id, id));
        const subject = await subjectOf(hearth, thread.id);
        const status =
          query.sent === "crisis" ? safetyNotice(locale, s.crisisSent) : query.sent ? html`<p class="notice notice-ok">${s.sent}</p>` : undefined;
        const main = html`<div class="thread">${threadView(locale, viewer, thread, subject, messages, names)}
${viewer.role === "patient" && query.sent !== "crisis" ? safetyNotice(locale) : ""}
<p class="muted" data-retention>${s.retention}</p></div>`;
        // The page is rendered after reading, so the nav's count already leaves this thread out.
        const unread = unreadTotal(hearth, viewer);
        const nav = ctx.nav?.map((item) =>
          item.href === "/portal/messages" ? { ...item, label: unread ? fill(s.navMessagesUnread, { n: unread }) : s.navMessages } : item,
        );
        return htmlResponse(layout({ ...ctx, nav }, subject, main, { status, styles: ["portal.css"], scripts: ["upload.js"] }), 200, { "cache-control": "no-store" });
      },
      { params: ThreadParams, query: t.Object({ sent: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    )
    .post(
      "/portal/messages/:id",
      async ({ request, params, body }) => {
        const { viewer, thread, locale } = ownThread(request, params.id);
        if (thread.closedAt) throw bad(locale, 409, messageStrings(locale).closedRefused);
        const crisis = await addMessage(hearth, thread, viewer.id, cleanBody(locale, body.body));
        return see(request, `/portal/messages/${thread.id}?sent=${crisis ? "crisis" : "1"}`);
      },
      { params: ThreadParams, ...Form, detail: policy(PEOPLE) },
    )
    .post(
      "/portal/messages/:id/attachments",
      async ({ request, params }) => {
        const { viewer, thread, locale } = ownThread(request, params.id);
        if (thread.closedAt) throw bad(locale, 409, messageStrings(locale).closedRefused);
        const d = documentStrings(locale);
        const mb = DOCUMENT_MAX_BYTES / (1024 * 1024);
        let documentId: number;
        let title = "";
        try {
          if (Number(request.headers.get("content-length") ?? "0") > DOCUMENT_MAX_BYTES) throw new MaterialError("file", "too-large");
          try {
            title = decodeURIComponent(request.headers.get("x-document-title") ?? "").replace(/[\p{Cc}\s]+/gu, " ").trim();
          } catch {
            throw new MaterialError("title", "invalid");
          }
          if (!title || title.length > TITLE_MAX) throw new MaterialError("title", "invalid");
          if (!request.body) throw new MaterialError("file", "empty");
          documentId = await addDocument(hearth, { patientId: thread.patientId, uploadedBy: viewer.id, title, audience: "both", source: request.body });
        } catch (err) {
          if (!(err instanceof MaterialError)) throw err;
          if (err.field === "title") throw new HttpError(400, d.checkTitle, fill(d.errTitle, { n: TITLE_MAX }));
          if (err.reason === "too-large") throw new HttpError(413, d.checkTitle, fill(d.errTooLarge, { mb }));
          throw new HttpError(400, d.checkTitle, err.reason === "empty" ? d.errEmpty : d.errType);
        }
        await addMessage(hearth, thread, viewer.id, title, documentId);
        const back = `/portal/messages/${thread.id}?sent=1`;
        return request.headers.get("hx-request") ? new Response(null, { status: 204, headers: { "hx-redirect": back } }) : see(request, back);
      },
      // The body is the file itself, read as a stream: never parsed, never buffered.
      { parse: "none", params: ThreadParams, detail: policy(PEOPLE) },
    )
    .post(
      "/portal/messages/:id/close",
      ({ request, params }) => {
        const { viewer, thread } = ownThread(request, params.id);
        closeThread(hearth, thread, viewer.id);
        return see(request, "/portal/messages?done=closed");
      },
      { params: ThreadParams, detail: policy(CLINICIANS) },
    );
}
