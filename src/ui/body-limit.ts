import { Elysia } from "elysia";

/**
 * How large a request body may be, decided before anything reads it. The server itself accepts
 * bodies up to the largest upload (a library video, see server.ts), but only the routes below
 * stream their body to disk; every other route parses its body whole (a form, JSON), so a large
 * body sent there, signed in or not, would sit in memory before any check. They get a small limit.
 */
export const PARSED_BODY_MAX_BYTES = 8 * 1024 * 1024;

/** The routes that stream a file upload (each enforces its own size limit with a message naming it). */
const STREAMED_UPLOADS: readonly RegExp[] = [
  /^\/groups\/\d+\/materials$/,
  /^\/portal\/patients\/\d+\/documents$/,
  /^\/portal\/messages\/\d+\/attachments$/,
  /^\/portal\/library\/files$/,
  /^\/rooms\/\d+\/board\.png$/,
];

export const bodyLimit = new Elysia({ name: "body-limit" }).onRequest(({ request }) => {
  if (request.method === "GET" || request.method === "HEAD") return;
  const path = new URL(request.url).pathname;
  if (STREAMED_UPLOADS.some((re) => re.test(path))) return;
  const length = request.headers.get("content-length");
  // Browsers, htmx and the device agent declare the length of every form and JSON body. A body
  // without one (chunked) could only be measured by reading it, which is what this check exists
  // to avoid: it is refused (411 Length Required), so no parsed route ever holds more than the limit.
  if (length === null) {
    if (request.headers.has("transfer-encoding")) throw Object.assign(new Error("request body length not declared"), { status: 411 });
    return;
  }
  if (Number(length) > PARSED_BODY_MAX_BYTES) {
    throw Object.assign(new Error("request body too large"), { status: 413 });
  }
});
