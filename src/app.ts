import { Elysia } from "elysia";
import type { Hearth } from "./context.ts";
import { errorHandling } from "./ui/errors.ts";
import { bodyLimit } from "./ui/body-limit.ts";
import { securityHeaders } from "./ui/security.ts";
import { uiRoutes } from "./ui/routes.ts";
import { applianceRoutes } from "./appliance/routes.ts";
import { unlockRoutes } from "./appliance/unlock.ts";
import { createAccess, identityRoutes } from "./identity/routes.ts";
import { tlsRoutes } from "./appliance/tls-routes.ts";
import { roomRoutes } from "./rooms/routes.ts";
import { roomPageRoutes } from "./rooms/page.ts";
import { comfortRoutes } from "./rooms/comfort.ts";
import { attendanceRoutes } from "./rooms/attendance-routes.ts";
import { chatTranscriptRoutes } from "./rooms/chat-transcript.ts";
import { whiteboardRoutes } from "./rooms/whiteboard-routes.ts";
import { vitalsDeviceRoutes } from "./vitals/routes.ts";
import { clinicRoutes } from "./clinic/routes.ts";
import { recordRoutes } from "./clinic/record/record.ts";
import { portalNavCounts, portalRoutes } from "./portal/routes.ts";
import { libraryRoutes } from "./portal/library-routes.ts";
import { notifyRoutes } from "./notify/routes.ts";
import { safetyRoutes } from "./safety/routes.ts";
import { recordingRoutes } from "./rooms/recording-routes.ts";
import type { RoomService } from "./rooms/service.ts";

/** The whole web app: one plugin per capability, behind the shared error pages and headers. */
export function buildApp(hearth: Hearth, rooms: RoomService) {
  // Identity's guard comes first: every route after it passes its declared access policy.
  const access = createAccess(hearth);
  const app = new Elysia({ name: "hearth" })
    .use(errorHandling)
    .use(securityHeaders)
    .use(bodyLimit)
    .use(access.plugin)
    // The portal's unread-message count on the nav of every page (so before every page route).
    .use(portalNavCounts(hearth))
    .use(unlockRoutes(hearth))
    .use(uiRoutes)
    .use(applianceRoutes(hearth))
    .use(tlsRoutes(hearth))
    .use(identityRoutes(hearth))
    .use(notifyRoutes(hearth))
    // The group page's "End session" ends the live room through the room service.
    .use(clinicRoutes(hearth, { end: (sessionId) => rooms.room(sessionId)?.end(null) }))
    .use(recordRoutes(hearth))
    .use(portalRoutes(hearth))
    .use(libraryRoutes(hearth))
    .use(roomRoutes(hearth, rooms))
    .use(roomPageRoutes(hearth, rooms))
    .use(comfortRoutes(hearth))
    .use(attendanceRoutes(hearth))
    .use(chatTranscriptRoutes(hearth))
    .use(whiteboardRoutes(hearth, rooms))
    .use(vitalsDeviceRoutes(hearth))
    .use(safetyRoutes(hearth))
    .use(recordingRoutes(hearth));
  access.bind(app);
  return app;
}

export type App = ReturnType<typeof buildApp>;
