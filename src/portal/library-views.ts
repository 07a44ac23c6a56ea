import { html, unsafeRaw, type Html } from "../ui/html.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { libraryStrings } from "./library-strings.ts";
import { renderArticle } from "./library-markdown.ts";
import { BODY_MAX, LIBRARY_MAX_BYTES, LIBRARY_TYPES, TAG_MAX, TAGS_MAX, TITLE_MAX, type LibraryItem } from "./library.ts";

/** The library's page parts: lists, the item itself (article, player or PDF link), the clinicians' forms. */
const MB = LIBRARY_MAX_BYTES / (1024 * 1024);

export function kindLabel(locale: Locale, item: LibraryItem): string {
  const s = libraryStrings(locale);
  if (item.kind === "article") return s.kindArticle;
  return { pdf: s.kindPdf, audio: s.kindAudio, video: s.kindVideo }[LIBRARY_TYPES[item.mime ?? ""] ?? "pdf"];
}

export function trackingNotice(locale: Locale, tracked: boolean): Html {
  const s = libraryStrings(locale);
  return html`<p class="notice" id="library-tracking">${tracked ? s.trackedNotice : s.untrackedNotice}</p>`;
}

export function itemList(locale: Locale, items: LibraryItem[], empty: string): Html {
  const s = libraryStrings(locale);
  if (!items.length) return html`<p>${empty}</p>`;
  return html`<ul class="library-items">${items.map(
    (i) => html`<li><a href="/portal/library/${i.id}">${i.title}</a> · ${kindLabel(locale, i)}${i.tags.length ? html` · <span class="muted">${fill(s.tagsLabel, { tags: i.tags.join(", ") })}</span>` : ""}</li>`,
  )}</ul>`;
}

export function tagFilter(locale: Locale, tags: string[], chosen: string | undefined): Html {
  const s = libraryStrings(locale);
  if (!tags.length) return html``;
  return html`<form method="get" action="/portal/library" class="inline-form"><label for="library-tag">${s.filterTag}</label>
<select id="library-tag" name="tag"><option value="">${s.allTags}</option>${tags.map((t) => html`<option value="${t}" ${t === chosen ? "selected" : ""}>${t}</option>`)}</select>
<button type="submit">${s.filter}</button></form>`;
}

/** The item itself: an article rendered through the sanitizer, a player for audio and video, a link for a PDF. */
export function itemBody(locale: Locale, item: LibraryItem): Html {
  const s = libraryStrings(locale);
  // renderArticle's output went through sanitize-html's allow-list (library-markdown.ts): no script, style, iframe or handler survives.
  if (item.kind === "article") return html`<article class="card library-article">${unsafeRaw(renderArticle(item.body ?? ""))}</article>`;
  const src = `/portal/library/${item.id}/file`;
  const kind = LIBRARY_TYPES[item.mime ?? ""];
  const fallback = html`<p><a href="${src}" download>${s.mediaFallback}</a></p>`;
  if (kind === "video") return html`<video controls preload="metadata" src="${src}" aria-label="${item.title}" class="library-media">${fallback}</video>`;
  if (kind === "audio") return html`<audio controls preload="metadata" src="${src}" aria-label="${item.title}">${fallback}</audio>`;
  return html`<p><a href="${src}" download>${s.downloadPdf}</a></p>`;
}

export function writeForm(locale: Locale): Html {
  const s = libraryStrings(locale);
  return html`<section class="card" aria-labelledby="library-write"><h2 id="library-write">${s.writeTitle}</h2><p>${s.writeIntro}</p>
<form method="post" action="/portal/library/articles">
<label for="article-title">${s.fieldTitle}</label><input id="article-title" name="title" type="text" maxlength="${TITLE_MAX}" required>
<label for="article-tags">${s.fieldTags}</label><input id="article-tags" name="tags" type="text">
<label for="article-body">${s.fieldBody}</label><textarea id="article-body" name="body" rows="12" maxlength="${BODY_MAX}" required></textarea>
<div class="actions"><button type="submit">${s.save}</button></div></form></section>`;
}

/** The upload script (web/entries/upload.ts) sends the file as the body and the title in a header. */
export function uploadForm(locale: Locale): Html {
  const s = libraryStrings(locale);
  return html`<section class="card" aria-labelledby="library-upload"><h2 id="library-upload">${s.uploadTitle}</h2><p>${fill(s.uploadIntro, { mb: MB })}</p>
<form id="library-upload-form" data-upload-action="/portal/library/files" data-upload-header-title="x-document-title" data-max-bytes="${LIBRARY_MAX_BYTES}" data-too-large-text="${fill(s.errTooLarge, { mb: MB })}" data-progress-text="${s.uploading}" data-done-text="${s.uploaded}" data-failed-text="${s.uploadFailed}">
<label for="library-file">${s.fieldFile}</label><input id="library-file" name="file" type="file" accept="application/pdf,audio/mpeg,audio/mp4,video/mp4" required>
<label for="library-file-title">${s.fieldTitle}</label><input id="library-file-title" name="title" type="text" maxlength="${TITLE_MAX}" required>
<progress id="document-progress" max="100" value="0" hidden aria-label="${s.upload}"></progress><p id="document-status" role="status" aria-live="polite"></p>
<div class="actions"><button type="submit">${s.upload}</button></div></form></section>`;
}

export function removeForm(locale: Locale, item: LibraryItem): Html {
  const s = libraryStrings(locale);
  return html`<section class="card" aria-labelledby="library-remove"><h2 id="library-remove">${s.removeTitle}</h2><p>${s.removeIntro}</p>
<form method="post" action="/portal/library/${item.id}/remove"><p><input id="library-remove-confirm" name="confirm" type="checkbox" value="yes" required> <label for="library-remove-confirm">${s.removeConfirm}</label></p>
<div class="actions"><button type="submit" class="danger">${s.removeTitle}</button></div></form></section>`;
}

export function tagsForm(locale: Locale, item: LibraryItem): Html {
  const s = libraryStrings(locale);
  return html`<section class="card" aria-labelledby="library-tags"><h2 id="library-tags">${s.tagsTitle}</h2>
<form method="post" action="/portal/library/${item.id}/tags"><label for="item-tags">${s.fieldTags}</label>
<input id="item-tags" name="tags" type="text" value="${item.tags.join(", ")}" aria-describedby="item-tags-help"><p id="item-tags-help" class="muted">${fill(s.errTags, { n: TAGS_MAX, m: TAG_MAX })}</p>
<div class="actions"><button type="submit">${s.saveTags}</button></div></form></section>`;
}

/** Whom it is recommended to now (each with a button to stop), and the form to recommend it further. */
export function assignForm(
  locale: Locale,
  item: LibraryItem,
  patients: { id: number; name: string }[],
  groups: { id: number; name: string }[],
  assignedTo: { field: "patientId" | "groupId"; id: number; name: string }[],
): Html {
  const s = libraryStrings(locale);
  return html`<section class="card" aria-labelledby="library-assign"><h2 id="library-assign">${s.assignTitle}</h2>
<h3>${s.assignedTo}</h3>${
    assignedTo.length
      ? html`<ul>${assignedTo.map(
          (a) => html`<li>${a.name} <form method="post" action="/portal/library/${item.id}/unassign" class="inline"><input type="hidden" name="${a.field}" value="${a.id}"><button type="submit" class="secondary" aria-label="${fill(s.stopRecommending, { name: a.name })}">${s.stop}</button></form></li>`,
        )}</ul>`
      : html`<p>${s.assignedToNone}</p>`
  }
<form method="post" action="/portal/library/${item.id}/assign">
<label for="assign-patient">${s.assignPatient}</label><select id="assign-patient" name="patientId"><option value="">${s.choose}</option>${patients.map((p) => html`<option value="${p.id}">${p.name}</option>`)}</select>
<label for="assign-group">${s.assignGroup}</label><select id="assign-group" name="groupId"><option value="">${s.choose}</option>${groups.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select>
<div class="actions"><button type="submit">${s.assign}</button></div></form></section>`;
}
