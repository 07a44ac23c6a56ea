import { defineStrings } from "../ui/i18n.ts";

/** The words of a group's required consent forms: the clinician's setting and the member's gate. */
export const groupConsentStrings = defineStrings(
  {
    sectionTitle: "Consent forms required to join",
    sectionIntro: "Members sign each form you tick, in its latest version, before they can join a session of this group.",
    noForms: "The clinic has no consent form yet. The administrator writes them.",
    legend: "Required forms",
    save: "Save required forms",
    saved: "Required consent forms saved.",
    gateTitle: "Before you join: consent forms",
    gateIntro: "Your group asks everyone to sign these forms before joining a session. Open each one and sign it with your passkey, then come back to this page.",
    gateRetry: "I have signed them: join the session",
    signFirst: "Your group asks you to sign its consent forms before joining. Open the session's page to see which.",
  },
  {
    sectionTitle: "Formulaires de consentement requis pour participer",
    sectionIntro: "Les membres signent chaque formulaire coché, dans sa dernière version, avant de pouvoir rejoindre une séance de ce groupe.",
    noForms: "La clinique n’a encore aucun formulaire de consentement. L’administrateur les rédige.",
    legend: "Formulaires requis",
    save: "Enregistrer les formulaires requis",
    saved: "Formulaires de consentement requis enregistrés.",
    gateTitle: "Avant de participer : formulaires de consentement",
    gateIntro: "Votre groupe demande à chacun de signer ces formulaires avant de rejoindre une séance. Ouvrez chacun d’eux et signez-le avec votre clé d’accès, puis revenez sur cette page.",
    gateRetry: "Je les ai signés : rejoindre la séance",
    signFirst: "Votre groupe vous demande de signer ses formulaires de consentement avant de participer. Ouvrez la page de la séance pour voir lesquels.",
  },
  {
    sectionTitle: "Formularios de consentimiento requeridos para participar",
    sectionIntro: "Los miembros firman cada formulario marcado, en su última versión, antes de poder unirse a una sesión de este grupo.",
    noForms: "La clínica aún no tiene formularios de consentimiento. El administrador los redacta.",
    legend: "Formularios requeridos",
    save: "Guardar los formularios requeridos",
    saved: "Formularios de consentimiento requeridos guardados.",
    gateTitle: "Antes de unirse: formularios de consentimiento",
    gateIntro: "Su grupo pide a todos que firmen estos formularios antes de unirse a una sesión. Abra cada uno y fírmelo con su llave de acceso; luego vuelva a esta página.",
    gateRetry: "Ya los firmé: unirme a la sesión",
    signFirst: "Su grupo le pide que firme sus formularios de consentimiento antes de unirse. Abra la página de la sesión para ver cuáles.",
  },
);
