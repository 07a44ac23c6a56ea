import { Elysia, t } from "elysia";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { isHtmx, pageFor } from "../../ui/request.ts";
import { INTL_TAGS, fill, formatDateTime, type Locale } from "../../ui/i18n.ts";
import { policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { AssertionSchema } from "../../identity/schemas.ts";
import { json } from "../../identity/respond.ts";
import { PASSKEY_SCRIPTS } from "../../identity/views.ts";
import { membersOf } from "../groups.ts";
import { findSession } from "../sessions.ts";
import { sessionPresence } from "./attendance.ts";
import {
  FIELD_MAX, TEMPLATE_FIELDS, addAddendum, addendaOf, canonicalAddendum, canonicalNote, createNote, isTemplate, noteMeta,
  notesOfSession, readNote, releaseNote, releasedNotesOf, saveDraft, sha256Hex, signNote, type Note, type NoteMeta,
} from "./notes.ts";
import { signaturesOf, signingOptions, verifySigning, verifyStoredSignature } from "./signing.ts";
import { addendaSection, draftForm, fieldLabel, signedNote, templateLabel } from "./note-views.ts";
import { clinicTemplate, templateOptions } from "./templates.ts";
import { recordStrings } from "./strings.ts";
import { noteStrings } from "./note-strings.ts";
import { RECORD_STYLES, goTo, nameShown, okNotice, refuse } from "./views.ts";

/**
 * Session notes, for the group's facilitators only (identity's guard checks the group in the
 * path; a note or session of another group is a 404 here). A note page opens the note, and each
 * opening is audited. Signing and addenda are passkey ceremonies (web/entries/passkey.ts drives
 * them from data-passkey forms). Members read only notes released to them, on /record/notes.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const SessionParams = t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }) });
const NoteParams = t.Object({ id: t.Numeric({ minimum: 1 }), noteId: t.Numeric({ minimum: 1 }) });
const Fields = Object.fromEntries(
  ["attendance", "theme", "interventions", "process", "data", "assessment", "plan", "subjective", "objective", "behavior", "intervention", "response"].map((f) => [f, t.Optional(t.String({ maxLength: FIELD_MAX * 2 }))]),
);

function when(locale: Locale, ms: number): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeStyle: "short" }).format(ms);
}

/** Refuses a field too long, naming it. */
function checkLengths(locale: Locale, template: NoteMeta["template"], fields: Record<string, string | undefined>): void {
  for (const f of TEMPLATE_FIELDS[template]) {
    if ((fields[f] ?? "").length > FIELD_MAX) throw refuse(locale, 400, fill(noteStrings(locale).fieldTooLong, { field: fieldLabel(locale, f), n: FIELD_MAX }));
  }
}

export function noteRoutes(hearth: Hearth) {
  function noteIn(locale: Locale, groupId: number, noteId: number): NoteMeta {
    const meta = noteMeta(hearth, noteId);
    if (!meta || meta.groupId !== groupId) throw refuse(locale, 404, recordStrings(locale).notFound);
    return meta;
  }

  /** The note's text still hashes to what was signed, and the stored assertion verifies. */
  async function signatureHolds(note: Note): Promise<boolean> {
    const hash = sha256Hex(canonicalNote(note));
    const sig = signaturesOf(hearth, note.id).find((x) => x.addendumId === null);
    return !!sig && note.contentHash === hash && (await verifyStoredSignature(hearth, sig, hash));
  }

  return new Elysia({ name: "record-notes" })
    .get(
      "/groups/:id/sessions/:sessionId/notes",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        const n = noteStrings(ctx.locale);
        const session = findSession(hearth.db, params.sessionId);
        if (!session || session.groupId !== params.id || session.openedAt === null) throw refuse(ctx.locale, 404, s.notFound);
        const present = sessionPresence(hearth.db, session.id, hearth.now());
        const notes = notesOfSession(hearth, session.id);
        const base = `/groups/${params.id}/sessions/${session.id}/notes`;
        const groupNote = notes.find((n) => n.personId === null);
        const rows = [];
        for (const m of membersOf(hearth.db, params.id).filter((m) => m.role === "member")) {
          const name = await nameShown(hearth, viewer.id, m.personId);
          const p = present.get(m.personId);
          const note = notes.find((n) => n.personId === m.personId);
          const state = note ? (note.signedAt ? fill(n.stateSigned, { when: formatDateTime(ctx.locale, note.signedAt) }) : n.stateDraft) : "";
          rows.push(html`<tr><th scope="row">${name}</th><td>${p ? fill(n.attendedFor, { from: when(ctx.locale, p.from), to: when(ctx.locale, p.to), minutes: p.minutes }) : n.notAttended}</td>
<td>${note
  ? html`<a href="/groups/${params.id}/notes/${note.id}" aria-label="${fill(n.openNoteFor, { name })}">${n.openNote}</a> <span class="muted">${state}</span>`
  : p
    ? html`<form method="post" action="${base}" class="inline-form"><input type="hidden" name="personId" value="${m.personId}">
<label class="visually-hidden" for="tpl-${m.personId}">${n.templateLabel}</label><select id="tpl-${m.personId}" name="template">${templateOptions(hearth, ctx.locale, ["dap", "soap", "birp"])}</select>
<button type="submit" aria-label="${fill(n.writeNoteFor, { name })}">${n.writeNote}</button></form>`
    : ""}</td></tr>`);
        }
        const main = html`<p><a href="/groups/${params.id}/record">${s.recordTitle}</a></p><h1>${n.notesTitle}</h1>
<p class="muted">${fill(n.notesIntro, { when: formatDateTime(ctx.locale, session.openedAt) })}</p>
<section class="card" aria-labelledby="group-note-title"><h2 id="group-note-title">${n.groupNote}</h2>
${groupNote
  ? html`<p><a href="/groups/${params.id}/notes/${groupNote.id}">${n.openNote}</a> <span class="muted">${groupNote.signedAt ? fill(n.stateSigned, { when: formatDateTime(ctx.locale, groupNote.signedAt) }) : n.stateDraft}</span></p>`
  : html`<form method="post" action="${base}" class="inline-form"><label class="visually-hidden" for="tpl-group">${n.templateLabel}</label><select id="tpl-group" name="template">${templateOptions(hearth, ctx.locale, ["group"])}</select><button type="submit">${n.writeNote}</button></form>`}</section>
<p><a href="/record/templates">${n.templatesLink}</a></p>
<section class="card" aria-labelledby="member-notes-title"><h2 id="member-notes-title">${n.individualNotes}</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">${s.colMember}</th><th scope="col">${s.attendanceTitle}</th><th scope="col">${n.notesTitle}</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
        return htmlResponse(layout(ctx, n.notesTitle, main, { styles: RECORD_STYLES }), 200, { "cache-control": "no-store" });
      },
      { params: SessionParams, detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/sessions/:sessionId/notes",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = recordStrings(locale);
        const n = noteStrings(locale);
        const session = findSession(hearth.db, params.sessionId);
        if (!session || session.groupId !== params.id || session.openedAt === null) throw refuse(locale, 404, s.notFound);
        // A standard structure, or one of the clinic's own templates ("t:ID") on top of one.
        const own = /^t:(\d{1,9})$/.exec(body.template);
        const chosen = own ? clinicTemplate(hearth, Number(own[1])) : null;
        const template = chosen ? chosen.base : body.template;
        if (!isTemplate(template) || (own && !chosen)) throw refuse(locale, 400, n.badTemplate);
        const personId = body.personId ? Number(body.personId) : null;
        if ((personId === null) !== (template === "group")) throw refuse(locale, 400, s.badMember);
        const present = sessionPresence(hearth.db, session.id, hearth.now());
        const existing = notesOfSession(hearth, session.id).find((n) => n.personId === personId);
        if (existing) return goTo(request, `/groups/${params.id}/notes/${existing.id}`);
        let attendance: string;
        if (personId === null) {
          const lines = [];
          for (const m of membersOf(hearth.db, params.id).filter((m) => m.role === "member")) {
            const p = present.get(m.personId);
            lines.push(`${await nameShown(hearth, viewer.id, m.personId)}: ${p ? fill(n.attendedFor, { from: when(locale, p.from), to: when(locale, p.to), minutes: p.minutes }) : n.notAttended}`);
          }
          attendance = lines.join("\n");
        } else {
          const p = present.get(personId);
          if (!p) throw refuse(locale, 400, s.badMember);
          attendance = fill(n.attendedFor, { from: when(locale, p.from), to: when(locale, p.to), minutes: p.minutes });
        }
        const id = await createNote(hearth, { sessionId: session.id, groupId: params.id, personId, template, by: viewer.id, fields: { ...chosen?.fields, attendance } });
        return goTo(request, `/groups/${params.id}/notes/${id}`);
      },
      { params: SessionParams, body: t.Object({ template: t.String({ maxLength: 12 }), personId: t.Optional(t.String({ maxLength: 12 })) }, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/groups/:id/notes/:noteId",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const n = noteStrings(ctx.locale);
        noteIn(ctx.locale, params.id, params.noteId);
        const note = (await readNote(hearth, viewer.id, params.noteId))!;
        const title = note.personId === null ? n.groupNote : fill(n.noteFor, { name: await nameShown(hearth, viewer.id, note.personId) });
        const done = query.done ? { signed: n.signedDone, addendum: n.addendumDone, released: null, saved: n.saved }[query.done] : null;
        const body = note.signedAt === null
          ? draftForm(ctx.locale, note)
          : html`${signedNote(ctx.locale, note)}
<p class="muted">${fill(n.stateSigned, { when: formatDateTime(ctx.locale, note.signedAt) })}</p>
${(await signatureHolds(note))
  ? html`<p class="notice notice-ok" role="status">✓ ${n.signatureValid}</p>`
  : html`<div class="notice notice-error" role="alert"><p>${n.signatureInvalid}</p></div>`}
${note.personId !== null
  ? note.releasedAt
    ? html`<p>${fill(n.released, { when: formatDateTime(ctx.locale, note.releasedAt) })}</p>`
    : html`<form method="post" action="/groups/${params.id}/notes/${note.id}/release"><button type="submit" class="secondary">${n.release}</button></form>`
  : ""}`;
        const main = html`<p><a href="/groups/${params.id}/sessions/${note.sessionId}/notes">${n.notesTitle}</a></p>
<h1>${title}</h1><p class="muted">${templateLabel(ctx.locale, note.template)} · ${note.signedAt === null ? n.stateDraft : fill(n.stateSigned, { when: formatDateTime(ctx.locale, note.signedAt) })}</p>
${okNotice(done)}
<section class="card">${body}</section>
${note.signedAt !== null ? addendaSection(ctx.locale, note, await addendaOf(hearth, note.id), true) : ""}`;
        return htmlResponse(layout(ctx, n.noteTitle, main, { styles: RECORD_STYLES, scripts: PASSKEY_SCRIPTS }), 200, { "cache-control": "no-store" });
      },
      { params: NoteParams, query: t.Object({ done: t.Optional(t.UnionEnum(["signed", "addendum", "released", "saved"])) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/notes/:noteId",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const n = noteStrings(locale);
        const meta = noteIn(locale, params.id, params.noteId);
        if (meta.signedAt !== null) {
          await saveDraft(hearth, viewer.id, meta.id, {}); // audits the refusal; changes nothing
          throw refuse(locale, 409, n.signedRefused);
        }
        checkLengths(locale, meta.template, body as Record<string, string>);
        if (!(await saveDraft(hearth, viewer.id, meta.id, body as Record<string, string>))) throw refuse(locale, 409, n.signedRefused);
        if (isHtmx(request)) return htmlResponse(html`<p class="notice notice-ok">${n.saved}</p>`);
        return goTo(request, `/groups/${params.id}/notes/${meta.id}?done=saved`);
      },
      { params: NoteParams, body: t.Object(Fields, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/notes/:noteId/sign/options",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const n = noteStrings(locale);
        const meta = noteIn(locale, params.id, params.noteId);
        if (meta.signedAt !== null) return json({ error: n.signedRefused }, 409);
        // The form's text is saved first, so what is signed is what the clinician sees.
        const given = body as Record<string, string | undefined>;
        if (TEMPLATE_FIELDS[meta.template].some((f) => given[f] !== undefined)) {
          checkLengths(locale, meta.template, given);
          await saveDraft(hearth, viewer.id, meta.id, given);
        }
        const note = (await readNote(hearth, viewer.id, meta.id))!;
        const empty = TEMPLATE_FIELDS[note.template].find((f) => !(note.fields[f] ?? "").trim());
        if (empty) return json({ error: fill(n.fieldEmpty, { field: fieldLabel(locale, empty) }) }, 400);
        const options = await signingOptions(hearth, viewer, `note:${note.id}`, sha256Hex(canonicalNote(note)));
        return json({ options });
      },
      { params: NoteParams, body: t.Object(Fields, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/notes/:noteId/sign/verify",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const n = noteStrings(locale);
        const meta = noteIn(locale, params.id, params.noteId);
        const result = await verifySigning(hearth, viewer, `note:${meta.id}`, body.response as AuthenticationResponseJSON);
        if (!result) return json({ error: n.signFailed }, 401);
        if (!(await signNote(hearth, meta.id, result.signature))) return json({ error: n.changedSinceOptions }, 409);
        return json({ redirect: `/groups/${params.id}/notes/${meta.id}?done=signed` });
      },
      { params: NoteParams, body: t.Object({ response: AssertionSchema }, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/notes/:noteId/addenda/options",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const n = noteStrings(locale);
        const meta = noteIn(locale, params.id, params.noteId);
        if (meta.signedAt === null || !meta.contentHash) return json({ error: n.signFailed }, 409);
        const text = (body.text ?? "").replace(/\r\n?/g, "\n").trim();
        if (!text) return json({ error: fill(n.fieldEmpty, { field: n.addendumLabel }) }, 400);
        const options = await signingOptions(hearth, viewer, `addendum:${meta.id}`, sha256Hex(canonicalAddendum(meta.id, meta.contentHash, text)), { text });
        return json({ options });
      },
      { params: NoteParams, body: t.Object({ text: t.Optional(t.String({ maxLength: FIELD_MAX })) }, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/notes/:noteId/addenda/verify",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const n = noteStrings(locale);
        const meta = noteIn(locale, params.id, params.noteId);
        const result = await verifySigning(hearth, viewer, `addendum:${meta.id}`, body.response as AuthenticationResponseJSON);
        if (!result) return json({ error: n.signFailed }, 401);
        const id = await addAddendum(hearth, meta.id, result.data.text ?? "", result.signature);
        if (id === null) return json({ error: n.changedSinceOptions }, 409);
        return json({ redirect: `/groups/${params.id}/notes/${meta.id}?done=addendum` });
      },
      { params: NoteParams, body: t.Object({ response: AssertionSchema }, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/notes/:noteId/release",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const meta = noteIn(locale, params.id, params.noteId);
        if (!releaseNote(hearth, viewer.id, meta.id) && !meta.releasedAt) throw refuse(locale, 409, noteStrings(locale).releaseSignedOnly);
        return goTo(request, `/groups/${params.id}/notes/${meta.id}?done=released`);
      },
      { params: NoteParams, detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/record/notes",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const n = noteStrings(ctx.locale);
        const items = [];
        for (const meta of releasedNotesOf(hearth, viewer.id)) {
          const note = (await readNote(hearth, viewer.id, meta.id))!;
          const addenda = await addendaOf(hearth, meta.id);
          items.push(html`<article class="card"><h2>${formatDateTime(ctx.locale, note.signedAt!)}</h2>${signedNote(ctx.locale, note)}
${addenda.length ? html`<h3>${n.addendaTitle}</h3>${addenda.map((a) => html`<p>${a.text}</p>`)}` : ""}</article>`);
        }
        const main = html`<h1>${n.myNotesTitle}</h1><p>${n.myNotesIntro}</p>${items.length ? items : html`<p>${n.noNotes}</p>`}`;
        return htmlResponse(layout(ctx, n.myNotesTitle, main, { styles: RECORD_STYLES }), 200, { "cache-control": "no-store" });
      },
      { detail: policy({ allow: ["patient"] }) },
    );
}
