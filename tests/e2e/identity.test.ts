/**
 * The identity journey in Debian's Chromium with CDP virtual authenticators, one context per
 * person: setup link → first admin's passkey → admin invites a clinician → clinician registers
 * → clinician invites a patient → patient registers, signs out, signs in again, adds a second
 * passkey and revokes the first; a used, an expired and a revoked invitation each get the kind
 * page. Every page on the way passes axe-core with no serious or critical violation.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { axeViolations, describeViolations, launchBrowser, newPerson, type Person } from "./browser.ts";

let server: TestServer;
let browser: Browser;
let base: string;
const axeProblems: string[] = [];
const people: Person[] = [];
let admin: Person;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  base = server.hearth.config.publicUrl;
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function person(): Promise<Person> {
  const p = await newPerson(browser, base);
  people.push(p);
  return p;
}

/** Runs axe on the page as it is now; problems are collected and asserted at the end. */
async function axe(page: Page, label = new URL(page.url()).pathname): Promise<void> {
  const found = await axeViolations(page);
  if (found.length) axeProblems.push(describeViolations(label, found));
}

async function register(page: Page, link: string, name: string, lands: string): Promise<void> {
  await page.goto(link);
  await axe(page, "registration page");
  await page.getByLabel("Your name").fill(name);
  await Promise.all([page.waitForURL(`${base}${lands}`), page.getByRole("button", { name: "Create my passkey" }).click()]);
  await axe(page);
}

async function createInvitation(page: Page, role: string): Promise<string> {
  await page.goto("/invitations");
  await page.locator("#role").selectOption(role);
  await page.getByRole("button", { name: "Create invitation" }).click();
  await page.getByRole("heading", { name: "Invitation ready" }).waitFor();
  expect(await page.locator("figure.qr svg path").count()).toBe(1);
  return page.locator("[data-invite-link]").inputValue();
}

async function signIn(page: Page): Promise<void> {
  await page.goto("/signin");
  await Promise.all([page.waitForURL(`${base}/`), page.getByRole("button", { name: "Sign in with a passkey" }).click()]);
}

test("setup → admin → clinician → patient, with passkeys all the way, and refused invitations get a kind page", async () => {
  // The first admin, from the link the foundation printed.
  admin = await person();
  await register(admin.page, server.setupLink!, "Ada Admin", "/account/recovery-codes");
  await admin.page.getByRole("button", { name: "Create recovery codes" }).click();
  await admin.page.locator("[data-recovery-codes]").waitFor();
  expect(await admin.page.locator("[data-recovery-codes] li").count()).toBe(10);
  await axe(admin.page, "recovery codes");
  await admin.page.goto("/invitations");
  await axe(admin.page);

  // The admin invites a clinician, who registers.
  const clinicianLink = await createInvitation(admin.page, "clinician");
  await axe(admin.page, "invitation ready");
  const clinician = await person();
  await register(clinician.page, clinicianLink, "Cleo Clinician", "/");
  expect(await clinician.page.getByRole("heading", { level: 1 }).textContent()).toBe("Hello, Cleo Clinician");

  // The clinician invites a patient; and makes two more invitations: one to withdraw, one to let expire.
  const patientLink = await createInvitation(clinician.page, "patient");
  const withdrawnLink = await createInvitation(clinician.page, "patient");
  await clinician.page.goto("/invitations");
  await clinician.page.locator("form[action$='/revoke'] button").first().click();
  await clinician.page.getByText("The invitation was withdrawn").waitFor();
  await axe(clinician.page, "invitations after withdrawing");
  const expiringLink = await createInvitation(clinician.page, "patient");

  // The patient registers, signs out, and signs in again.
  const patient = await person();
  await register(patient.page, patientLink, "Pat Patient", "/");
  // The clinician now sees the patient among the people they care for; the admin sees a number.
  await clinician.page.goto("/people");
  await axe(clinician.page);
  await Promise.all([clinician.page.waitForURL("**/people/*"), clinician.page.getByRole("link", { name: "Pat Patient" }).click()]);
  await axe(clinician.page, "a patient's page");
  await admin.page.goto("/people");
  expect(await admin.page.getByText("Pat Patient").count()).toBe(0);
  await axe(admin.page, "people (admin)");
  const session = (await patient.context.cookies()).find((c) => c.name === "hearth_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
  await patient.page.goto("/signout");
  await axe(patient.page);
  await Promise.all([patient.page.waitForURL("**/signin?ended=signedout"), patient.page.getByRole("button", { name: "Sign out", exact: true }).click()]);
  await axe(patient.page, "signed out");
  await signIn(patient.page);
  expect(await patient.page.getByRole("heading", { level: 1 }).textContent()).toBe("Hello, Pat Patient");
  await patient.page.goto("/account/seen");
  await axe(patient.page);

  // A second passkey is added (from "another device": the authenticator no longer holds the
  // first, which the server lists in excludeCredentials), and the first is revoked.
  const [first] = await patient.credentials();
  await patient.removeCredential(first!.credentialId);
  await patient.page.goto("/account");
  await axe(patient.page);
  await patient.page.getByLabel("Name for this passkey").fill("Second phone");
  await Promise.all([patient.page.waitForURL("**/account?added=1"), patient.page.getByRole("button", { name: "Add a passkey" }).click()]);
  expect(await patient.page.locator("tr[data-passkey-row]").count()).toBe(2);
  const [second] = await patient.credentials();
  expect(second!.credentialId).not.toBe(first!.credentialId);
  await Promise.all([
    patient.page.waitForURL("**/account?revoked=1"),
    patient.page.getByRole("button", { name: "Remove passkey First passkey" }).click(),
  ]);
  expect(await patient.page.locator("tr[data-passkey-row]").count()).toBe(1);
  expect(await patient.page.getByText("Your only passkey").count()).toBe(1);
  await axe(patient.page, "account after revoking");

  // The revoked passkey no longer signs in; the second one does. (One credential in the
  // authenticator at a time: with several, Chromium's chooser is not deterministic.)
  await patient.page.goto("/signout");
  await patient.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await patient.page.waitForURL("**/signin?ended=signedout");
  const hold = async (c: typeof first) => {
    for (const held of await patient.credentials()) await patient.removeCredential(held.credentialId);
    await patient.cdp.send("WebAuthn.addCredential", { authenticatorId: patient.authenticatorId, credential: c as never });
  };
  await hold(first);
  await patient.page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await patient.page.getByText("This passkey was removed from its account").waitFor();
  await axe(patient.page, "sign-in refused");
  await hold(second);
  await signIn(patient.page);
  expect(await patient.page.getByRole("heading", { level: 1 }).textContent()).toBe("Hello, Pat Patient");

  // Used, withdrawn and expired invitations: each refused with a page that says what to do.
  const stranger = await person();
  for (const [link, says] of [
    [patientLink, "This invitation has already been used."],
    [withdrawnLink, "This invitation was withdrawn by the person who sent it."],
  ] as const) {
    const res = await stranger.page.goto(link);
    expect(res?.status()).toBe(410);
    await stranger.page.getByText(says).waitFor();
    await stranger.page.getByText("ask your clinician").waitFor();
    expect(await stranger.page.getByRole("button", { name: "Create my passkey" }).count()).toBe(0);
    await axe(stranger.page, `kind page: ${says}`);
  }
  server.clock.advance(8 * 24 * 60 * 60 * 1000);
  const res = await stranger.page.goto(expiringLink);
  expect(res?.status()).toBe(410);
  await stranger.page.getByText("This invitation has expired.").waitFor();
  await axe(stranger.page, "kind page: expired");

  expect(axeProblems.join("\n")).toBe("");
}, 120_000);

test("staff see a warning before the idle sign-out; staying signed in keeps the session, doing nothing ends it", async () => {
  const { page } = admin;
  await page.clock.install();
  await signIn(page);
  await page.goto("/account");
  const warning = page.locator("#idle-warning");
  expect(await warning.isVisible()).toBe(false);
  await page.clock.runFor(13 * 60 * 1000 + 1000);
  await warning.waitFor({ state: "visible" });
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Stay signed in");
  await axe(page, "idle warning");
  const extended = page.waitForResponse((r) => r.url().endsWith("/session/extend") && r.status() === 204);
  await page.getByRole("button", { name: "Stay signed in" }).click();
  await extended;
  await warning.waitFor({ state: "hidden" });
  // Both clocks move on: the server's (which ends the session) and the page's (which shows it).
  server.clock.advance(15 * 60 * 1000 + 1000);
  await page.clock.runFor(15 * 60 * 1000 + 3000);
  await page.waitForURL("**/signin?ended=idle");
  await page.getByText("You were signed out because nothing happened for a while").waitFor();
  expect(axeProblems.join("\n")).toBe("");
}, 60_000);
