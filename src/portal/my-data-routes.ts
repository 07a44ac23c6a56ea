import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { defineStrings } from "../ui/i18n.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { extendNav } from "../identity/extensions.ts";
import { myDataZip } from "./my-data.ts";
import { erasureSection, erasureStrings } from "./erasure-routes.ts";

/** "My data": the page that explains the download, and the zip itself (the patient's own only). */
const PATIENTS: RoutePolicy = { allow: ["patient"] };

export const myDataStrings = defineStrings(
  {
    nav: "My data",
    title: "My data",
    intro: "Download everything the portal holds for you: your messages, worksheets, goals, consent forms and their signed copies, your documents, the library items recommended to you and, while the clinic records reading, which ones you opened, your clinical record as a FHIR R4 file other providers can import, and your journal as it is stored (encrypted).",
    journal: "Your journal is encrypted with a key only your passkey or recovery key opens. To keep a readable copy, use “Export my journal” on the Journal page: it is decrypted in this browser and never sent anywhere.",
    download: "Download my data (zip)",
  },
  {
    nav: "Mes données",
    title: "Mes données",
    intro: "Téléchargez tout ce que le portail conserve pour vous : vos messages, exercices, objectifs, formulaires de consentement et leurs copies signées, vos documents, les contenus de la bibliothèque qui vous sont recommandés et, lorsque la clinique enregistre la lecture, ceux que vous avez ouverts, votre dossier clinique au format FHIR R4 que d’autres soignants peuvent importer, et votre journal tel qu’il est conservé (chiffré).",
    journal: "Votre journal est chiffré avec une clé que seule votre clé d’accès ou votre clé de récupération ouvre. Pour en garder une copie lisible, utilisez « Exporter mon journal » sur la page Journal : il est déchiffré dans ce navigateur et n’est envoyé nulle part.",
    download: "Télécharger mes données (zip)",
  },
  {
    nav: "Mis datos",
    title: "Mis datos",
    intro: "Descargue todo lo que el portal guarda sobre usted: sus mensajes, ejercicios, objetivos, formularios de consentimiento y sus copias firmadas, sus documentos, los contenidos de la biblioteca que se le recomiendan y, mientras la clínica registra la lectura, los que usted abrió, su historia clínica en formato FHIR R4 que otros profesionales pueden importar y su diario tal como se guarda (cifrado).",
    journal: "Su diario está cifrado con una clave que solo abre su llave de acceso o su clave de recuperación. Para guardar una copia legible, use «Exportar mi diario» en la página Diario: se descifra en este navegador y no se envía a ningún sitio.",
    download: "Descargar mis datos (zip)",
  },
);

export function myDataRoutes(hearth: Hearth) {
  extendNav(hearth, "portal-my-data", (locale, role) => (role === "patient" ? [{ href: "/portal/my-data", label: myDataStrings(locale).nav }] : []));
  return new Elysia({ name: "portal-my-data" })
    .get(
      "/portal/my-data",
      ({ request, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = myDataStrings(ctx.locale);
        const main = html`<h1>${s.title}</h1><p>${s.intro}</p><p>${s.journal}</p>
<p><a class="button" href="/portal/my-data.zip" download>${s.download}</a></p>
${erasureSection(hearth, ctx.locale, viewer.id)}`;
        const status = query.asked ? html`<p class="notice notice-ok">${erasureStrings(ctx.locale).asked}</p>` : undefined;
        return htmlResponse(layout(ctx, s.title, main, { status, styles: ["portal.css"] }), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ asked: t.Optional(t.String()) }), detail: policy(PATIENTS) },
    )
    .get(
      "/portal/my-data.zip",
      ({ request }) => {
        const viewer = requireViewer(request);
        return new Response(myDataZip(hearth, viewer.id, pageFor(request).locale), {
          headers: {
            "content-type": "application/zip",
            "content-disposition": 'attachment; filename="my-hearth-data.zip"',
            "x-content-type-options": "nosniff",
            "cache-control": "private, no-store",
          },
        });
      },
      { detail: policy(PATIENTS) },
    );
}
