import { Chat } from "./chat.ts";
import type { FeatureFactory } from "./feature.ts";
import { Hands } from "./hands.ts";
import { Safety } from "./safety.ts";
import { Recording } from "./recording.ts";
import { Guests } from "./guests.ts";
import { Polls } from "./polls.ts";
import { Whiteboard } from "./whiteboard.ts";
import { Breakouts } from "./breakouts.ts";
import { VitalsTile } from "../vitals/room-tile.ts";

/** Every room's tools, in the order chat screens are asked (feature.ts). One line per feature. */
export const roomFeatures: readonly FeatureFactory[] = [
  (ctx) => new Chat(ctx),
  (ctx) => new Hands(ctx),
  (ctx) => new Polls(ctx),
  (ctx) => new Whiteboard(ctx),
  (ctx) => new Breakouts(ctx),
  (ctx) => new Safety(ctx),
  (ctx) => new Recording(ctx),
  (ctx) => new Guests(ctx),
  (ctx) => new VitalsTile(ctx),
];
