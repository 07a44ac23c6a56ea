import { defineStrings } from "../ui/i18n.ts";

export const identityStrings = defineStrings(
  {
    setupTitle: "Set up Hearth",
    setupIntro: "You are creating the first administrator of this Hearth appliance. The administrator runs the box and invites the clinicians; they do not see clinical content.",
    setupLinkUsed: "This setup link has already been used.",
    setupLinkExpired: "This setup link has expired.",
    setupLinkUnknown: "This setup link is not valid.",
    setupClosed: "Hearth is already set up. Ask your administrator for an invitation.",
    setupNewLink: "To get a new link, run this on the appliance: {cmd}",
  },
  {
    setupTitle: "Configurer Hearth",
    setupIntro: "Vous créez le premier administrateur de cet appareil Hearth. L'administrateur gère l'appareil et invite les cliniciens ; il ne voit pas le contenu clinique.",
    setupLinkUsed: "Ce lien de configuration a déjà été utilisé.",
    setupLinkExpired: "Ce lien de configuration a expiré.",
    setupLinkUnknown: "Ce lien de configuration n'est pas valide.",
    setupClosed: "Hearth est déjà configuré. Demandez une invitation à votre administrateur.",
    setupNewLink: "Pour obtenir un nouveau lien, lancez ceci sur l'appareil : {cmd}",
  },
);
