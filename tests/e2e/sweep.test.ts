/**
 * Every page a person can reach, as a newcomer would meet it after `hearth demo`: for the admin,
 * a clinician and a patient, follow the links from the home page (breadth first) and check that
 * each page answers with HTML (no broken link, no error page) and that axe finds no serious or
 * critical problem; then every page again in dark at large text.
 * Session rooms (camera and microphone) have journeys of their own and are not entered here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { runDemo } from "../../src/demo/index.ts";
import type { DemoClinic } from "../../src/demo/clinic.ts";
import { createSession } from "../../src/identity/sessions.ts";
import { axeViolations, describeViolations, launchBrowser } from "./browser.ts";

/** Enough to reach every kind of page from each home; more would only repeat them with other ids. */
const MAX_PAGES = 45;
// Not pages: files, feeds and exports (downloads), and the way out.
const SKIP = /\/(signout|sign-out|logout)\b|\.(csv|ics|pdf|zip|png|json|age)(\?|$)|\/(download|export|fhir|ics|raw|file|board\.png)\b|\/sessions\/\d+$/;

let server: TestServer;
let browser: Browser;
let clinic: DemoClinic;

beforeAll(async () => {
  server = await startTestServer();
  clinic = await runDemo(server.hearth, () => {});
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function pageFor(personId: number, cookies: Record<string, string> = {}): Promise<Page> {
  const base = server.hearth.config.publicUrl;
  const context = await browser.newContext({ baseURL: base, locale: "en-GB" });
  const all = { hearth_session: createSession(server.hearth, personId).id, ...cookies };
  await context.addCookies(Object.entries(all).map(([name, value]) => ({ name, value, url: base })));
  return context.newPage();
}

/** Visits pages breadth first from `/`; returns the problems found and the paths visited. */
async function sweep(page: Page, label: string, only?: string[]): Promise<{ problems: string[]; visited: string[] }> {
  const origin = new URL(server.hearth.config.publicUrl).origin;
  const queue = only ? [...only] : ["/"];
  const seen = new Set(queue);
  // One visit per route shape (ids folded), so ten patients' pages count once.
  const shapes = new Set<string>();
  const problems: string[] = [];
  const visited: string[] = [];
  while (queue.length && visited.length < MAX_PAGES) {
    const path = queue.shift()!;
    const shape = path.replace(/\/\d+/g, "/:id").replace(/\?.*$/, "");
    if (!only && shapes.has(shape)) continue;
    shapes.add(shape);
    const response = await page.goto(path, { waitUntil: "load" }).catch((err: Error) => {
      // A link to a file (an invoice, an export) starts a download: not a page to check.
      if (/Download is starting/.test(err.message)) return "download" as const;
      throw err;
    });
    if (response === "download") continue;
    visited.push(path);
    const status = response?.status() ?? 0;
    const type = response?.headers()["content-type"] ?? "";
    if (status >= 400 || !type.startsWith("text/html")) {
      problems.push(`[${label}] ${path}: ${status} ${type}`);
      continue;
    }
    const found = await axeViolations(page);
    if (found.length) problems.push(`[${label}] ${describeViolations(path, found)}`);
    if (only) continue;
    const links = await page.$$eval("a[href]:not([download])", (as) => as.map((a) => (a as HTMLAnchorElement).href));
    for (const href of links) {
      const url = new URL(href);
      if (url.origin !== origin) continue;
      const next = url.pathname + url.search;
      if (SKIP.test(url.pathname) || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return { problems, visited };
}

test("every page the admin, a clinician and a patient can reach from home answers, and axe finds nothing serious", async () => {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const pathsOf: Record<string, string[]> = {};
  for (const [label, personId] of [
    ["admin", clinic.admin.id],
    ["clinician", clinic.groups[0]!.clinicianId],
    ["patient", clinic.groups[0]!.memberIds[0]!],
  ] as const) {
    const page = await pageFor(personId);
    const result = await sweep(page, label);
    problems.push(...result.problems);
    counts[label] = result.visited.length;
    pathsOf[label] = result.visited;
    await page.context().close();
  }
  // Every page again, in dark at large text.
  for (const [label, personId] of [["admin", clinic.admin.id], ["clinician", clinic.groups[0]!.clinicianId], ["patient", clinic.groups[0]!.memberIds[0]!]] as const) {
    const dark = await pageFor(personId, { hearth_theme: "dark", hearth_text: "large" });
    problems.push(...(await sweep(dark, `${label}, dark, large`, pathsOf[label])).problems);
    await dark.context().close();
  }
  // The sweep saw something of each person's world (a broken home page would visit one page).
  expect(counts.admin).toBeGreaterThan(5);
  expect(counts.clinician).toBeGreaterThan(10);
  expect(counts.patient).toBeGreaterThan(5);
  expect(problems.join("\n")).toBe("");
}, 600_000);
