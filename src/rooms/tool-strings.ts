import { defineStrings } from "../ui/i18n.ts";

/**
 * What the room's tools (chat, raised hands, polls) say, on the server (refusals) and in the
 * page (web/room/chat.ts, hands.ts, polls.ts). Placeholders in {braces} are filled with fill().
 */
export const toolStrings = defineStrings(
  {
    // Raised hands
    handNotYours: "Only a facilitator can lower someone else's hand.",
  },
  {
    handNotYours: "Seul un animateur ou une animatrice peut baisser la main de quelqu'un d'autre.",
  },
  {
    handNotYours: "Solo quien facilita puede bajar la mano de otra persona.",
  },
);
