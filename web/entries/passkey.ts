// Passkey ceremonies for forms marked data-passkey="register" | "signin" | "confirm", and the
// fresh-verification step for forms marked data-fresh. No inline script: pages only carry data-*.
import { startAuthentication, startRegistration, WebAuthnAbortService } from "@simplewebauthn/browser";
import { identityStrings } from "../../src/identity/strings.ts";
import { isLocale } from "../../src/ui/i18n.ts";

const lang = document.documentElement.lang;
const s = identityStrings(isLocale(lang) ? lang : "en");

type Json = Record<string, unknown>;

function csrfHeaders(): Record<string, string> {
  const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
  return { "content-type": "application/json", ...(token ? { "x-csrf-token": token } : {}) };
}

/** POSTs JSON; returns the JSON answer, or throws an Error whose message a person can read. */
async function post(url: string, body: Json): Promise<Json> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: csrfHeaders(), body: JSON.stringify(body), credentials: "same-origin" });
  } catch {
    throw new Error(s.passkeyNetwork);
  }
  const type = res.headers.get("content-type") ?? "";
  const answer = type.includes("application/json") ? ((await res.json()) as Json) : {};
  if (!res.ok) throw new Error(typeof answer.error === "string" ? answer.error : s.passkeyFailed);
  return answer;
}

function fields(form: HTMLFormElement): Json {
  const out: Json = {};
  for (const [k, v] of new FormData(form)) if (k !== "_csrf" && typeof v === "string") out[k] = v;
  return out;
}

function say(form: HTMLFormElement, message: string, kind: "info" | "error"): void {
  const box = form.querySelector<HTMLElement>("[data-passkey-status]");
  if (!box) return;
  box.textContent = message;
  box.className = kind === "error" ? "notice notice-error" : "notice notice-info";
  box.hidden = false;
  if (kind === "error") box.focus();
}

function ceremonyError(err: unknown): string {
  const name = (err as { name?: string })?.name;
  // NotAllowedError: the person cancelled, or the prompt timed out.
  if (name === "NotAllowedError" || name === "AbortError") return s.passkeyCancelled;
  if (name === "InvalidStateError") return s.passkeyAlreadyRegistered;
  return err instanceof Error && err.message ? err.message : s.passkeyFailed;
}

async function runCeremony(kind: string, optionsUrl: string, verifyUrl: string, data: Json): Promise<Json> {
  const { options } = (await post(optionsUrl, data)) as { options?: Json; fresh?: boolean };
  if (!options) return { fresh: true };
  WebAuthnAbortService.cancelCeremony();
  const response =
    kind === "register"
      ? await startRegistration({ optionsJSON: options as unknown as Parameters<typeof startRegistration>[0]["optionsJSON"] })
      : await startAuthentication({ optionsJSON: options as unknown as Parameters<typeof startAuthentication>[0]["optionsJSON"] });
  return post(verifyUrl, { ...data, response: response as unknown as Json });
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const kind = form.dataset.passkey;
  if (kind) {
    event.preventDefault();
    void ceremonyForm(form, kind);
  } else if (form.dataset.fresh !== undefined && form.dataset.confirmed !== "1") {
    event.preventDefault();
    void freshThenSubmit(form);
  }
});

async function ceremonyForm(form: HTMLFormElement, kind: string): Promise<void> {
  if (!form.reportValidity()) return;
  const button = form.querySelector<HTMLButtonElement>("button[type=submit], button:not([type])");
  if (button) button.disabled = true;
  say(form, s.passkeyWorking, "info");
  try {
    const answer = await runCeremony(kind, form.dataset.options!, form.dataset.verify!, fields(form));
    location.assign(typeof answer.redirect === "string" ? answer.redirect : "/");
  } catch (err) {
    say(form, ceremonyError(err), "error");
    if (button) button.disabled = false;
  }
}

/** Key operations need a passkey check in the last few minutes: ask for one, then send the form. */
async function freshThenSubmit(form: HTMLFormElement): Promise<void> {
  say(form, s.passkeyConfirming, "info");
  try {
    await runCeremony("confirm", "/confirm/options", "/confirm/verify", {});
    form.dataset.confirmed = "1";
    form.requestSubmit();
  } catch (err) {
    say(form, ceremonyError(err), "error");
  }
}

if (!window.PublicKeyCredential) {
  for (const form of document.querySelectorAll<HTMLFormElement>("form[data-passkey]")) say(form, s.passkeyUnsupported, "error");
}
