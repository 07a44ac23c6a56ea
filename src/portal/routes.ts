import { Elysia } from "elysia";
import type { Hearth } from "../context.ts";
import { journalApiRoutes } from "./journal-routes.ts";
import { journalPageRoutes } from "./journal-pages.ts";
import { messageRoutes } from "./message-routes.ts";
import { worksheetRoutes } from "./worksheet-routes.ts";
import { documentRoutes } from "./document-routes.ts";
import { consentRoutes } from "./consent-routes.ts";
import { consentAdminRoutes } from "./consent-admin-routes.ts";
import { myDataRoutes } from "./my-data-routes.ts";
import { goalRoutes } from "./goal-routes.ts";
import { erasureRoutes } from "./erasure-routes.ts";
import { groupConsentRoutes } from "./group-consent-routes.ts";

export { messageNavCounts as portalNavCounts } from "./message-routes.ts";

/** The client portal: each part brings its own pages and API. */
export function portalRoutes(hearth: Hearth) {
  return new Elysia({ name: "portal" }).use(journalPageRoutes(hearth)).use(journalApiRoutes(hearth)).use(messageRoutes(hearth)).use(worksheetRoutes(hearth)).use(documentRoutes(hearth))
    .use(consentRoutes(hearth))
    .use(consentAdminRoutes(hearth))
    .use(groupConsentRoutes(hearth))
    .use(goalRoutes(hearth))
    .use(myDataRoutes(hearth))
    .use(erasureRoutes(hearth));
}
