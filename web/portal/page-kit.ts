// What every portal page script shares: its language, JSON calls to the portal's API with the
// CSRF token, a status line for what happened, and small DOM helpers (text only, never markup).
import { portalStrings } from "../../src/portal/strings.ts";
import { isLocale, type Locale } from "../../src/ui/i18n.ts";
import { fromBase64, toBase64 } from "./journal-crypto.ts";

type Json = Record<string, unknown>;

const lang = document.documentElement.lang;
export const locale: Locale = isLocale(lang) ? lang : "en";
export const s = portalStrings(locale);

export class ApiError extends Error {}

function headers(): Record<string, string> {
  const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
  return { "content-type": "application/json", ...(token ? { "x-csrf-token": token } : {}) };
}

/** The human message of a refused request (the server answers with a short HTML notice). */
async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  const doc = new DOMParser().parseFromString(text, "text/html");
  const message = doc.querySelector("p")?.textContent?.trim();
  return new ApiError(message || s.saveFailed);
}

export async function api<T>(method: "GET" | "POST", url: string, body?: Json): Promise<T> {
  const res = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: method === "POST" ? { ...headers(), "hx-request": "true" } : { "hx-request": "true" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export function $(selector: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(selector);
}

export function say(message: string): void {
  const box = $("[data-journal-status]");
  if (box) box.textContent = message;
}

export function show(selector: string, visible: boolean): void {
  const el = $(selector);
  if (el) el.hidden = !visible;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { text?: string; className?: string } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.text !== undefined) node.textContent = props.text;
  if (props.className) node.className = props.className;
  node.append(...children);
  return node;
}

export function fromBase64Url(text: string): Uint8Array {
  return fromBase64(text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "="));
}

export function toBase64Url(bytes: ArrayBuffer): string {
  return toBase64(new Uint8Array(bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
