import { html, type Html } from "../ui/html.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { MAX_FIELDS, type Answers, type TemplateBody } from "./worksheet-templates.ts";
import type { Assignment, Status } from "./worksheets.ts";
import { worksheetStrings } from "./worksheet-strings.ts";

/** The worksheet pages' HTML (every value escaped by html``). */
export function statusLabel(locale: Locale, status: Status): string {
  const s = worksheetStrings(locale);
  return { assigned: s.statusAssigned, draft: s.statusDraft, submitted: s.statusSubmitted }[status];
}

export function dueLabel(locale: Locale, dueOn: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(new Date(`${dueOn}T12:00:00`));
}

export function assignmentsTable(locale: Locale, rows: (Assignment & { title: string; patient?: string })[], withPatient: boolean): Html {
  const s = worksheetStrings(locale);
  return html`<div class="table-wrap"><table><caption class="visually-hidden">${s.title}</caption>
<thead><tr><th scope="col">${s.colWorksheet}</th>${withPatient ? html`<th scope="col">${s.colPatient}</th>` : ""}<th scope="col">${s.colDue}</th><th scope="col">${s.colStatus}</th></tr></thead>
<tbody>${rows.map(
    (a) => html`<tr><td><a href="/portal/worksheets/${a.id}">${a.title}</a></td>${withPatient ? html`<td>${a.patient ?? ""}</td>` : ""}<td>${dueLabel(locale, a.dueOn)}</td><td>${statusLabel(locale, a.status)}</td></tr>`,
  )}</tbody></table></div>`;
}

export function assignForm(locale: Locale, templates: { ref: string; title: string }[], targets: { value: string; label: string }[], today: string): Html {
  const s = worksheetStrings(locale);
  if (!targets.length) return html`<p>${s.noTargets}</p>`;
  return html`<form method="post" action="/portal/worksheets/assignments">
<label for="ws-template">${s.fieldTemplate}</label>
<select id="ws-template" name="template" required>${templates.map((t) => html`<option value="${t.ref}">${t.title}</option>`)}</select>
<label for="ws-target">${s.fieldTarget}</label>
<select id="ws-target" name="target" required>${targets.map((t) => html`<option value="${t.value}">${t.label}</option>`)}</select>
<label for="ws-due">${s.fieldDue}</label>
<input id="ws-due" name="due" type="date" min="${today}" required>
<p><button type="submit">${s.assign}</button></p>
</form>`;
}

export function builderForm(locale: Locale): Html {
  const s = worksheetStrings(locale);
  const kinds = [
    ["", s.kindNone],
    ["text", s.kindText],
    ["scale", s.kindScale],
    ["checklist", s.kindChecklist],
    ["table", s.kindTable],
  ];
  const rows = Array.from({ length: MAX_FIELDS }, (_, i) => html`<fieldset class="builder-field"><legend>${fill(s.fieldN, { n: i + 1 })}</legend>
<label for="label${i}">${s.fieldLabel}</label><input id="label${i}" name="label${i}" type="text" maxlength="200">
<label for="kind${i}">${s.fieldKind}</label><select id="kind${i}" name="kind${i}">${kinds.map(([v, l]) => html`<option value="${v!}">${l!}</option>`)}</select>
<label for="details${i}">${s.fieldDetails}</label><input id="details${i}" name="details${i}" type="text" maxlength="600">
</fieldset>`);
  return html`<p>${s.builderIntro}</p>
<form method="post" action="/portal/worksheets/templates">
<label for="ws-title">${s.fieldTitle}</label><input id="ws-title" name="title" type="text" maxlength="200" required>
${rows}
<p><button type="submit">${s.saveTemplate}</button></p>
</form>`;
}

/** The worksheet as a form (editable) or as read-only answers. */
export function worksheetFields(locale: Locale, body: TemplateBody, answers: Answers, editable: boolean): Html {
  const s = worksheetStrings(locale);
  const dis = editable ? "" : html` disabled`;
  return html`${body.fields.map((f, i) => {
    const a = answers[i];
    if (f.kind === "text") {
      return html`<div class="ws-field"><label for="f${i}">${f.label}</label><textarea id="f${i}" name="f${i}" rows="4" maxlength="5000"${dis}>${typeof a === "string" ? a : ""}</textarea></div>`;
    }
    if (f.kind === "scale") {
      const values = Array.from({ length: f.max - f.min + 1 }, (_, k) => f.min + k);
      return html`<fieldset class="ws-field ws-scale"><legend>${f.label}</legend>${values.map(
        (v) => html`<label><input type="radio" name="f${i}" value="${v}"${a === String(v) ? html` checked` : ""}${dis}> ${v}</label>`,
      )}</fieldset>`;
    }
    if (f.kind === "checklist") {
      const ticked = Array.isArray(a) ? (a as number[]) : [];
      return html`<fieldset class="ws-field"><legend>${f.label}</legend>${f.options.map(
        (o, j) => html`<div class="check"><input type="checkbox" id="f${i}_o${j}" name="f${i}_o${j}" value="1"${ticked.includes(j) ? html` checked` : ""}${dis}><label for="f${i}_o${j}">${o}</label></div>`,
      )}</fieldset>`;
    }
    const cells = Array.isArray(a) ? (a as string[][]) : [];
    return html`<div class="ws-field table-wrap"><table class="ws-table"><caption>${f.label}</caption>
<thead><tr>${f.columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${Array.from({ length: f.rows }, (_, r) => html`<tr>${f.columns.map(
      (c, k) => html`<td><input type="text" name="f${i}_r${r}_c${k}" maxlength="5000" aria-label="${fill(s.row, { column: c, n: r + 1 })}" value="${cells[r]?.[k] ?? ""}"${dis}></td>`,
    )}</tr>`)}</tbody></table></div>`;
  })}`;
}

export function commentsSection(locale: Locale, comments: { who: string; body: string; createdAt: number }[], formAction: string | null): Html {
  const s = worksheetStrings(locale);
  return html`<section class="card" aria-labelledby="ws-comments-title"><h2 id="ws-comments-title">${s.commentsTitle}</h2>
${comments.length ? html`<ol class="messages">${comments.map((c) => html`<li class="card message"><p class="muted message-meta"><strong>${c.who}</strong> · ${formatDateTime(locale, c.createdAt)}</p><p class="message-body">${c.body}</p></li>`)}</ol>` : html`<p>${s.noComments}</p>`}
${formAction ? html`<form method="post" action="${formAction}"><label for="ws-comment">${s.comment}</label><textarea id="ws-comment" name="body" rows="3" maxlength="5000" required></textarea><p><button type="submit">${s.addComment}</button></p></form>` : ""}
</section>`;
}
