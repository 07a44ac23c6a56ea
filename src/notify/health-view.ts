import type { Hearth } from "../context.ts";
import { html, type Html } from "../ui/html.ts";
import { fill, type Locale } from "../ui/i18n.ts";
import { outboxState } from "./outbox.ts";
import { notifyStrings } from "./strings.ts";

/** The e-mail outbox on the admin's health page: counts only (no address, no content). */
export function outboxHealth(hearth: Hearth, locale: Locale): Html {
  const s = notifyStrings(locale);
  if (!hearth.config.smtpUrl) return html`<section class="card" aria-labelledby="outbox-title"><h2 id="outbox-title">${s.outboxTitle}</h2><p>${s.outboxOff}</p></section>`;
  const o = outboxState(hearth);
  return html`<section class="card" aria-labelledby="outbox-title"><h2 id="outbox-title">${s.outboxTitle}</h2>
<p>${fill(s.outboxFacts, { waiting: o.waiting, failing: o.failing, sent: o.sentLastDay })}</p>
${o.lastError ? html`<p class="muted">${fill(s.outboxLastError, { error: o.lastError })}</p>` : ""}</section>`;
}
