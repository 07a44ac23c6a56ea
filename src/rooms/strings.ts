import { defineStrings } from "../ui/i18n.ts";
import type { ErrorCode } from "./protocol.ts";

/** What a room tells a person when it refuses something; the page shows these as they are. */
export const roomStrings = defineStrings(
  {
    "unknown-type": "The room did not understand a message from this page. Reload the page if the call misbehaves.",
    malformed: "The room received a message it could not read. Reload the page if the call misbehaves.",
    "not-admitted": "You are in the waiting room. The clinician will let you in.",
    "not-clinician": "Only the clinician running the session can do that.",
    "no-such-member": "That person is no longer in the session.",
    "stale-answer": "The call setup moved on; your browser will catch up by itself.",
    "bad-answer": "Your browser could not set up the call. The room is trying again.",
    "bad-candidate": "A network address from your browser could not be used.",
    "screens-not-allowed": "The clinician has not allowed members to share their screen.",
    "audio-only": "You chose audio only, so video is off. Turn audio only off to use your camera or share your screen.",
    "at-capacity":
      "The clinic's video system is busy right now, so you are on sound only. Nothing is wrong with your connection: everyone can hear you, and you can hear everyone. You can try video again in a few minutes.",
    "too-many-messages": "This page sent too many messages at once and was disconnected. Reload the page to come back.",
    locked: "The clinician has locked this session; nobody new can join now.",
    removed: "The clinician has removed you from this session.",
    ended: "This session has ended.",
    replaced: "You joined this session from another window or device, so this one was disconnected.",
    refusedTitle: "You cannot join this session",
    notSignedIn: "Please sign in to join the session.",
    notInGroup: "You are not a member of this group, so you cannot join its session.",
    noSuchSession: "There is no such session.",
    otherOrigin: "This page may not connect to the session.",
  } satisfies Record<ErrorCode | "refusedTitle" | "notSignedIn" | "notInGroup" | "noSuchSession" | "otherOrigin", string>,
  {
    "unknown-type": "La salle n'a pas compris un message de cette page. Rechargez la page si l'appel fonctionne mal.",
    malformed: "La salle a reçu un message illisible. Rechargez la page si l'appel fonctionne mal.",
    "not-admitted": "Vous êtes dans la salle d'attente. Le ou la clinicienne va vous faire entrer.",
    "not-clinician": "Seul le ou la clinicienne qui anime la séance peut faire cela.",
    "no-such-member": "Cette personne n'est plus dans la séance.",
    "stale-answer": "La mise en place de l'appel a avancé ; votre navigateur va suivre de lui-même.",
    "bad-answer": "Votre navigateur n'a pas pu établir l'appel. La salle réessaie.",
    "bad-candidate": "Une adresse réseau de votre navigateur n'a pas pu être utilisée.",
    "screens-not-allowed": "Le ou la clinicienne n'a pas autorisé le partage d'écran des membres.",
    "audio-only": "Vous avez choisi l'audio seul : la vidéo est coupée. Désactivez l'audio seul pour utiliser votre caméra ou partager votre écran.",
    "at-capacity":
      "Le système vidéo de la clinique est très sollicité en ce moment : vous êtes en audio seul. Votre connexion n'y est pour rien : tout le monde vous entend, et vous entendez tout le monde. Vous pourrez réessayer la vidéo dans quelques minutes.",
    "too-many-messages": "Cette page a envoyé trop de messages à la fois et a été déconnectée. Rechargez la page pour revenir.",
    locked: "Le ou la clinicienne a verrouillé la séance : personne d'autre ne peut entrer pour l'instant.",
    removed: "Le ou la clinicienne vous a retiré de la séance.",
    ended: "La séance est terminée.",
    replaced: "Vous avez rejoint la séance depuis une autre fenêtre ou un autre appareil ; celle-ci a été déconnectée.",
    refusedTitle: "Vous ne pouvez pas rejoindre cette séance",
    notSignedIn: "Connectez-vous pour rejoindre la séance.",
    notInGroup: "Vous ne faites pas partie de ce groupe : vous ne pouvez pas rejoindre sa séance.",
    noSuchSession: "Cette séance n'existe pas.",
    otherOrigin: "Cette page n'a pas le droit de se connecter à la séance.",
  },
);
