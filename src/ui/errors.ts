import { Elysia } from "elysia";
import { randomBytes } from "node:crypto";
import { html, htmlResponse, type Html } from "./html.ts";
import { layout, type PageContext } from "./page.ts";
import { pageFor, isHtmx } from "./request.ts";
import { shellStrings } from "./strings.ts";
import { fill, type Locale } from "./i18n.ts";
import { log } from "../log.ts";

/**
 * An error a person can act on. `message` is shown to them, so it must be written for them
 * (already in their language) and must not contain anyone's health data.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

function errorPage(ctx: PageContext, request: Request, status: number, title: string, body: Html): Response {
  const box = html`<div class="notice notice-error"><h2>${title}</h2>${body}</div>`;
  if (isHtmx(request)) return htmlResponse(box, status);
  const s = shellStrings(ctx.locale);
  const main = html`<div class="card narrow"><h1>${title}</h1>${body}<p><a class="button secondary" href="/">${s.goHome}</a></p></div>`;
  return htmlResponse(layout(ctx, title, main), status);
}

function fieldName(path: string | undefined, locale: Locale): string {
  const name = (path ?? "").replace(/^\//, "").replace(/\//g, " › ");
  return name || shellStrings(locale).theForm;
}

/** Turns every failure into a page a person can read: a message and an error id, never a stack trace. */
export const errorHandling = new Elysia({ name: "errors" }).onError({ as: "global" }, ({ code, error, request }) => {
  const ctx = pageFor(request);
  const s = shellStrings(ctx.locale);
  const route = new URL(request.url).pathname;
  if (error instanceof HttpError) {
    log.info("request refused", { status: error.status, method: request.method, route: routeShape(route) });
    return errorPage(ctx, request, error.status, error.title, html`<p>${error.message}</p>`);
  }
  switch (code) {
    case "NOT_FOUND":
      return errorPage(ctx, request, 404, s.notFoundTitle, html`<p>${s.notFoundBody}</p>`);
    case "VALIDATION": {
      // The validator's own message can quote what was sent; show and log only which field.
      const first = (error as { all?: { path?: string }[] }).all?.[0];
      log.info("invalid input", { method: request.method, route: routeShape(route), field: first?.path ?? "" });
      return errorPage(
        ctx,
        request,
        400,
        s.badRequestTitle,
        html`<p>${s.badRequestBody}</p><p>${fill(s.badRequestField, { field: fieldName(first?.path, ctx.locale) })}</p>`,
      );
    }
    case "PARSE":
      return errorPage(ctx, request, 400, s.badRequestTitle, html`<p>${s.badRequestBody}</p>`);
    case "INVALID_COOKIE_SIGNATURE":
      return errorPage(ctx, request, 400, s.badRequestTitle, html`<p>${s.badRequestBody}</p>`);
  }
  const status = (error as { status?: number }).status;
  if (status === 413) return errorPage(ctx, request, 413, s.tooLargeTitle, html`<p>${s.tooLargeBody}</p>`);
  if (status === 411) return errorPage(ctx, request, 411, s.lengthRequiredTitle, html`<p>${s.lengthRequiredBody}</p>`);
  const id = randomBytes(6).toString("hex");
  // Error name and stack only: messages from deep inside can carry values, never request bodies.
  log.error("request failed", {
    errorId: id,
    method: request.method,
    route: routeShape(route),
    kind: error instanceof Error ? error.name : String(code),
    stack: error instanceof Error ? (error.stack ?? "").split("\n").slice(1, 6).join(" | ") : undefined,
  });
  return errorPage(ctx, request, 500, s.errorTitle, html`<p>${s.errorBody}</p><p>${fill(s.errorId, { id })}</p>`);
});

/** Logs a path with its ids and tokens blanked, so a URL never carries anything identifying into a log. */
export function routeShape(path: string): string {
  return path
    .split("/")
    .map((seg) => (/^\d+$/.test(seg) || seg.length >= 16 ? ":x" : seg))
    .join("/");
}
