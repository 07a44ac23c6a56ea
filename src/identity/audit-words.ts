import { defineStrings, fill, type Locale } from "../ui/i18n.ts";

/**
 * "Who has seen my data" lists audit rows about the person. Every capability names its own
 * actions ("journal.listed", "message.thread_read", ...); rather than a label per action, which
 * each new capability would have to remember to add here, a row reads as what it touched (the
 * action's first word) and what was done to it (the kind of verb at its end).
 */
const words = defineStrings(
  {
    row: "{what}: {done}",
    attendance: "Attendance",
    billing: "Invoices and payments",
    calendar_feed: "Calendar feed",
    chat: "Room chat",
    consent: "Consent forms",
    document: "Documents",
    erasure: "Erasure request",
    goal: "Goals",
    group: "Group",
    group_session: "Group session",
    intake: "Intake form",
    journal: "Journal",
    library: "Content library",
    material: "Session materials",
    measure: "Questionnaires (PHQ-9, GAD-7)",
    message: "Messages",
    mydata: "My data download",
    clinical_note: "Session notes",
    record: "Clinical record",
    recording: "Session recording",
    room: "Session room",
    safety: "Safety alert",
    session_guest: "Session guest",
    vitals: "Vital signs",
    whereabouts: "Where you were joining from",
    whiteboard: "Whiteboard",
    worksheet: "Worksheets",
    viewed: "viewed",
    downloaded: "downloaded",
    added: "added",
    signed: "signed",
    shared: "shared",
    ended: "withdrawn or closed",
    changed: "changed",
  },
  {
    row: "{what} : {done}",
    attendance: "Présences",
    billing: "Factures et paiements",
    calendar_feed: "Flux d'agenda",
    chat: "Discussion de la séance",
    consent: "Formulaires de consentement",
    document: "Documents",
    erasure: "Demande d'effacement",
    goal: "Objectifs",
    group: "Groupe",
    group_session: "Séance de groupe",
    intake: "Formulaire d'accueil",
    journal: "Journal",
    library: "Bibliothèque de contenus",
    material: "Documents de séance",
    measure: "Questionnaires (PHQ-9, GAD-7)",
    message: "Messages",
    mydata: "Téléchargement de mes données",
    clinical_note: "Notes de séance",
    record: "Dossier clinique",
    recording: "Enregistrement de séance",
    room: "Salle de séance",
    safety: "Alerte de sécurité",
    session_guest: "Invité de séance",
    vitals: "Signes vitaux",
    whereabouts: "Lieu d'où vous vous connectiez",
    whiteboard: "Tableau blanc",
    worksheet: "Fiches d'exercices",
    viewed: "consulté",
    downloaded: "téléchargé",
    added: "ajouté",
    signed: "signé",
    shared: "partagé",
    ended: "retiré ou fermé",
    changed: "modifié",
  },
  {
    row: "{what}: {done}",
    attendance: "Asistencia",
    billing: "Facturas y pagos",
    calendar_feed: "Calendario suscrito",
    chat: "Chat de la sesión",
    consent: "Formularios de consentimiento",
    document: "Documentos",
    erasure: "Solicitud de borrado",
    goal: "Metas",
    group: "Grupo",
    group_session: "Sesión de grupo",
    intake: "Formulario de admisión",
    journal: "Diario",
    library: "Biblioteca de contenidos",
    material: "Materiales de la sesión",
    measure: "Cuestionarios (PHQ-9, GAD-7)",
    message: "Mensajes",
    mydata: "Descarga de mis datos",
    clinical_note: "Notas de sesión",
    record: "Expediente clínico",
    recording: "Grabación de la sesión",
    room: "Sala de la sesión",
    safety: "Alerta de seguridad",
    session_guest: "Invitado de la sesión",
    vitals: "Signos vitales",
    whereabouts: "Lugar desde donde se conectaba",
    whiteboard: "Pizarra",
    worksheet: "Hojas de trabajo",
    viewed: "consultado",
    downloaded: "descargado",
    added: "añadido",
    signed: "firmado",
    shared: "compartido",
    ended: "retirado o cerrado",
    changed: "modificado",
  },
);

type Done = "viewed" | "downloaded" | "added" | "signed" | "shared" | "ended" | "changed";
const DONE: [RegExp, Done][] = [
  [/(read|listed|shown|opened)$/, "viewed"],
  [/(downloaded|exported)$/, "downloaded"],
  // Whole words: "assigned" (a worksheet, a questionnaire, a device) is not a signature.
  [/(^|_)(signed|consented)$/, "signed"],
  [/(withdrawn|revoked|removed|closed|refused|declined|ended|archived|unshared|done)$/, "ended"],
  [/shared$/, "shared"],
  [/(created|added|started|given|submitted|sent|uploaded|answered|saved|requested|checked_in|written|invited|raised|commented|assigned|wrapped|placed)$/, "added"],
];

/** The row's action in the reader's words; an action of no known capability stays as it is. */
export function describeAction(locale: Locale, action: string): string {
  const s = words(locale) as Record<string, string>;
  const dot = action.indexOf(".");
  const what = dot > 0 ? s[action.slice(0, dot)] : undefined;
  if (!what || ["row", "viewed", "downloaded", "added", "signed", "shared", "ended", "changed"].includes(action.slice(0, dot))) return action;
  const done = DONE.find(([re]) => re.test(action.slice(dot + 1)))?.[1] ?? "changed";
  return fill(s.row!, { what, done: s[done]! });
}
