import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, type Html } from "../../ui/html.ts";
import { pageFor } from "../../ui/request.ts";
import type { Locale } from "../../ui/i18n.ts";
import { policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { groupIdsOf, partIn } from "../groups.ts";
import { exportGroup, exportPatient } from "./export.ts";
import type { FhirResource } from "./fhir.ts";
import { recordStrings } from "./strings.ts";
import { refuse } from "./views.ts";

/**
 * The FHIR R4 export: a patient's own record, one member's record in a group, or a whole group,
 * as a Bundle (collection) downloaded as application/fhir+json. Each asks for a fresh passkey
 * check (the page's data-fresh form does it in place) and is audited. The file's name carries
 * a date only: no name, no group, nothing clinical.
 */
const FRESH_GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" }, fresh: true };

function download(hearth: Hearth, b: FhirResource): Response {
  const day = new Date(hearth.now()).toISOString().slice(0, 10);
  return new Response(JSON.stringify(b), {
    headers: {
      "content-type": "application/fhir+json; charset=utf-8",
      "content-disposition": `attachment; filename="hearth-fhir-${day}.json"`,
      "cache-control": "no-store",
    },
  });
}

/** The export button: a plain form that the passkey script confirms first (data-fresh). */
export function exportForm(locale: Locale, action: string): Html {
  const s = recordStrings(locale);
  return html`<section class="card" aria-labelledby="export-title"><h2 id="export-title">${s.exportTitle}</h2><p>${s.exportIntro}</p>
<form method="post" action="${action}" data-fresh><div data-passkey-status role="status" tabindex="-1" hidden></div>
<div class="actions"><button type="submit" class="secondary">${s.exportButton}</button></div></form></section>`;
}

export function exportRoutes(hearth: Hearth) {
  return new Elysia({ name: "record-export" })
    .post(
      "/record/export",
      async ({ request }) => {
        const viewer = requireViewer(request);
        return download(hearth, await exportPatient(hearth, viewer.id, viewer.id, groupIdsOf(hearth.db, viewer.id, ["member"])));
      },
      { detail: policy({ allow: ["patient"], fresh: true }) },
    )
    .post(
      "/groups/:id/record/members/:personId/export",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        if (partIn(hearth.db, params.id, params.personId) !== "member") throw refuse(locale, 404, recordStrings(locale).notFound);
        return download(hearth, await exportPatient(hearth, viewer.id, params.personId, [params.id]));
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), personId: t.Numeric({ minimum: 1 }) }), detail: policy(FRESH_GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/record/export",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        return download(hearth, await exportGroup(hearth, viewer.id, params.id));
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), detail: policy(FRESH_GROUP_CLINICIANS) },
    );
}
