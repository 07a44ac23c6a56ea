import { Elysia } from "elysia";
import type { Hearth } from "../context.ts";
import { resourceRoutes } from "./resource-routes.ts";
import { whereRoutes } from "./where-routes.ts";
import { guestRoutes } from "./guest-routes.ts";

/** Safety in and around the room: crisis lines, where members are today, alerts to facilitators. */
export function safetyRoutes(hearth: Hearth) {
  return new Elysia({ name: "safety" }).use(resourceRoutes(hearth)).use(whereRoutes(hearth)).use(guestRoutes(hearth));
}
