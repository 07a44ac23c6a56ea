/**
 * The clinic's pages in Debian's Chromium: a clinician makes a group through the form (a bad
 * name is answered in the alert region, what was typed stays), adds a patient, opens a session
 * (sent to the session's page), and the patient's open home page shows "Join" by itself and
 * loses it when the clinician ends the session. Every page passes axe-core with no serious or
 * critical violation. People are made through the real ceremonies (software authenticators);
 * the browser carries their sessions.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../src/identity/test-client.ts";
import { POLL_SECONDS } from "../../src/clinic/home.ts";
import { axeViolations, describeViolations, launchBrowser, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;
const axeProblems: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function axe(page: Page, label = new URL(page.url()).pathname): Promise<void> {
  const found = await axeViolations(page);
  if (found.length) axeProblems.push(describeViolations(label, found));
}

test("a clinician makes a group and runs a session; the member's home offers Join while it is open", async () => {
  const admin = await firstAdmin(server);
  const cleoClient = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  const patClient = await accept(server, await invite(cleoClient, "patient"), "Pat Patient");
  const cleo = await signedInPage(browser, server, cleoClient.personId);
  const pat = await signedInPage(browser, server, patClient.personId);
  await pat.clock.install();

  await cleo.goto("/");
  await cleo.getByRole("link", { name: "Groups" }).first().click();
  await cleo.waitForURL("**/groups");
  await axe(cleo, "groups (none yet)");
  await cleo.getByRole("link", { name: "New group" }).click();
  await cleo.waitForURL("**/groups/new");
  await axe(cleo);

  // Only spaces: the server says why in the alert region, and the description typed stays.
  await cleo.getByLabel("Name").fill("   ");
  await cleo.getByLabel("Description (optional)").fill("Tuesday evenings, grounding practice.");
  await cleo.getByRole("button", { name: "Create group" }).click();
  await cleo.locator("#flash").getByText("Please give the group a name.").waitFor();
  expect(await cleo.evaluate(() => document.activeElement?.id)).toBe("flash");
  expect(await cleo.getByLabel("Description (optional)").inputValue()).toBe("Tuesday evenings, grounding practice.");
  await axe(cleo, "new group, refused");

  await cleo.getByLabel("Name").fill("Tuesday circle");
  await Promise.all([cleo.waitForURL(/\/groups\/\d+\?done=created$/), cleo.getByRole("button", { name: "Create group" }).click()]);
  const groupPath = new URL(cleo.url()).pathname;
  await cleo.getByRole("heading", { level: 1, name: "Tuesday circle" }).waitFor();
  await axe(cleo, "group page");

  await cleo.getByLabel("Person").selectOption({ label: "Pat Patient" });
  await Promise.all([cleo.waitForURL("**?done=member"), cleo.getByRole("button", { name: "Add to the group" }).click()]);
  expect(await cleo.getByRole("cell", { name: "Pat Patient", exact: true }).count()).toBe(1);

  // The invitation page for this group, with its way back.
  await cleo.getByLabel("Joins as").selectOption("guest");
  await cleo.getByRole("button", { name: "Create invitation link" }).click();
  await cleo.getByRole("heading", { name: "Invitation ready" }).waitFor();
  expect(await cleo.locator("figure.qr svg path").count()).toBe(1);
  await axe(cleo, "group invitation ready");
  await Promise.all([cleo.waitForURL(`**${groupPath}`), cleo.getByRole("link", { name: "Back to the group" }).click()]);

  // The patient's home page is open before the session is.
  await pat.goto("/");
  await pat.getByRole("heading", { name: "Tuesday circle" }).waitFor();
  expect(await pat.getByRole("link", { name: /Join the session/ }).count()).toBe(0);
  await axe(pat, "member home, no session");

  await Promise.all([cleo.waitForURL(/\/sessions\/\d+$/), cleo.getByRole("button", { name: "Open session now" }).click()]);
  const sessionPath = new URL(cleo.url()).pathname;

  // Without a reload, the next poll brings the Join button.
  await pat.clock.runFor((POLL_SECONDS + 1) * 1000);
  const join = pat.getByRole("link", { name: "Join the session of Tuesday circle" });
  await join.waitFor();
  expect(await join.getAttribute("href")).toBe(sessionPath);
  await axe(pat, "member home, session open");

  await cleo.goto(groupPath);
  await axe(cleo, "group page, session open");
  cleo.once("dialog", (d) => void d.accept());
  await Promise.all([cleo.waitForURL("**?done=ended"), cleo.getByRole("button", { name: "End session" }).click()]);
  await cleo.getByText("The session has ended for everyone.").waitFor();
  await cleo.getByRole("button", { name: "Open session now" }).waitFor();

  await pat.clock.runFor((POLL_SECONDS + 1) * 1000);
  await join.waitFor({ state: "detached" });
  await pat.getByText("No session right now.").waitFor();

  await cleo.goto("/groups");
  await axe(cleo, "groups list");
  expect(axeProblems.join("\n")).toBe("");
}, 60_000);
