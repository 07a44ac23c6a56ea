import { Elysia } from "elysia";

// No inline script or style anywhere: every script is a file from this box. WebAssembly may be
// compiled ('wasm-unsafe-eval', not 'unsafe-eval': no eval of strings), only from those files:
// the room's comfort effects (background blur, noise suppression) run as WebAssembly.
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Once a browser has seen Hearth over HTTPS, it refuses plain HTTP to that name for a year. */
export const HSTS = "max-age=31536000";

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "referrer-policy": "no-referrer",
  // Camera, microphone and screen sharing for this origin only; nothing else a page could ask for.
  "permissions-policy": "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=(), interest-cohort=()",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** Adds the security headers to every response: set on request, so 404s and error pages get them too. */
export const securityHeaders = new Elysia({ name: "security-headers" }).onRequest(({ set, request }) => {
  Object.assign(set.headers, SECURITY_HEADERS);
  // HTTPS responses only: browsers ignore it over HTTP, and localhost development stays plain HTTP.
  if (request.url.startsWith("https:")) set.headers["strict-transport-security"] = HSTS;
});

