import type { Hearth } from "../../context.ts";
import { html, type Html } from "../../ui/html.ts";
import { HttpError } from "../../ui/errors.ts";
import { isHtmx } from "../../ui/request.ts";
import type { Locale } from "../../ui/i18n.ts";
import { auditNameShown, displayName, getPerson } from "../../identity/people.ts";
import { recordStrings } from "./strings.ts";

/** Pieces every page of the record shares: where to go after a change, refusals in words, names. */

/** The record's own stylesheet (bands, charts), on top of hearth.css. */
export const RECORD_STYLES = ["record.css"];

export function goTo(request: Request, location: string): Response {
  if (isHtmx(request)) return new Response(null, { status: 204, headers: { "hx-redirect": location } });
  return new Response(null, { status: 303, headers: { location } });
}

export function refuse(locale: Locale, status: 400 | 403 | 404 | 409, message: string): HttpError {
  return new HttpError(status, recordStrings(locale).checkTitle, message);
}

/** A patient's name shown to a clinician (audited, as every such showing is). */
export async function nameShown(hearth: Hearth, viewerId: number, personId: number): Promise<string> {
  const person = getPerson(hearth, personId);
  const name = await displayName(hearth, personId);
  if (person && name) auditNameShown(hearth, viewerId, person);
  return name || `#${personId}`;
}

export function okNotice(text: string | null): Html | string {
  return text ? html`<div class="notice notice-ok" role="status"><p>${text}</p></div>` : "";
}



/** The group page's way into its record (src/clinic/routes.ts shows it under the session card). */
export function recordLink(locale: Locale, groupId: number): Html {
  return html`<p class="record-link"><a class="button secondary" href="/groups/${groupId}/record">${recordStrings(locale).recordLink}</a></p>`;
}
