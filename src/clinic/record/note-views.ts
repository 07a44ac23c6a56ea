import { html, type Html } from "../../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../../ui/i18n.ts";
import type { HeldSession } from "./attendance.ts";
import { FIELD_MAX, TEMPLATE_FIELDS, type Addendum, type FieldId, type Note, type Template } from "./notes.ts";
import { noteStrings } from "./note-strings.ts";

/** How the record's notes look: the sessions list, a note as a form or as signed text, addenda. */

export function fieldLabel(locale: Locale, f: FieldId): string {
  const n = noteStrings(locale);
  return {
    attendance: n.fieldAttendance, theme: n.fieldTheme, interventions: n.fieldInterventions, process: n.fieldProcess,
    data: n.fieldData, assessment: n.fieldAssessment, plan: n.fieldPlan, subjective: n.fieldSubjective,
    objective: n.fieldObjective, behavior: n.fieldBehavior, intervention: n.fieldIntervention, response: n.fieldResponse,
  }[f];
}

export function templateLabel(locale: Locale, t: Template): string {
  const n = noteStrings(locale);
  return { group: n.templateGroup, dap: n.templateDap, soap: n.templateSoap, birp: n.templateBirp }[t];
}

export function sessionList(locale: Locale, groupId: number, sessions: readonly HeldSession[]): Html {
  const n = noteStrings(locale);
  return html`<section class="card" aria-labelledby="sessions-title"><h2 id="sessions-title">${n.sessionsTitle}</h2>
${sessions.length
  ? html`<ul class="plain">${[...sessions].reverse().map((x) => html`<li><a href="/groups/${groupId}/sessions/${x.id}/notes">${n.notesLink}: ${formatDateTime(locale, x.openedAt)}</a></li>`)}</ul>`
  : html`<p>${n.noClosedSessions}</p>`}</section>`;
}

/** A draft: one textarea per field of its template; "Save draft" (htmx, or the form's own post) and "Sign". */
export function draftForm(locale: Locale, note: Note): Html {
  const n = noteStrings(locale);
  const base = `/groups/${note.groupId}/notes/${note.id}`;
  return html`<form method="post" action="${base}" data-passkey="confirm" data-options="${base}/sign/options" data-verify="${base}/sign/verify" class="note-form">
${TEMPLATE_FIELDS[note.template].map((f) => html`<div class="field"><label for="f-${f}">${fieldLabel(locale, f)}</label>
<textarea id="f-${f}" name="${f}" rows="${f === "attendance" ? 3 : 6}" maxlength="${FIELD_MAX}">${note.fields[f] ?? ""}</textarea></div>`)}
<p class="hint">${n.signHint}</p>
<div id="note-status" role="status"></div>
<div data-passkey-status role="status" tabindex="-1" hidden></div>
<div class="actions"><button type="submit" class="secondary" formaction="${base}" hx-post="${base}" hx-target="#note-status" hx-swap="innerHTML">${n.saveDraft}</button>
<button type="submit">${n.signButton}</button></div>
</form>`;
}

export function signedNote(locale: Locale, note: Note): Html {
  return html`<dl class="note-text">${TEMPLATE_FIELDS[note.template].map((f) => html`<dt>${fieldLabel(locale, f)}</dt><dd>${paragraphs(note.fields[f] ?? "")}</dd>`)}</dl>`;
}

export function addendaSection(locale: Locale, note: Note, addenda: readonly Addendum[], canAdd: boolean): Html {
  const n = noteStrings(locale);
  const base = `/groups/${note.groupId}/notes/${note.id}`;
  return html`<section class="card" aria-labelledby="addenda-title"><h2 id="addenda-title">${n.addendaTitle}</h2>
${addenda.length
  ? html`<ol class="addenda">${addenda.map((a) => html`<li><div>${paragraphs(a.text)}</div><p class="muted">${fill(n.addendumBy, { when: formatDateTime(locale, a.createdAt) })}</p></li>`)}</ol>`
  : html`<p class="muted">${n.noAddenda}</p>`}
${canAdd
  ? html`<form method="post" action="${base}/addenda/verify" data-passkey="confirm" data-options="${base}/addenda/options" data-verify="${base}/addenda/verify">
<div class="field"><label for="addendum">${n.addendumLabel}</label><textarea id="addendum" name="text" rows="4" maxlength="${FIELD_MAX}" required></textarea></div>
<div data-passkey-status role="status" tabindex="-1" hidden></div>
<div class="actions"><button type="submit">${n.addendumButton}</button></div></form>`
  : ""}</section>`;
}

export function paragraphs(text: string): Html[] {
  return text.split(/\n{2,}/).filter(Boolean).map((p) => html`<p>${p.split("\n").map((line, i) => (i ? html`<br>${line}` : line))}</p>`);
}
