import type { Hearth } from "../context.ts";
import { html, type Html } from "../ui/html.ts";
import { fill, formatDateTime, plural, type Locale } from "../ui/i18n.ts";
import { consentRecord, type StoredAnswer } from "./recording-record.ts";
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
${blocks.length ? html`<p class="hint">${s.recordNoMedia}</p>${blocks}` : html`<p>${s.recordNone}</p>`}</section>`;
}
