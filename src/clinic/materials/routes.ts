import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, type Html } from "../../ui/html.ts";
import { pageFor } from "../../ui/request.ts";
import { HttpError } from "../../ui/errors.ts";
import { fill, INTL_TAGS, type Locale } from "../../ui/i18n.ts";
import { policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { partIn } from "../groups.ts";
import { postForm } from "../views.ts";
import { allOccurrences } from "../schedule/recurrence.ts";
import { scheduleById, type PlannedSession } from "../schedule/schedules.ts";
import { whenText } from "../schedule/views.ts";
import { addFile, addLink, MAX_BYTES, MaterialError, materialsOf, openFile, removeMaterial, TITLE_MAX, type Material } from "./store.ts";
import { materialStrings } from "./strings.ts";

/**
 * A group's materials. Its clinicians attach files (streamed: the page's script sends the file
 * as the request body with XHR, showing upload progress) and links, for the group or one of its
 * sessions; everyone in the group lists and downloads them. A download is always an attachment
 * with nosniff, so nothing uploaded is ever rendered by the browser as a page.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const MB = Math.round(MAX_BYTES / 1024 / 1024);

function refusal(locale: Locale, err: MaterialError): HttpError {
  const s = materialStrings(locale);
  if (err.field === "title") return new HttpError(400, s.checkTitle, fill(s.errTitle, { n: TITLE_MAX }));
  if (err.field === "link") return new HttpError(400, s.checkTitle, s.errLink);
  if (err.field === "session") return new HttpError(400, s.checkTitle, s.errSession);
  if (err.reason === "too-large") return new HttpError(413, s.checkTitle, fill(s.errTooLarge, { mb: MB }));
  if (err.reason === "empty") return new HttpError(400, s.checkTitle, s.errEmpty);
  return new HttpError(415, s.checkTitle, s.errType);
}

function sizeText(locale: Locale, bytes: number): string {
  const n = new Intl.NumberFormat(INTL_TAGS[locale], { maximumFractionDigits: 1 });
  return bytes >= 1024 * 1024 ? `${n.format(bytes / 1024 / 1024)} MB` : `${n.format(Math.max(1, bytes / 1024))} kB`;
}

/** "group" or "SCHEDULE:WALL" of an occurrence of one of this group's schedules. */
function targetOf(hearth: Hearth, groupId: number, raw: string): { groupId: number; scheduleId: number | null; wall: number | null } {
  if (raw === "group") return { groupId, scheduleId: null, wall: null };
  const m = /^(\d{1,12}):(-?\d{1,16})$/.exec(raw);
  const sc = m ? scheduleById(hearth, Number(m[1])) : null;
  if (!m || !sc || sc.groupId !== groupId || !allOccurrences(sc.recurrence).some((o) => o.wall === Number(m[2]))) throw new MaterialError("session", "invalid");
  return { groupId, scheduleId: sc.id, wall: Number(m[2]) };
}

function item(locale: Locale, groupId: number, m: Material, mayRemove: boolean): Html {
  const s = materialStrings(locale);
  const action =
    m.kind === "file"
      ? html`<a class="button secondary" href="/materials/${m.id}" download aria-label="${fill(s.downloadLabel, { title: m.title, size: sizeText(locale, m.bytes ?? 0) })}">${s.download}</a>`
      : html`<a class="button secondary" href="${m.link ?? ""}" rel="noopener noreferrer" target="_blank">${s.openLink}</a>`;
  return html`<li><span>${m.title}</span>${m.kind === "file" ? html` <span class="muted">(${sizeText(locale, m.bytes ?? 0)})</span>` : ""} ${action}
${mayRemove ? postForm(`/groups/${groupId}/materials/${m.id}/remove`, html`<button type="submit" class="secondary">${s.remove}</button>`, { confirm: s.removeConfirm }) : ""}</li>`;
}

/** The materials section of a group's dates page (see calendar-routes.ts). */
export function materialsSection(hearth: Hearth) {
  return async (request: Request, viewer: { id: number }, groupId: number, sessions: PlannedSession[]): Promise<Html> => {
    const { locale } = pageFor(request);
    const s = materialStrings(locale);
    const leads = partIn(hearth.db, groupId, viewer.id) === "clinician";
    const all = await materialsOf(hearth, viewer.id, groupId);
    const whole = all.filter((m) => m.scheduleId === null);
    const bySession = sessions
      .map((p) => ({ p, items: all.filter((m) => m.scheduleId === p.scheduleId && m.wall === p.wall) }))
      .filter((x) => x.items.length);
    const list = all.length
      ? html`${whole.length ? html`<h3>${s.forGroup}</h3><ul class="materials">${whole.map((m) => item(locale, groupId, m, leads))}</ul>` : ""}
${bySession.map(({ p, items }) => html`<h3>${fill(s.forSession, { when: whenText(locale, p.zone, p.startsAt) })}</h3><ul class="materials">${items.map((m) => item(locale, groupId, m, leads))}</ul>`)}`
      : html`<p>${s.none}</p>`;
    const options = html`<option value="group">${s.forGroup}</option>${sessions
      .filter((p) => !p.cancelled && p.endsAt > hearth.now() - 14 * 86_400_000)
      .map((p) => html`<option value="${p.scheduleId}:${p.wall}">${fill(s.forSession, { when: whenText(locale, p.zone, p.startsAt) })}</option>`)}`;
    const forms = leads
      ? html`<div class="grid"><section class="card" aria-labelledby="add-file-title"><h3 id="add-file-title">${s.addFileTitle}</h3><p>${fill(s.addFileIntro, { mb: MB })}</p>
<form id="material-upload" data-upload-action="/groups/${groupId}/materials" data-upload-header-title="x-material-title" data-upload-header-for="x-material-for" data-progress-text="${s.uploading}" data-done-text="${s.uploaded}" data-failed-text="${s.uploadFailed}" data-max-bytes="${MAX_BYTES}" data-too-large-text="${fill(s.errTooLarge, { mb: MB })}">
<div class="field"><label for="material-file">${s.fileLabel}</label><input type="file" id="material-file" name="file" required></div>
<div class="field"><label for="material-title">${s.titleLabel}</label><input type="text" id="material-title" name="title" maxlength="${TITLE_MAX}" required></div>
<div class="field"><label for="material-for">${s.attachTo}</label><select id="material-for" name="for">${options}</select></div>
<progress id="material-progress" max="100" value="0" hidden aria-label="${s.upload}"></progress><p id="material-status" role="status" aria-live="polite"></p>
<noscript><p>${s.needsScript}</p></noscript>
<div class="actions"><button type="submit">${s.upload}</button></div></form></section>
<section class="card" aria-labelledby="add-link-title"><h3 id="add-link-title">${s.addLinkTitle}</h3>${postForm(
          `/groups/${groupId}/links`,
          html`<div class="field"><label for="link-title">${s.titleLabel}</label><input type="text" id="link-title" name="title" maxlength="${TITLE_MAX}" required></div>
<div class="field"><label for="link-url">${s.linkLabel}</label><input type="url" id="link-url" name="link" required></div>
<div class="field"><label for="link-for">${s.attachTo}</label><select id="link-for" name="for">${options}</select></div>
<div class="actions"><button type="submit">${s.addLink}</button></div>`,
        )}</section></div>`
      : "";
    return html`<section class="card" aria-labelledby="materials-title"><h2 id="materials-title">${s.title}</h2><p>${s.intro}</p>${list}</section>${forms}`;
  };
}

export function materialRoutes(hearth: Hearth) {
  const back = (groupId: number) => `/calendar/groups/${groupId}`;
  const done = (request: Request, groupId: number) =>
    request.headers.get("hx-request") ? new Response(null, { status: 204, headers: { "hx-redirect": back(groupId) } }) : new Response(null, { status: 303, headers: { location: back(groupId) } });
  return new Elysia({ name: "clinic-materials" })
    .post(
      "/groups/:id/materials",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        try {
          const declared = Number(request.headers.get("content-length") ?? "0");
          if (declared > MAX_BYTES) throw new MaterialError("file", "too-large");
          let title = "";
          try {
            title = decodeURIComponent(request.headers.get("x-material-title") ?? "");
          } catch {
            throw new MaterialError("title", "invalid");
          }
          const target = targetOf(hearth, params.id, request.headers.get("x-material-for") ?? "group");
          if (!title.trim() || title.trim().length > TITLE_MAX) throw new MaterialError("title", "invalid");
          if (!request.body) throw new MaterialError("file", "empty");
          await addFile(hearth, viewer.id, target, title, request.body);
        } catch (err) {
          if (err instanceof MaterialError) throw refusal(locale, err);
          throw err;
        }
        return done(request, params.id);
      },
      // The body is the file itself, read as a stream by addFile: never parsed, never buffered.
      { parse: "none", params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/links",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        try {
          await addLink(hearth, viewer.id, targetOf(hearth, params.id, body.for), body.title, body.link);
        } catch (err) {
          if (err instanceof MaterialError) throw refusal(locale, err);
          throw err;
        }
        return done(request, params.id);
      },
      {
        params: t.Object({ id: t.Numeric({ minimum: 1 }) }),
        body: t.Object({ title: t.String({ maxLength: 1000 }), link: t.String({ maxLength: 2000 }), for: t.String({ maxLength: 40 }) }),
        detail: policy(GROUP_CLINICIANS),
      },
    )
    .post(
      "/groups/:id/materials/:materialId/remove",
      ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = materialStrings(pageFor(request).locale);
        const row = hearth.db.query<{ group_id: number }, [number]>("SELECT group_id FROM materials WHERE id = ? AND removed_at IS NULL").get(params.materialId);
        if (!row || row.group_id !== params.id) throw new HttpError(404, s.checkTitle, s.gone);
        removeMaterial(hearth, viewer.id, params.materialId);
        return done(request, params.id);
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), materialId: t.Numeric({ minimum: 1 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/materials/:id",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = materialStrings(pageFor(request).locale);
        const file = await openFile(hearth, viewer.id, params.id);
        if (!file) throw new HttpError(404, s.checkTitle, s.gone);
        // Characters no file system takes (and quotes) become "_"; filename* keeps the title as typed.
        const ascii = file.filename.replace(/[^\x20-\x7e]|["\\/:*?<>|]/g, "_");
        return new Response(file.stream, {
          headers: {
            "content-type": file.mime,
            "content-length": String(file.bytes),
            "content-disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox; default-src 'none'",
            "cache-control": "private, no-store",
          },
        });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy({ allow: ["clinician", "patient", "guest"], item: { kind: "groupItem", param: "id", of: "material" } }) },
    );
}
