// The session page's client (web/room/): waiting room, room, controls. Loaded only by
// GET /sessions/:id, which renders the shell this code fills in.
import { SessionPage } from "../room/app.ts";

const root = document.getElementById("session");
if (root) new SessionPage(root).start();
