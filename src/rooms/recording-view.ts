import type { Hearth } from "../context.ts";
import { html, type Html } from "../ui/html.ts";
import { fill, formatDateTime, plural, type Locale } from "../ui/i18n.ts";
import { findSession } from "../clinic/sessions.ts";
import { MAX_RETENTION_DAYS, keptUntil, recordingsOf, retentionDays } from "./recording-keeping.ts";
import { consentRecord, type ConsentRecordRow, type StoredAnswer } from "./recording-record.ts";
import { recordingFilePath, retentionPath } from "./recording-routes.ts";
import { recordingStrings } from "./recording-strings.ts";

/**
 * The consent record of a session as its facilitators read it on the session's safety record:
 * each request, who answered what and when, and the exact words they answered (each answer's
 * opening is audited by consentRecord). Names are those people had in the room, from the record.
 */
export async function consentRecordSection(hearth: Hearth, readerId: number, locale: Locale, sessionId: number): Promise<Html> {
  const s = recordingStrings(locale);
  const time = (ms: number) => formatDateTime(locale, ms);
  const answerText: Record<StoredAnswer, string> = { yes: s.answerYes, no: s.answerNo, withdrawn: s.answerWithdrawn };
  const requests = await consentRecord(hearth, readerId, sessionId);
  const blocks = requests.map((r, i) => {
    const asker = r.answers.find((a) => a.personId === r.askedBy)?.terms.name ?? "";
    const end =
      r.endedAt === null
        ? s.recordOpen
        : fill({ stopped: s.recordEndStopped, withdrawn: s.recordEndWithdrawn, ended: s.recordEndEnded, interrupted: s.recordEndInterrupted }[r.endReason ?? "interrupted"] ?? s.recordEndInterrupted, { time: time(r.endedAt) });
    const spans = r.parts.map((p) => `${time(p.startedAt)} – ${p.stoppedAt === null ? "…" : time(p.stoppedAt)}`).join("; ");
    const rows = r.answers.map(
      (a) => html`<tr><td>${time(a.answeredAt)}</td><th scope="row">${a.terms.name}</th><td>${answerText[a.answer]}</td><td><details><summary>${a.terms.locale}</summary><p>${a.terms.text}</p></details></td></tr>`,
    );
    return html`<div class="consent-request"><p id="consent-request-${i + 1}">${fill(s.recordAsked, { name: asker, time: time(r.askedAt) })} ${end}</p>
<p>${r.parts.length ? plural(locale, s, "recordParts", r.parts.length, { spans }) : s.recordNeverAll}</p>
<table aria-describedby="consent-request-${i + 1}"><thead><tr><th scope="col">${s.colWhen}</th><th scope="col">${s.colPerson}</th><th scope="col">${s.colAnswer}</th><th scope="col">${s.colQuestion}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  });
  return html`<section class="card table-wrap" aria-labelledby="consent-caption"><h2 id="consent-caption">${s.recordTitle}</h2>
${blocks.length ? blocks : html`<p>${s.recordNone}</p>`}</section>
${blocks.length ? recordingsSection(hearth, locale, sessionId, requests) : ""}`;
}

const duration = (ms: number) => {
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
};

/**
 * The session's recordings: a player per person and stretch (the file is opened as it plays,
 * each request audited by recording-routes.ts), its deletion, and how long the group keeps them.
 * Names are those people had in the room, from the consent record already opened above.
 */
function recordingsSection(hearth: Hearth, locale: Locale, sessionId: number, requests: ConsentRecordRow[]): Html {
  const s = recordingStrings(locale);
  const session = findSession(hearth.db, sessionId);
  if (!session) return html``;
  const names = new Map<number, string>();
  for (const r of requests) for (const a of r.answers) names.set(a.personId, a.terms.name);
  const time = (ms: number) => formatDateTime(locale, ms);
  const items = recordingsOf(hearth, sessionId).map((f, i) => {
    const name = (f.personId !== null && names.get(f.personId)) || "";
    if (f.deletedAt !== null || keptUntil(hearth, f) <= hearth.now()) {
      return html`<li>${fill(s.fileDeleted, { name, time: time(f.startedAt), deleted: time(f.deletedAt ?? keptUntil(hearth, f)) })}</li>`;
    }
    const url = recordingFilePath(session.groupId, sessionId, f.id);
    const label = fill(f.finished ? s.fileOf : s.fileUnfinished, { name, time: time(f.startedAt), duration: duration(f.durationMs) });
    return html`<li><p id="recording-${i + 1}">${label}</p><video controls preload="none" src="${url}" aria-labelledby="recording-${i + 1}"></video>
<p class="hint">${fill(s.keptUntil, { date: time(keptUntil(hearth, f)) })}</p>
<details><summary>${s.deleteFile}</summary><form method="post" action="${url}/delete"><p>${s.deleteConfirm}</p><button type="submit" class="danger" aria-describedby="recording-${i + 1}">${s.deleteFile}</button></form></details></li>`;
  });
  return html`<section class="card" id="recordings" aria-labelledby="recordings-caption"><h2 id="recordings-caption">${s.filesTitle}</h2>
<p class="hint">${s.recordNoMedia}</p>
${items.length ? html`<ul class="recordings">${items}</ul>` : html`<p>${s.filesNone}</p>`}
<form method="post" action="${retentionPath(session.groupId)}"><h3>${s.retentionTitle}</h3><input type="hidden" name="session" value="${sessionId}">
<div class="field"><label for="retention-days">${s.retentionLabel}<span class="hint" id="retention-hint">${fill(s.retentionHint, { max: MAX_RETENTION_DAYS })}</span></label>
<input type="number" id="retention-days" name="days" min="1" max="${MAX_RETENTION_DAYS}" step="1" required value="${retentionDays(hearth, session.groupId)}" aria-describedby="retention-hint"></div>
<div class="actions"><button type="submit">${s.retentionSave}</button></div></form></section>`;
}
