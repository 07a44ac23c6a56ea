import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { fill, formatDateTime, plural, type Locale } from "../ui/i18n.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { activePasskeys, relyingParty } from "../identity/passkeys.ts";
import { auditNameShown, displayName, getPerson } from "../identity/people.ts";
import { extendNav } from "../identity/extensions.ts";
import { portalStrings } from "./strings.ts";
import { journalKeyOf, sharersWith } from "./journals.ts";

/**
 * The journal's pages. The server renders the frame (what protects the journal, the lock, the
 * forms); everything inside an entry is decrypted and drawn by web/entries/journal.ts with the
 * key the person's passkey unlocks on this page, so no entry text ever passes through here.
 */
const PATIENTS: RoutePolicy = { allow: ["patient"] };
const CLINICIANS: RoutePolicy = { allow: ["clinician"] };
const CARERS: RoutePolicy = { allow: ["clinician"], item: { kind: "person", param: "patientId", relations: ["carer"] } };

const PAGE = { scripts: ["journal.js"], styles: ["portal.css"] };

function protectionNotice(hearth: Hearth, locale: Locale, personId: number): Html {
  const s = portalStrings(locale);
  const key = journalKeyOf(hearth, personId);
  const text = key?.protection === "clinic" ? s.protectedClinic : key ? s.protectedPasskey : s.protectedNone;
  return html`<p class="notice notice-info" data-journal-protection>${text}</p>`;
}

/** The lock, the one-time recovery key and the recovery form: the same on the patient's and the clinician's pages. */
function lockSections(hearth: Hearth, locale: Locale, personId: number): Html {
  const s = portalStrings(locale);
  const credentials = JSON.stringify(activePasskeys(hearth, personId).map((k) => k.credentialId));
  return html`<section class="card" id="journal-lock" aria-labelledby="journal-lock-title" data-rp-id="${relyingParty(hearth).id}" data-credentials="${credentials}">
<h2 id="journal-lock-title">${s.lockedTitle}</h2>
<p>${s.lockedBody}</p>
<p><button type="button" data-journal-unlock>${s.unlock}</button></p>
</section>
<p data-journal-status role="status" aria-live="polite" tabindex="-1"></p>
<section class="card" id="journal-recovery-key" aria-labelledby="journal-recovery-key-title" hidden>
<h2 id="journal-recovery-key-title">${s.recoveryTitle}</h2>
<p>${s.recoveryIntro}</p>
<p><strong>${s.unrecoverable}</strong></p>
<pre class="recovery-key" data-recovery-key></pre>
<figure class="qr"><div data-recovery-qr></div><figcaption>${s.recoveryQr}</figcaption></figure>
<div class="actions no-print"><button type="button" class="secondary" data-recovery-print>${s.recoveryPrint}</button><button type="button" data-recovery-done>${s.recoveryDone}</button></div>
</section>
<section class="card" id="journal-recover" aria-labelledby="journal-recover-title" hidden>
<h2 id="journal-recover-title">${s.recoverTitle}</h2>
<p>${s.recoverIntro}</p>
<form data-journal-recover novalidate>
<label for="recovery-key-input">${s.recoverLabel}</label>
<textarea id="recovery-key-input" name="recoveryKey" rows="2" autocomplete="off" spellcheck="false" required></textarea>
<p><button type="submit">${s.recoverButton}</button></p>
</form>
</section>`;
}

function composeForm(locale: Locale): Html {
  const s = portalStrings(locale);
  const moods = [s.mood1, s.mood2, s.mood3, s.mood4, s.mood5];
  return html`<section class="card" id="journal-compose" aria-labelledby="journal-compose-title" hidden>
<h2 id="journal-compose-title" data-title-new="${s.newEntryTitle}" data-title-edit="${s.editEntryTitle}">${s.newEntryTitle}</h2>
<form data-journal-compose novalidate>
<div class="field-row">
<div><label for="entry-date">${s.fieldDate}</label><input id="entry-date" name="date" type="date" required></div>
<div><label for="entry-mood">${s.fieldMood}</label><select id="entry-mood" name="mood"><option value="">${s.moodNone}</option>${moods.map((m, i) => html`<option value="${i + 1}">${m}</option>`)}</select></div>
</div>
<label for="entry-tags">${s.fieldTags}</label>
<input id="entry-tags" name="tags" type="text" maxlength="300" autocomplete="off">
<label for="entry-text">${s.fieldText}</label>
<textarea id="entry-text" name="text" rows="8" maxlength="100000" required aria-describedby="entry-text-error"></textarea>
<p id="entry-text-error" class="field-error" hidden>${s.textRequired}</p>
<div class="actions"><button type="submit" data-label-new="${s.save}" data-label-edit="${s.saveEdit}">${s.save}</button><button type="button" class="secondary" data-journal-cancel hidden>${s.cancelEdit}</button></div>
</form>
</section>`;
}

export function journalPageRoutes(hearth: Hearth) {
  // The portal's navigation items: patients reach their journal, clinicians what was shared with them.
  extendNav(hearth, "portal-journal", (locale, role) => {
    const s = portalStrings(locale);
    if (role === "patient") return [{ href: "/portal/journal", label: s.navJournal }];
    if (role === "clinician") return [{ href: "/portal/shared-journals", label: s.navSharedJournals }];
    return [];
  });

  const respond = (ctx: ReturnType<typeof pageFor>, title: string, main: Html) =>
    htmlResponse(layout(ctx, title, main, PAGE), 200, { "cache-control": "no-store" });

  return new Elysia({ name: "portal-journal-pages" })
    .get(
      "/portal/journal",
      ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = portalStrings(ctx.locale);
        const main = html`<div class="journal" data-journal="own" data-locale="${ctx.locale}">
<h1>${s.journalTitle}</h1>
<p>${s.journalIntro}</p>
${protectionNotice(hearth, ctx.locale, viewer.id)}
${lockSections(hearth, ctx.locale, viewer.id)}
${composeForm(ctx.locale)}
<section id="journal-entries" aria-labelledby="journal-entries-title" hidden>
<h2 id="journal-entries-title">${s.entriesTitle}</h2>
<p><button type="button" class="secondary" data-journal-export>${s.exportJournal}</button></p>
<div data-journal-list></div>
</section>
</div>`;
        return respond(ctx, s.journalTitle, main);
      },
      { detail: policy(PATIENTS) },
    )
    .get(
      "/portal/shared-journals",
      async ({ request }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = portalStrings(ctx.locale);
        const sharers = [];
        for (const r of sharersWith(hearth, viewer.id)) {
          const person = getPerson(hearth, r.ownerId);
          // Only patients they still care for: the policy of the entries' route refuses the rest.
          if (!person) continue;
          const name = (await displayName(hearth, r.ownerId)) ?? "";
          auditNameShown(hearth, viewer.id, person);
          sharers.push({ ...r, name });
        }
        const list = sharers.length
          ? html`<ul class="shared-journals">${sharers.map(
              (r) => html`<li><a href="/portal/shared-journals/${r.ownerId}">${r.name}</a> · ${plural(ctx.locale, s, "sharedCount", r.entries)} · ${formatDateTime(ctx.locale, r.lastSharedAt)}</li>`,
            )}</ul>`
          : html`<p>${s.noSharedJournals}</p>`;
        const main = html`<div class="journal" data-journal="key" data-locale="${ctx.locale}">
<h1>${s.sharedJournalsTitle}</h1>
<p>${s.sharedJournalsIntro}</p>
${journalKeyOf(hearth, viewer.id) ? protectionNotice(hearth, ctx.locale, viewer.id) : html`<p class="notice notice-info" data-journal-protection>${s.clinicianKeyNeeded}</p>`}
${lockSections(hearth, ctx.locale, viewer.id)}
<section aria-labelledby="sharers-title"><h2 id="sharers-title" class="visually-hidden">${s.sharedJournalsTitle}</h2>${list}</section>
</div>`;
        return respond(ctx, s.sharedJournalsTitle, main);
      },
      { detail: policy(CLINICIANS) },
    )
    .get(
      "/portal/shared-journals/:patientId",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = portalStrings(ctx.locale);
        const person = getPerson(hearth, params.patientId)!;
        const name = (await displayName(hearth, params.patientId)) ?? "";
        auditNameShown(hearth, viewer.id, person);
        const title = fill(s.sharedJournalOf, { name });
        const main = html`<div class="journal" data-journal="shared" data-patient="${params.patientId}" data-locale="${ctx.locale}">
<p><a href="/portal/shared-journals">${s.back}</a></p>
<h1>${title}</h1>
${lockSections(hearth, ctx.locale, viewer.id)}
<section id="journal-entries" aria-labelledby="journal-entries-title" hidden>
<h2 id="journal-entries-title">${s.entriesTitle}</h2>
<div data-journal-list></div>
</section>
</div>`;
        return respond(ctx, title, main);
      },
      { params: t.Object({ patientId: t.Numeric({ minimum: 1 }) }), detail: policy(CARERS) },
    );
}
