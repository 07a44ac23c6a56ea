// Behaviour every page shares. Loaded with `defer`; the CSP allows no inline script.
import { shellStrings } from "../../src/ui/strings.ts";
import { isLocale } from "../../src/ui/i18n.ts";

type HtmxConfigEvent = CustomEvent<{ headers: Record<string, string>; verb: string }>;

function csrfToken(): string | null {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? null;
}

// htmx sends the CSRF token as a header on every state-changing request.
document.addEventListener("htmx:configRequest", (event) => {
  const e = event as HtmxConfigEvent;
  const token = csrfToken();
  if (token && e.detail.verb !== "get") e.detail.headers["X-CSRF-Token"] = token;
});

// Plain (non-htmx) forms carry the token in a hidden field.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() === "get") return;
  const token = csrfToken();
  if (!token || form.querySelector('input[name="_csrf"]')) return;
  const input = document.createElement("input");
  input.type = "hidden";
  input.name = "_csrf";
  input.value = token;
  form.append(input);
});

// An error message swapped into the alert region takes focus, so a screen reader user hears it
// and a keyboard user is not left behind.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = (event as CustomEvent<{ target: HTMLElement }>).detail.target;
  if (target?.id === "flash" && target.textContent?.trim()) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
});

// A network failure (the clinic's Wi-Fi drops) gets a human message instead of silence.
document.addEventListener("htmx:sendError", () => {
  const flash = document.getElementById("flash");
  const lang = document.documentElement.lang;
  if (flash) flash.textContent = shellStrings(isLocale(lang) ? lang : "en").connectionLost;
});
