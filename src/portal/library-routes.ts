import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { policy, provideItemAccess, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendHome, extendNav } from "../identity/extensions.ts";
import { readGroupsOf } from "../clinic/groups.ts";
import { patientsOf } from "./messages.ts";
import { libraryStrings } from "./library-strings.ts";
import { parseRange, sliceStream } from "./library-range.ts";
import { assignForm, itemBody, itemList, kindLabel, removeForm, tagFilter, tagsForm, trackingNotice, uploadForm, writeForm } from "./library-views.ts";
import {
  BODY_MAX, LIBRARY_MAX_BYTES, LibraryError, TAG_MAX, TAGS_MAX, TITLE_MAX, addArticle, addLibraryFile, assign, assignmentsSeenBy, itemById, libraryItems, mayOpen, noteRead,
  openLibraryFile, parseTags, readingTracked, readsSeenBy, recommendedFor, removeItem, setReadingTracked, setTags, unassign,
} from "./library.ts";

/**
 * The library's pages. Patients and clinicians reach the routes by role; which item a patient
 * may open is the item check in library.ts mayOpen (recommended to them or to their group), and
 * whom a clinician may recommend to is assign's check (a patient they care for, a group they
 * run), both built on identity/policy.ts isCarerOf and groupRoleOf. Files are served with HTTP
 * ranges (library-range.ts) so audio and video seek; the admin only turns reading tracking on or off.
 */
const PEOPLE: RoutePolicy = { allow: ["patient", "clinician"] };
const CLINICIANS: RoutePolicy = { allow: ["clinician"] };
const ADMINS: RoutePolicy = { allow: ["admin"] };
/** One item: every clinician, and a patient it is recommended to (library.ts mayOpen, registered below). */
const ITEM: RoutePolicy = { allow: ["patient", "clinician"], item: { kind: "item", param: "id", of: "library" } };
const CLINICIAN_ITEM: RoutePolicy = { allow: ["clinician"], item: { kind: "item", param: "id", of: "library" } };
const TARGET = t.Object({ patientId: t.Optional(t.String({ maxLength: 12 })), groupId: t.Optional(t.String({ maxLength: 12 })), _csrf: t.Optional(t.String()) });
const MB = LIBRARY_MAX_BYTES / (1024 * 1024);
const ID = t.Object({ id: t.Numeric({ minimum: 1 }) });

function refusal(locale: Locale, err: LibraryError): HttpError {
  const s = libraryStrings(locale);
  const message = {
    title: fill(s.errTitle, { n: TITLE_MAX }),
    body: fill(s.errBody, { n: BODY_MAX }),
    tags: fill(s.errTags, { n: TAGS_MAX, m: TAG_MAX }),
    target: s.errTarget,
    file: err.reason === "too-large" ? fill(s.errTooLarge, { mb: MB }) : err.reason === "empty" ? s.errEmpty : s.errType,
  }[err.field];
  return new HttpError(err.reason === "too-large" ? 413 : err.field === "target" ? 403 : 400, s.checkTitle, message);
}

/** Runs a step that may refuse input, turning its refusal into the page's 4xx naming the field. */
async function checked<T>(locale: Locale, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof LibraryError) throw refusal(locale, err);
    throw err;
  }
}

const back = (location: string) => new Response(null, { status: 303, headers: { location } });

export function libraryRoutes(hearth: Hearth) {
  provideItemAccess(hearth, "library", (viewer, id) => (!itemById(hearth, id) ? "missing" : mayOpen(hearth, viewer, id) ? "ok" : "refused"));
  extendNav(hearth, "portal-library", (locale, role) =>
    role === "patient" || role === "clinician"
      ? [{ href: "/portal/library", label: libraryStrings(locale).navLibrary }]
      : role === "admin"
        ? [{ href: "/admin/library", label: libraryStrings(locale).settingsTitle }]
        : [],
  );

  const page = (request: Request, title: string, main: Html, status?: Html, scripts?: string[]) =>
    htmlResponse(layout(pageFor(request), title, main, { status, scripts }), 200, { "cache-control": "no-store" });

  async function nameOf(viewerId: number, personId: number): Promise<string> {
    const person = getPerson(hearth, personId);
    if (!person) return "";
    auditNameShown(hearth, viewerId, person);
    return (await displayName(hearth, personId)) ?? "";
  }

  function openable(request: Request, id: number) {
    const viewer = requireViewer(request);
    const item = mayOpen(hearth, viewer, id) ? itemById(hearth, id) : null;
    if (!item) throw new HttpError(404, libraryStrings(pageFor(request).locale).checkTitle, libraryStrings(pageFor(request).locale).gone);
    return { viewer, item };
  }

  // A patient's home shows the newest of what is recommended to them.
  extendHome(hearth, "portal-library", (_request, viewer, locale) => {
    if (viewer.role !== "patient") return null;
    const items = recommendedFor(hearth, viewer.id, viewer.id);
    if (!items.length) return null;
    const s = libraryStrings(locale);
    return html`<section class="card" aria-labelledby="home-library"><h2 id="home-library">${s.recommended}</h2>
${itemList(locale, items.slice(0, 3), s.none)}<p><a href="/portal/library">${s.seeAll}</a></p></section>`;
  });

  return new Elysia({ name: "portal-library" })
    .get(
      "/portal/library",
      ({ request, query }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = libraryStrings(locale);
        const status = query.added || query.removed ? html`<p class="notice notice-ok">${query.removed ? s.removed : s.added}</p>` : undefined;
        if (viewer.role === "patient") {
          const items = recommendedFor(hearth, viewer.id, viewer.id);
          const main = html`<h1>${s.title}</h1>${trackingNotice(locale, readingTracked(hearth))}
<section aria-labelledby="library-recommended"><h2 id="library-recommended">${s.recommended}</h2><p>${s.introPatient}</p>${itemList(locale, items, s.none)}</section>`;
          return page(request, s.title, main);
        }
        const all = libraryItems(hearth);
        const tag = query.tag || undefined;
        const tags = [...new Set(all.flatMap((i) => i.tags))].sort();
        const main = html`<h1>${s.title}</h1><p>${s.introClinician}</p>${tagFilter(locale, tags, tag)}
${itemList(locale, tag ? all.filter((i) => i.tags.includes(tag)) : all, s.noneClinician)}
${writeForm(locale)}${uploadForm(locale)}`;
        return page(request, s.title, main, status, ["upload.js"]);
      },
      { query: t.Object({ tag: t.Optional(t.String({ maxLength: TAG_MAX })), added: t.Optional(t.String()), removed: t.Optional(t.String()) }), detail: policy(PEOPLE) },
    )
    .post(
      "/portal/library/articles",
      async ({ request, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const id = await checked(locale, () => addArticle(hearth, viewer.id, { title: body.title ?? "", body: body.body ?? "", tags: parseTags(body.tags ?? "") }));
        return back(`/portal/library/${id}?added=1`);
      },
      {
        body: t.Object({ title: t.Optional(t.String({ maxLength: 1000 })), body: t.Optional(t.String({ maxLength: BODY_MAX * 2 })), tags: t.Optional(t.String({ maxLength: 1000 })), _csrf: t.Optional(t.String()) }),
        detail: policy(CLINICIANS),
      },
    )
    .post(
      "/portal/library/files",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const id = await checked(locale, async () => {
          if (Number(request.headers.get("content-length") ?? "0") > LIBRARY_MAX_BYTES) throw new LibraryError("file", "too-large");
          let title = "";
          try {
            title = decodeURIComponent(request.headers.get("x-document-title") ?? "");
          } catch {
            throw new LibraryError("title", "invalid");
          }
          if (!request.body) throw new LibraryError("file", "empty");
          return addLibraryFile(hearth, viewer.id, { title, tags: [], source: request.body });
        });
        const to = `/portal/library/${id}?added=1`;
        return request.headers.get("hx-request") ? new Response(null, { status: 204, headers: { "hx-redirect": to } }) : back(to);
      },
      // The body is the file itself, read as a stream: never parsed, never buffered.
      { parse: "none", detail: policy(CLINICIANS) },
    )
    .get(
      "/portal/library/:id",
      async ({ request, params, query }) => {
        const { viewer, item } = openable(request, params.id);
        const { locale } = pageFor(request);
        const s = libraryStrings(locale);
        const tracked = readingTracked(hearth);
        if (viewer.role === "patient") noteRead(hearth, viewer.id, item.id);
        let staff: Html = html``;
        if (viewer.role === "clinician") {
          const patients = await Promise.all(patientsOf(hearth, viewer.id).map(async (id) => ({ id, name: await nameOf(viewer.id, id) })));
          const groups = (await readGroupsOf(hearth, viewer.id, ["clinician"])).map((g) => ({ id: g.id, name: g.name }));
          const seen = assignmentsSeenBy(hearth, viewer.id, item.id);
          const assignedTo = [
            ...groups.filter((g) => seen.groupIds.includes(g.id)).map((g) => ({ field: "groupId" as const, id: g.id, name: g.name })),
            ...patients.filter((p) => seen.patientIds.includes(p.id)).map((p) => ({ field: "patientId" as const, id: p.id, name: p.name })),
          ];
          const reads = tracked ? readsSeenBy(hearth, viewer.id, item.id) : [];
          const readers = await Promise.all(reads.map(async (r) => fill(s.readsLine, { name: await nameOf(viewer.id, r.patientId), times: r.times, when: formatDateTime(locale, r.lastReadAt) })));
          staff = html`${tagsForm(locale, item)}${assignForm(locale, item, patients, groups, assignedTo)}
<section class="card" aria-labelledby="library-reads"><h2 id="library-reads">${s.readsTitle}</h2>
${!tracked ? html`<p>${s.readsOff}</p>` : readers.length ? html`<ul>${readers.map((r) => html`<li>${r}</li>`)}</ul>` : html`<p>${s.readsNone}</p>`}</section>
${removeForm(locale, item)}`;
        }
        const note = query.added ? s.added : query.assigned ? s.assigned : query.tagged ? s.tagged : query.unassigned ? s.unassigned : "";
        const status = note ? html`<p class="notice notice-ok">${note}</p>` : undefined;
        const main = html`<p><a href="/portal/library">${s.back}</a></p><h1>${item.title}</h1>
<p class="muted">${kindLabel(locale, item)}${item.tags.length ? html` · ${fill(s.tagsLabel, { tags: item.tags.join(", ") })}` : ""}</p>
${viewer.role === "patient" ? trackingNotice(locale, tracked) : ""}${itemBody(locale, item)}${staff}`;
        return page(request, item.title, main, status);
      },
      { params: ID, query: t.Object({ added: t.Optional(t.String()), assigned: t.Optional(t.String()), tagged: t.Optional(t.String()), unassigned: t.Optional(t.String()) }), detail: policy(ITEM) },
    )
    .get(
      "/portal/library/:id/file",
      async ({ request, params }) => {
        const { item } = openable(request, params.id);
        const s = libraryStrings(pageFor(request).locale);
        const file = item.kind === "file" ? await openLibraryFile(hearth, item.id) : null;
        if (!file) throw new HttpError(404, s.checkTitle, s.gone);
        const headers: Record<string, string> = {
          "content-type": file.mime,
          "accept-ranges": "bytes",
          // Audio and video play in the page; a PDF is saved, never rendered as the box's page.
          "content-disposition": file.mime === "application/pdf" ? `attachment; filename*=UTF-8''${encodeURIComponent(`${file.title}.pdf`)}` : "inline",
          "x-content-type-options": "nosniff",
          "content-security-policy": "sandbox; default-src 'none'",
          "cache-control": "private, no-store",
        };
        const range = parseRange(request.headers.get("range"), file.bytes);
        if (range === "unsatisfiable") {
          await file.stream.cancel();
          return new Response(s.rangeBad, { status: 416, headers: { ...headers, "content-type": "text/plain; charset=utf-8", "content-range": `bytes */${file.bytes}` } });
        }
        if (!range) return new Response(file.stream, { headers: { ...headers, "content-length": String(file.bytes) } });
        return new Response(sliceStream(file.stream, range.start, range.end), {
          status: 206,
          headers: { ...headers, "content-length": String(range.end - range.start + 1), "content-range": `bytes ${range.start}-${range.end}/${file.bytes}` },
        });
      },
      { params: ID, detail: policy(ITEM) },
    )
    .post(
      "/portal/library/:id/tags",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const tags = await checked(locale, () => parseTags(body.tags ?? ""));
        if (!setTags(hearth, viewer.id, params.id, tags)) throw new HttpError(404, libraryStrings(locale).checkTitle, libraryStrings(locale).gone);
        return back(`/portal/library/${params.id}?tagged=1`);
      },
      { params: ID, body: t.Object({ tags: t.Optional(t.String({ maxLength: 1000 })), _csrf: t.Optional(t.String()) }), detail: policy(CLINICIAN_ITEM) },
    )
    .post(
      "/portal/library/:id/assign",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const patientId = Number(body.patientId || 0);
        const groupId = Number(body.groupId || 0);
        await checked(locale, () => {
          if (!itemById(hearth, params.id)) throw new HttpError(404, libraryStrings(locale).checkTitle, libraryStrings(locale).gone);
          if (!(patientId > 0) && !(groupId > 0)) throw new LibraryError("target", "invalid");
          if (patientId > 0) assign(hearth, viewer.id, params.id, { patientId });
          if (groupId > 0) assign(hearth, viewer.id, params.id, { groupId });
        });
        return back(`/portal/library/${params.id}?assigned=1`);
      },
      { params: ID, body: TARGET, detail: policy(CLINICIAN_ITEM) },
    )
    .post(
      "/portal/library/:id/unassign",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const patientId = Number(body.patientId || 0);
        const groupId = Number(body.groupId || 0);
        await checked(locale, () => {
          if (patientId > 0) unassign(hearth, viewer.id, params.id, { patientId });
          else if (groupId > 0) unassign(hearth, viewer.id, params.id, { groupId });
          else throw new LibraryError("target", "invalid");
        });
        return back(`/portal/library/${params.id}?unassigned=1`);
      },
      { params: ID, body: TARGET, detail: policy(CLINICIAN_ITEM) },
    )
    .post(
      "/portal/library/:id/remove",
      ({ request, params }) => {
        removeItem(hearth, requireViewer(request).id, params.id);
        return back("/portal/library?removed=1");
      },
      // Removing needs the box ticked: a bare request changes nothing.
      { params: ID, body: t.Object({ confirm: t.Literal("yes"), _csrf: t.Optional(t.String()) }), detail: policy(CLINICIAN_ITEM) },
    )
    .get(
      "/admin/library",
      ({ request, query }) => {
        const s = libraryStrings(pageFor(request).locale);
        const on = readingTracked(hearth);
        const main = html`<h1>${s.settingsTitle}</h1><p>${s.settingsIntro}</p>
<form method="post" action="/admin/library"><p><input id="library-tracked" name="tracked" type="checkbox" value="on" ${on ? "checked" : ""}> <label for="library-tracked">${s.settingsField}</label></p>
<div class="actions"><button type="submit">${s.settingsSave}</button></div></form>`;
        return page(request, s.settingsTitle, main, query.saved ? html`<p class="notice notice-ok">${s.settingsSaved}</p>` : undefined);
      },
      { query: t.Object({ saved: t.Optional(t.String()) }), detail: policy(ADMINS) },
    )
    .post(
      "/admin/library",
      ({ request, body }) => {
        // The form's one box unchecked and no script to add its token field: an empty body, which is "off".
        setReadingTracked(hearth, requireViewer(request).id, body?.tracked === "on");
        return back("/admin/library?saved=1");
      },
      { body: t.Optional(t.Object({ tracked: t.Optional(t.String({ maxLength: 8 })), _csrf: t.Optional(t.String()) })), detail: policy(ADMINS) },
    );
}
