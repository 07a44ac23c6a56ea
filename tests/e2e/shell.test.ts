/**
 * The web shell as a person meets it in Chromium: keyboard first, their language, their reading
 * preferences, and nothing the Content Security Policy has to refuse.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { hashToken, newToken } from "../../src/identity/tokens.ts";
import { axeViolations, describeViolations, launchBrowser } from "./browser.ts";
import { startTestServer, type TestServer } from "../harness.ts";

let server: TestServer;
let browser: Browser;
let base: string;

const PAGES = ["/", "/preferences", "/admin/health", "/no-such-page"];

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  base = server.url.replace("127.0.0.1", "localhost");
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * A signed-in admin's session cookie, for /admin/health. Written as identity's sign-in writes a
 * session (a people row, a sessions row holding the token's SHA-256): this file is about the
 * shell, and the passkey ceremony has its own journeys.
 */
async function adminCookie(): Promise<Record<string, string>> {
  const hearth = server.hearth;
  const now = server.clock.now;
  const profile = await hearth.vault.seal(JSON.stringify({ displayName: "Shell Admin" }));
  const { id: personId } = hearth.db
    .query<{ id: number }, [Uint8Array, number]>("INSERT INTO people (role, profile, created_at) VALUES ('admin', ?, ?) RETURNING id")
    .get(profile, now)!;
  const token = newToken();
  hearth.db
    .query("INSERT INTO sessions (id_hash, person_id, csrf_token, created_at, last_seen_at, verified_at) VALUES (?, ?, ?, ?, ?, ?)")
    .run(hashToken(token), personId, newToken(), now, now, now);
  return { hearth_session: token };
}

/** The health page really rendered (not a sign-in or refusal page in its place). */
async function expectHealthPage(page: Page): Promise<void> {
  expect(await page.locator("#health-facts").count(), `${page.url()} shows the health facts`).toBe(1);
}

interface Watched {
  context: BrowserContext;
  page: Page;
  /** Every CSP refusal seen so far: console "Refused to …" lines and securitypolicyviolation events. */
  refusals(): Promise<string[]>;
}

/** A fresh browser context that records anything the page's CSP refuses. */
async function watchedContext(opts: { colorScheme?: "light" | "dark"; cookies?: Record<string, string> } = {}): Promise<Watched> {
  const context = await browser.newContext({ baseURL: base, colorScheme: opts.colorScheme ?? "light", locale: "en-GB" });
  // A step that cannot happen fails in seconds, with Playwright's message, well inside the test's time.
  context.setDefaultTimeout(10_000);
  await context.addCookies(Object.entries(opts.cookies ?? {}).map(([name, value]) => ({ name, value, url: base })));
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  await context.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __csp: string[] }).__csp = []);
    document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const consoleRefusals: string[] = [];
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.text().includes("Refused to")) consoleRefusals.push(m.text());
  });
  return {
    context,
    page,
    async refusals() {
      const events = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
      return [...consoleRefusals, ...events];
    },
  };
}

test("a keyboard user's first Tab reaches the visible skip link, which takes them to the content", async () => {
  const { context, page } = await watchedContext();
  await page.goto("/preferences");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const box = el.getBoundingClientRect();
    return { cls: el.className, text: el.textContent, top: box.top, height: box.height, width: box.width };
  });
  expect(focused.cls).toBe("skip-link");
  expect(focused.text).toBe("Skip to main content");
  // On screen, not parked above the viewport where the unfocused link waits.
  expect(focused.top).toBeGreaterThanOrEqual(0);
  expect(focused.height).toBeGreaterThan(10);
  expect(await page.locator(".skip-link").isVisible()).toBe(true);
  await page.keyboard.press("Enter");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
  await context.close();
}, 60_000);

test("on /preferences, French, large text and dark colours change the whole page", async () => {
  const { context, page, refusals } = await watchedContext();
  await page.goto("/preferences");
  const before = await page.evaluate(() => ({
    size: parseFloat(getComputedStyle(document.body).fontSize),
    bg: getComputedStyle(document.body).backgroundColor,
  }));
  await page.getByLabel("Language").selectOption("fr");
  await page.getByLabel("Large").check();
  await page.getByLabel("Dark").check();
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL("**/preferences?saved=1");

  expect(await page.getAttribute("html", "lang")).toBe("fr");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Affichage et langue");
  expect(await page.getByRole("status").textContent()).toContain("Vos préférences sont enregistrées.");
  const after = await page.evaluate(() => ({
    size: parseFloat(getComputedStyle(document.body).fontSize),
    bg: getComputedStyle(document.body).backgroundColor,
    scheme: getComputedStyle(document.documentElement).colorScheme,
  }));
  expect(after.size).toBeGreaterThanOrEqual(before.size * 1.2);
  expect(after.bg).not.toBe(before.bg);
  expect(after.scheme).toBe("dark");
  // Dark means dark: the page background is nearly black, whatever the device prefers.
  const [r, g, b] = after.bg.match(/\d+/g)!.map(Number);
  expect(Math.max(r!, g!, b!)).toBeLessThan(60);

  // The choice follows the person to every page, error pages included.
  await page.goto("/no-such-page");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Page introuvable");
  expect(await page.getByRole("link", { name: "Aller à la page d'accueil" }).isVisible()).toBe(true);
  expect(await page.getAttribute("html", "data-theme")).toBe("dark");
  expect(await refusals()).toEqual([]);
  await context.close();
}, 60_000);

test("a Spanish-speaking browser gets Hearth in Spanish, and can pick Spanish on /preferences", async () => {
  const context = await browser.newContext({ baseURL: base, locale: "es-MX" });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto("/");
  expect(await page.getAttribute("html", "lang")).toBe("es");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Bienvenido a Hearth");
  await page.getByRole("link", { name: "Pantalla e idioma" }).click();
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Pantalla e idioma");
  expect(await page.getByLabel("Idioma").inputValue()).toBe("es");
  expect(await page.locator("#main option[value=es]").textContent()).toBe("Español");
  await page.goto("/no-such-page");
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Página no encontrada");
  expect(await page.getByRole("link", { name: "Ir a la página de inicio" }).isVisible()).toBe(true);
  await context.close();

  // Someone on an English browser chooses Spanish.
  const { context: chooser, page: p2 } = await watchedContext();
  await p2.goto("/preferences");
  await p2.getByLabel("Language").selectOption("es");
  await p2.getByRole("button", { name: "Save" }).click();
  await p2.waitForURL("**/preferences?saved=1");
  expect(await p2.getAttribute("html", "lang")).toBe("es");
  expect(await p2.getByRole("status").textContent()).toContain("Sus preferencias se han guardado.");
  await chooser.close();
}, 60_000);

test("axe finds no serious or critical problem on the shell pages, in light, dark and large text", async () => {
  const variants: { name: string; colorScheme: "light" | "dark"; cookies: Record<string, string> }[] = [
    { name: "light", colorScheme: "light", cookies: { hearth_theme: "light" } },
    { name: "dark", colorScheme: "light", cookies: { hearth_theme: "dark" } },
    { name: "device dark", colorScheme: "dark", cookies: {} },
    { name: "large text", colorScheme: "light", cookies: { hearth_text: "large" } },
    { name: "French, large, dark", colorScheme: "dark", cookies: { hearth_lang: "fr", hearth_text: "large", hearth_theme: "dark" } },
  ];
  const problems: string[] = [];
  for (const v of variants) {
    const { context, page } = await watchedContext({ colorScheme: v.colorScheme, cookies: { ...v.cookies, ...(await adminCookie()) } });
    for (const path of PAGES) {
      await page.goto(path);
      if (path === "/admin/health") await expectHealthPage(page);
      const found = await axeViolations(page);
      if (found.length) problems.push(`[${v.name}] ${describeViolations(path, found)}`);
    }
    await context.close();
  }
  expect(problems.join("\n")).toBe("");
}, 120_000);

test("the CSP holds on every page, including an htmx refresh of the health facts", async () => {
  const { context, page, refusals } = await watchedContext({ cookies: await adminCookie() });
  for (const path of PAGES) {
    await page.goto(path);
    await page.waitForLoadState("load");
    if (path === "/admin/health") await expectHealthPage(page);
    expect(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx)).toBe("object");
    expect(await refusals(), path).toEqual([]);
  }

  // The health page fetches its facts again by itself; a fake clock stands in for the 10 s wait.
  await page.clock.install();
  await page.goto("/admin/health");
  await page.waitForLoadState("load");
  const refresh = page.waitForResponse((r) => r.url().endsWith("/admin/health/facts") && r.status() === 200);
  await page.clock.runFor(10_500);
  await refresh;
  await page.locator("#health-facts dl.facts").waitFor();
  expect(await refusals()).toEqual([]);

  // The watcher itself works: an inline script is refused and reported.
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "1";
    document.head.append(s);
  });
  await page.waitForFunction(() => ((window as unknown as { __csp: string[] }).__csp ?? []).length > 0);
  expect((await refusals()).join("\n")).toContain("script-src");
  await context.close();
}, 60_000);
