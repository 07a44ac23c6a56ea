import { html, type Html } from "../ui/html.ts";
import type { Locale } from "../ui/i18n.ts";
import { resourceStrings } from "./strings.ts";

/**
 * The "Crisis help" link in every page's header (src/ui/page.ts), signed in or not. It opens in a
 * new tab so that a person in a live session keeps their place in the room while they read it.
 */
export function crisisHeaderLink(locale: Locale): Html {
  const s = resourceStrings(locale);
  return html`<a class="crisis-link" href="/crisis" target="_blank" rel="noopener">${s.pageTitle}<span class="visually-hidden"> ${s.opensNewTab}</span></a>`;
}
