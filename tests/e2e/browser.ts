/**
 * Shared browser helpers for the Playwright journeys (run under bun test): Debian's Chromium,
 * a CDP virtual authenticator per person, and an axe-core check. One browser per test file,
 * one context per person: with several credentials in one authenticator Chromium's chooser is
 * not deterministic.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from "playwright-core";
import { createSession } from "../../src/identity/sessions.ts";
import type { TestServer } from "../harness.ts";

export const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";

/** The flags that work for Chromium here (see shared/notes): no network beyond the box, no sandbox as root. */
export const BASE_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Extra flags for journeys that use camera and microphone (rooms). */
export const MEDIA_ARGS = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

export function launchBrowser(opts: { extraArgs?: string[] } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...(opts.extraArgs ?? [])] });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** Credentials the virtual authenticator holds (for checks like "a second passkey was added"). */
  credentials(): Promise<{ credentialId: string; isResidentCredential: boolean; signCount: number }[]>;
  /** Forgets one credential, as a lost phone would. */
  removeCredential(credentialId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A new browser context with its own virtual platform authenticator (resident keys, user
 * verification that always succeeds). `baseURL` should be http://localhost:PORT: localhost is a
 * secure context, so WebAuthn works over plain HTTP there.
 */
export async function newPerson(browser: Browser, baseURL: string, opts: { locale?: string; prf?: boolean } = {}): Promise<Person> {
  const context = await browser.newContext({ baseURL, locale: opts.locale ?? "en-GB" });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      // The WebAuthn PRF extension (the portal journal's key), when a journey needs it.
      ...(opts.prf ? { hasPrf: true } : {}),
    },
  });
  return {
    context,
    page,
    cdp,
    authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials;
    },
    async removeCredential(credentialId: string) {
      await cdp.send("WebAuthn.removeCredential", { authenticatorId, credentialId });
    },
    close: () => context.close(),
  };
}

const AXE_SOURCE = readFileSync(resolve(import.meta.dir, "../../node_modules/axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page as it is now and returns the serious and critical violations.
 * The page's CSP forbids inline script, so addScriptTag({content}) is refused; the source is
 * evaluated through CDP instead (Runtime.evaluate is not subject to the page's CSP).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== "undefined");
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** A readable one-line summary for an assertion message. */
export function describeViolations(url: string, violations: AxeViolation[]): string {
  return violations.map((v) => `${url}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("\n");
}

/** Runs in the page (an init script): every RTCPeerConnection it makes is kept in `window.__pcs`, for getStats from the test. */
export function keepPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const made: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = made;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      made.push(this);
    }
  } as typeof RTCPeerConnection;
}

/** A page in a context of its own, signed in as this person (a fresh session, as after a passkey). */
export async function signedInPage(browser: Browser, server: TestServer, personId: number, locale = "en-GB"): Promise<Page> {
  const base = server.hearth.config.publicUrl;
  const context = await browser.newContext({ baseURL: base, locale });
  await context.addCookies([{ name: "hearth_session", value: createSession(server.hearth, personId).id, url: base }]);
  return context.newPage();
}
