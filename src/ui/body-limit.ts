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
  // Browsers declare the length of every form and JSON body. A chunked body (no length) is still
  // bounded only by the server-wide ceiling: refusing it outright would refuse ordinary HTTP
  // clients that stream small bodies (docs/security.md names this limit).
  if (Number(request.headers.get("content-length") ?? "0") > PARSED_BODY_MAX_BYTES) {
    throw Object.assign(new Error("request body too large"), { status: 413 });
  }
});
