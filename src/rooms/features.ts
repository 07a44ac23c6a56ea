import type { FeatureFactory } from "./feature.ts";
import { Hands } from "./hands.ts";

/** Every room's tools, in the order chat screens are asked (feature.ts). One line per feature. */
export const roomFeatures: readonly FeatureFactory[] = [
  (ctx) => new Hands(ctx),
];
