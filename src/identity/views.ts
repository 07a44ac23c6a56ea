import { html, type Html } from "../ui/html.ts";
import { formatDateTime, type Locale } from "../ui/i18n.ts";

/**
 * A form whose submit runs a passkey ceremony (web/entries/passkey.ts): fields are sent to
 * `options`, the browser asks the authenticator, and the result goes to `verify`.
 */
export function passkeyForm(opts: {
  kind: "register" | "signin";
  options: string;
  verify: string;
  button: string;
  fields?: Html;
  secondary?: boolean;
}): Html {
  return html`<form method="post" action="${opts.verify}" data-passkey="${opts.kind}" data-options="${opts.options}" data-verify="${opts.verify}">
${opts.fields ?? ""}
<div data-passkey-status role="status" tabindex="-1" hidden></div>
<div class="actions"><button type="submit"${opts.secondary ? html` class="secondary"` : ""}>${opts.button}</button></div>
</form>`;
}

export function textField(o: { id: string; name?: string; label: string; value?: string; hint?: string; required?: boolean; maxLength: number; autocomplete?: string; type?: string }): Html {
  const hintId = o.hint ? `${o.id}-hint` : "";
  return html`<div class="field"><label for="${o.id}">${o.label}${o.hint ? html`<span class="hint" id="${hintId}">${o.hint}</span>` : ""}</label>
<input type="${o.type ?? "text"}" id="${o.id}" name="${o.name ?? o.id}" value="${o.value ?? ""}" maxlength="${o.maxLength}"${o.required ? html` required` : ""}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ""}${hintId ? html` aria-describedby="${hintId}"` : ""}></div>`;
}

export function card(title: string, body: Html, opts: { narrow?: boolean } = {}): Html {
  return html`<div class="card${opts.narrow === false ? "" : " narrow"}"><h1>${title}</h1>${body}</div>`;
}

export function notice(kind: "ok" | "info" | "warning" | "error", text: string): Html {
  return html`<div class="notice notice-${kind}" role="${kind === "error" ? "alert" : "status"}"><p>${text}</p></div>`;
}

export function when(locale: Locale, ms: number | null, never: string): string {
  return ms === null ? never : formatDateTime(locale, ms);
}

/** The browser bundle these pages need. */
export const PASSKEY_SCRIPTS = ["passkey.js"];
