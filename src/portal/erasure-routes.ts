import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { html, htmlResponse, type Html } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { HttpError } from "../ui/errors.ts";
import { defineStrings, fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { requireViewer } from "../identity/guard.ts";
import { extendNav } from "../identity/extensions.ts";
import { decide, openRequests, requestById, requestErasure, requestsOf } from "./erasure.ts";

/** Erasure: the patient's request (on "My data") and the admin's queue, patients by number only. */
const PATIENTS: RoutePolicy = { allow: ["patient"] };
const ADMINS: RoutePolicy = { allow: ["admin"] };
const REASON_MAX = 1000;

export const erasureStrings = defineStrings(
  {
    title: "Erase my data",
    intro: "You can ask the clinic to erase what you made in the portal: your journal, goals, worksheet answers and the documents you uploaded. Clinics must keep some records by law, so an administrator decides and you will see the answer here. Messages and signed consent forms are part of your clinical record and are kept.",
    ask: "Ask to erase my data",
    asked: "Your request was sent to the clinic.",
    waiting: "Asked on {when}: waiting for the clinic's answer.",
    erased: "Asked on {when}: erased on {decided}.",
    kept: "Asked on {when}: kept on {decided}, because: {reason}",
    queueTitle: "Erasure requests",
    queueIntro: "Patients who asked to erase their portal data. Decide with the clinic's retention duties in mind; the patient sees the outcome and your reason.",
    none: "No request is waiting.",
    patientN: "Patient #{n}, asked on {when}",
    outcome: "Decision",
    outcomeErase: "Erase their portal data",
    outcomeKeep: "Keep it (give the reason)",
    reason: "Reason, shown to the patient",
    decide: "Record the decision",
    decided: "Decision recorded.",
    checkTitle: "Please check this",
    reasonRequired: "Please give the reason the data is kept (the Reason field, at most {n} characters).",
    gone: "That request was not found or was already decided.",
  },
  {
    title: "Effacer mes données",
    intro: "Vous pouvez demander à la clinique d’effacer ce que vous avez créé dans le portail : votre journal, vos objectifs, vos réponses aux exercices et les documents que vous avez envoyés. Les cliniques doivent garder certains dossiers selon la loi : un administrateur décide et vous verrez la réponse ici. Les messages et les consentements signés font partie de votre dossier clinique et sont conservés.",
    ask: "Demander l’effacement de mes données",
    asked: "Votre demande a été envoyée à la clinique.",
    waiting: "Demandé le {when} : en attente de la réponse de la clinique.",
    erased: "Demandé le {when} : effacé le {decided}.",
    kept: "Demandé le {when} : conservé le {decided}, parce que : {reason}",
    queueTitle: "Demandes d’effacement",
    queueIntro: "Les patients qui ont demandé l’effacement de leurs données du portail. Décidez en tenant compte des obligations de conservation de la clinique ; le patient voit la décision et votre raison.",
    none: "Aucune demande en attente.",
    patientN: "Patient n° {n}, demande du {when}",
    outcome: "Décision",
    outcomeErase: "Effacer ses données du portail",
    outcomeKeep: "Les conserver (donnez la raison)",
    reason: "Raison, montrée au patient",
    decide: "Enregistrer la décision",
    decided: "Décision enregistrée.",
    checkTitle: "Veuillez vérifier",
    reasonRequired: "Veuillez donner la raison de la conservation (le champ Raison, {n} caractères au plus).",
    gone: "Cette demande est introuvable ou a déjà été traitée.",
  },
  {
    title: "Borrar mis datos",
    intro: "Puede pedir a la clínica que borre lo que creó en el portal: su diario, sus metas, sus respuestas a los ejercicios y los documentos que subió. Las clínicas deben conservar ciertos registros por ley, así que un administrador decide y usted verá la respuesta aquí. Los mensajes y los consentimientos firmados forman parte de su historia clínica y se conservan.",
    ask: "Pedir que se borren mis datos",
    asked: "Su solicitud se envió a la clínica.",
    waiting: "Pedido el {when}: esperando la respuesta de la clínica.",
    erased: "Pedido el {when}: borrado el {decided}.",
    kept: "Pedido el {when}: conservado el {decided}, porque: {reason}",
    queueTitle: "Solicitudes de borrado",
    queueIntro: "Pacientes que pidieron borrar sus datos del portal. Decida teniendo en cuenta las obligaciones de conservación de la clínica; el paciente ve la decisión y su motivo.",
    none: "No hay solicitudes pendientes.",
    patientN: "Paciente n.º {n}, pedido el {when}",
    outcome: "Decisión",
    outcomeErase: "Borrar sus datos del portal",
    outcomeKeep: "Conservarlos (indique el motivo)",
    reason: "Motivo, que verá el paciente",
    decide: "Registrar la decisión",
    decided: "Decisión registrada.",
    checkTitle: "Revise esto",
    reasonRequired: "Indique el motivo de la conservación (el campo Motivo, {n} caracteres como máximo).",
    gone: "No se encontró esa solicitud o ya se decidió.",
  },
);

/** The patient's part of "My data": the requests so far and the button. */
export function erasureSection(hearth: Hearth, locale: Locale, patientId: number): Html {
  const s = erasureStrings(locale);
  const when = (ms: number) => formatDateTime(locale, ms);
  const rows = requestsOf(hearth, patientId).map((r) => {
    const text = r.outcome === "erased" ? fill(s.erased, { when: when(r.requestedAt), decided: when(r.decidedAt!) }) : r.outcome === "kept" ? fill(s.kept, { when: when(r.requestedAt), decided: when(r.decidedAt!), reason: r.reason ?? "" }) : fill(s.waiting, { when: when(r.requestedAt) });
    return html`<li data-erasure="${r.outcome ?? "waiting"}">${text}</li>`;
  });
  return html`<section class="card" aria-labelledby="erasure-title"><h2 id="erasure-title">${s.title}</h2><p>${s.intro}</p>
${rows.length ? html`<ul>${rows}</ul>` : ""}
<form method="post" action="/portal/my-data/erasure"><button type="submit" class="secondary">${s.ask}</button></form></section>`;
}

export function erasureRoutes(hearth: Hearth) {
  extendNav(hearth, "portal-erasure", (locale, role) => (role === "admin" ? [{ href: "/admin/erasure-requests", label: erasureStrings(locale).queueTitle }] : []));
  return new Elysia({ name: "portal-erasure" })
    .post(
      "/portal/my-data/erasure",
      ({ request }) => {
        requestErasure(hearth, requireViewer(request).id);
        return new Response(null, { status: 303, headers: { location: "/portal/my-data?asked=1" } });
      },
      { detail: policy(PATIENTS) },
    )
    .get(
      "/admin/erasure-requests",
      ({ request, query }) => {
        const ctx = pageFor(request);
        const s = erasureStrings(ctx.locale);
        const open = openRequests(hearth);
        const items = open.map(
          (r) => html`<li class="card"><h2>${fill(s.patientN, { n: r.patientId, when: formatDateTime(ctx.locale, r.requestedAt) })}</h2>
<form method="post" action="/admin/erasure-requests/${r.id}">
<fieldset><legend>${s.outcome}</legend>
<div class="check"><input type="radio" id="erase-${r.id}" name="outcome" value="erased" required><label for="erase-${r.id}">${s.outcomeErase}</label></div>
<div class="check"><input type="radio" id="keep-${r.id}" name="outcome" value="kept"><label for="keep-${r.id}">${s.outcomeKeep}</label></div></fieldset>
<label for="reason-${r.id}">${s.reason}</label><textarea id="reason-${r.id}" name="reason" rows="2" maxlength="${REASON_MAX}"></textarea>
<p><button type="submit">${s.decide}</button></p></form></li>`,
        );
        const status = query.done ? html`<p class="notice notice-ok">${s.decided}</p>` : undefined;
        const main = html`<h1>${s.queueTitle}</h1><p>${s.queueIntro}</p>${items.length ? html`<ul class="plain">${items}</ul>` : html`<p>${s.none}</p>`}`;
        return htmlResponse(layout(ctx, s.queueTitle, main, { status, styles: ["portal.css"] }), 200, { "cache-control": "no-store" });
      },
      { query: t.Object({ done: t.Optional(t.String()) }), detail: policy(ADMINS) },
    )
    .post(
      "/admin/erasure-requests/:id",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = erasureStrings(locale);
        const r = requestById(hearth, params.id);
        if (!r || r.decidedAt !== null) throw new HttpError(404, s.checkTitle, s.gone);
        const outcome = body.outcome === "erased" ? "erased" : "kept";
        const reason = (body.reason ?? "").replace(/[\p{Cc}\s]+/gu, " ").trim();
        if (outcome === "kept" && (!reason || reason.length > REASON_MAX)) throw new HttpError(400, s.checkTitle, fill(s.reasonRequired, { n: REASON_MAX }));
        decide(hearth, viewer.id, r, outcome, reason.slice(0, REASON_MAX));
        return new Response(null, { status: 303, headers: { location: "/admin/erasure-requests?done=1" } });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }) }), body: t.Object({ outcome: t.String({ maxLength: 10 }), reason: t.Optional(t.String({ maxLength: 5000 })), _csrf: t.Optional(t.String()) }), detail: policy(ADMINS) },
    );
}
