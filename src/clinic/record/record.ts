import { Elysia } from "elysia";
import type { Hearth } from "../../context.ts";
import { html } from "../../ui/html.ts";
import { extendHome, extendNav } from "../../identity/extensions.ts";
import { defineNotice } from "../../notify/notices.ts";
import { recordStrings } from "./strings.ts";
import { SAFETY_NOTICE, dueFor } from "./measures.ts";
import { instrument } from "./instruments.ts";
import { fill } from "../../ui/i18n.ts";
import { measureRoutes } from "./measure-routes.ts";
import { alertsFragment, dashboardRoutes } from "./dashboard-routes.ts";
import { noteRoutes } from "./note-routes.ts";
import { exportRoutes } from "./export-routes.ts";
import { billingRoutes } from "./billing-routes.ts";
import { templateRoutes } from "./templates.ts";


/**
 * The clinical record: measures (PHQ-9, GAD-7) with charts and progress insights, session notes
 * signed with a passkey, and the FHIR export. It plugs into identity's navigation (members'
 * "Questionnaires" and "My notes") and home page (a clinician's safety alerts, refreshed by
 * itself), and tells notify the words of its one notice, which say nothing clinical.
 */
defineNotice(SAFETY_NOTICE, (locale) => {
  const s = recordStrings(locale);
  return { title: s.alertTitle, email: s.alertEmail };
});

export function recordRoutes(hearth: Hearth) {
  extendNav(hearth, "record", (locale, role) => {
    const s = recordStrings(locale);
    return role === "patient" ? [{ href: "/record/measures", label: s.navMeasures }, { href: "/record/notes", label: s.navNotes }] : [];
  });
  extendHome(hearth, "record", (_request, viewer, locale) => {
    if (viewer.role === "clinician") return html`${alertsFragment(hearth, viewer.id, locale)}`;
    if (viewer.role !== "patient") return null;
    // Ids only: what is waiting, with no answer opened.
    const due = dueFor(hearth, viewer.id);
    if (!due.length) return null;
    const s = recordStrings(locale);
    return html`<section class="card" aria-labelledby="due-home-title"><h2 id="due-home-title">${s.dueTitle}</h2>
<ul class="plain">${due.map((a) => html`<li><a class="button" href="/record/measures/${a.id}">${fill(s.fillButton, { measure: instrument(a.instrument).short })}</a></li>`)}</ul></section>`;
  });
  return new Elysia({ name: "record" }).use(measureRoutes(hearth)).use(dashboardRoutes(hearth)).use(noteRoutes(hearth)).use(exportRoutes(hearth)).use(billingRoutes(hearth)).use(templateRoutes(hearth));
}
