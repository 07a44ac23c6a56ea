import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { findSession } from "../clinic/sessions.ts";
import { requireViewer } from "../identity/guard.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { HttpError } from "../ui/errors.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { chatOf } from "./chat.ts";
import { transcriptStrings } from "./tool-strings.ts";

/**
 * A session's chat transcript, for the clinicians of its group: every message, private ones and
 * hidden ones included (marked). It is clinical content: each showing is audited. Text is
 * escaped by the html template, so nothing in a message becomes a link or markup.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };

export function chatTranscriptPath(groupId: number, sessionId: number): string {
  return `/groups/${groupId}/sessions/${sessionId}/chat`;
}

/** The session record page's way to the transcript (attendance-routes.ts shows it). */
export function chatTranscriptLink(locale: Locale, groupId: number, sessionId: number) {
  return html`<p><a class="button secondary" id="chat-transcript-link" href="${chatTranscriptPath(groupId, sessionId)}">${transcriptStrings(locale).link}</a></p>`;
}

export function chatTranscriptRoutes(hearth: Hearth) {
  return new Elysia({ name: "chat-transcript" }).get(
    "/groups/:id/sessions/:sessionId/chat",
    async ({ request, params }) => {
      const viewer = requireViewer(request);
      const ctx = pageFor(request);
      const s = transcriptStrings(ctx.locale);
      const session = findSession(hearth.db, params.sessionId);
      if (!session || session.groupId !== params.id) throw new HttpError(404, s.title, s.noSession);
      const messages = await chatOf(hearth, session.id);
      hearth.audit.append({ actor: `person:${viewer.id}`, action: "chat.transcript.read", subject: `group_session:${session.id}`, outcome: "ok" });
      const when = session.openedAt ? fill(s.heading, { when: formatDateTime(ctx.locale, session.openedAt) }) : s.title;
      const main = html`<p><a href="/groups/${params.id}/sessions/${session.id}">${s.back}</a></p><h1>${when}</h1>
<p>${s.intro}</p>
${
  messages.length
    ? html`<ol id="chat-transcript" class="transcript">${messages.map(
        (m) => html`<li data-message-id="${m.id}"${m.hidden ? html` class="is-hidden"` : ""}><p class="transcript-meta"><strong>${m.name}</strong> · <time datetime="${new Date(m.at).toISOString()}">${formatDateTime(ctx.locale, m.at)}</time>${m.to === "facilitators" ? html` · <span class="tag">${s.private}</span>` : ""}${m.diverted ? html` · <span class="tag">${s.diverted}</span>` : ""}${m.hidden ? html` · <span class="tag">${s.hidden}</span>` : ""}</p>
<p class="transcript-text">${m.text}</p></li>`,
      )}</ol>`
    : html`<p id="chat-transcript-empty">${s.empty}</p>`
}`;
      // The title stays neutral: it lands in the browser's history.
      return htmlResponse(layout(ctx, s.title, main), 200, { "cache-control": "no-store" });
    },
    { params: t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
  );
}
