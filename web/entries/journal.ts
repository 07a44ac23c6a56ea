// The portal journal's page code (web/portal/journal-page.ts), bundled as /static/journal.js.
import "../portal/journal-page.ts";
