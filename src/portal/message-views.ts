import { html, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import type { Role } from "../identity/policy.ts";
import { BODY_MAX, SUBJECT_MAX, type Message, type Thread, type ThreadSummary } from "./messages.ts";
import { messageStrings } from "./message-strings.ts";
import { documentStrings } from "./document-strings.ts";
import { DOCUMENT_MAX_BYTES, TITLE_MAX } from "./documents.ts";

/** The messaging pages' HTML (every value escaped by html``). */
export function safetyNotice(locale: Locale, lead?: string): Html {
  const s = messageStrings(locale);
  return html`<p class="notice notice-warning" data-not-monitored>${lead ?? s.notMonitored} <a href="/crisis">${s.crisisLink}</a>.</p>`;
}

export function newThreadForm(locale: Locale, role: Role, options: { value: string; label: string }[]): Html {
  const s = messageStrings(locale);
  if (!options.length) return html`<p>${role === "patient" ? s.noCareTeamYet : s.noPatientsYet}</p>`;
  return html`<form method="post" action="/portal/messages" class="message-form">
<label for="message-to">${role === "patient" ? s.to : s.toPatient}</label>
<select id="message-to" name="to" required>${options.map((o) => html`<option value="${o.value}">${o.label}</option>`)}</select>
<label for="message-subject">${s.subject}</label>
<input id="message-subject" name="subject" type="text" maxlength="${SUBJECT_MAX}" required autocomplete="off">
<label for="message-body">${s.body}</label>
<textarea id="message-body" name="body" rows="5" maxlength="${BODY_MAX}" required></textarea>
<p><button type="submit">${s.send}</button></p>
</form>`;
}

export function threadsTable(locale: Locale, threads: (ThreadSummary & { subject: string; withName: string })[]): Html {
  const s = messageStrings(locale);
  if (!threads.length) return html`<p>${s.noThreads}</p>`;
  return html`<div class="table-wrap"><table><caption class="visually-hidden">${s.threadsTitle}</caption>
<thead><tr><th scope="col">${s.colSubject}</th><th scope="col">${s.colWith}</th><th scope="col">${s.colLast}</th><th scope="col">${s.colUnread}</th></tr></thead>
<tbody>${threads.map(
    (t) => html`<tr data-thread="${t.id}"${t.unread ? html` class="unread"` : ""}><td><a href="/portal/messages/${t.id}">${t.subject}</a>${t.closedAt ? html` <span class="muted">(${s.closed})</span>` : ""}</td><td>${t.withName}</td><td>${formatDateTime(locale, t.lastMessageAt)}</td><td data-unread>${t.unread ? html`<strong>${t.unread}</strong>` : "0"}</td></tr>`,
  )}</tbody></table></div>`;
}

export function threadView(
  locale: Locale,
  viewer: { id: number; role: Role },
  thread: Thread,
  subject: string,
  messages: Message[],
  names: Map<number, string>,
): Html {
  const s = messageStrings(locale);
  const items = messages.map(
    (m) => html`<li class="card message${m.authorId === viewer.id ? " mine" : ""}"><p class="muted message-meta"><strong>${m.authorId === viewer.id ? s.you : (names.get(m.authorId) ?? s.someone)}</strong> · ${formatDateTime(locale, m.createdAt)}</p>
${m.documentId ? html`<p><a href="/portal/documents/${m.documentId}" download>${fill(s.attachment, { title: m.body })}</a></p>` : html`<p class="message-body">${m.body}</p>`}</li>`,
  );
  const reply = thread.closedAt
    ? html`<p class="notice notice-info">${fill(s.closedNotice, { when: formatDateTime(locale, thread.closedAt) })}</p>`
    : html`<form method="post" action="/portal/messages/${thread.id}" class="message-form">
<label for="reply-body">${s.reply}</label>
<textarea id="reply-body" name="body" rows="4" maxlength="${BODY_MAX}" required></textarea>
<div class="actions"><button type="submit">${s.sendReply}</button></div>
</form>
${attachForm(locale, thread.id)}
${viewer.role === "clinician" ? html`<form method="post" action="/portal/messages/${thread.id}/close"><button type="submit" class="secondary">${s.close}</button></form>` : ""}`;
  return html`<p><a href="/portal/messages">${s.back}</a></p>
<h1>${subject}</h1>
<ol class="messages" aria-label="${subject}">${items}</ol>
${reply}`;
}

/** An attachment goes up as a document of the patient (web/entries/upload.ts shows the progress). */
function attachForm(locale: Locale, threadId: number): Html {
  const s = messageStrings(locale);
  const d = documentStrings(locale);
  const mb = DOCUMENT_MAX_BYTES / (1024 * 1024);
  return html`<details class="card"><summary>${s.attachTitle}</summary><p>${s.attachIntro} ${fill(d.uploadIntro, { mb })}</p>
<form id="document-upload" data-upload-action="/portal/messages/${threadId}/attachments" data-upload-header-title="x-document-title" data-max-bytes="${DOCUMENT_MAX_BYTES}" data-too-large-text="${fill(d.errTooLarge, { mb })}" data-progress-text="${d.uploading}" data-done-text="${d.uploaded}" data-failed-text="${d.uploadFailed}">
<label for="attach-file">${d.fieldFile}</label><input id="attach-file" name="file" type="file" required>
<label for="attach-title">${d.fieldTitle}</label><input id="attach-title" name="title" type="text" maxlength="${TITLE_MAX}" required>
<progress id="document-progress" max="100" value="0" hidden aria-label="${d.upload}"></progress><p id="document-status" role="status" aria-live="polite"></p>
<div class="actions"><button type="submit">${d.upload}</button></div></form></details>`;
}
