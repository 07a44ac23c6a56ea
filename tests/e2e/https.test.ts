/**
 * HTTPS on the clinic's own name, as a browser meets it: Chromium that trusts Hearth's local CA
 * opens https://hearth.test:PORT (a host resolver rule sends the name to 127.0.0.1) with no
 * certificate error, in a secure context, with HSTS and Secure cookies.
 *
 * Trust is real, not an override: the CA goes into an NSS database under a temporary HOME, which is
 * where Chromium on Linux reads user-added authorities (the same certutil command /trust gives
 * staff). Chromium then checks the whole chain itself: signature, names, name constraints, dates.
 * (--ignore-certificate-errors-spki-list would skip those checks, so it proves much less.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { BASE_ARGS, CHROMIUM, newPerson } from "./browser.ts";
import { startTestServer, tempDir, type TestServer } from "../harness.ts";
import { tlsDir } from "../../src/appliance/tls.ts";

const ARGS = [...BASE_ARGS, "--host-resolver-rules=MAP hearth.test 127.0.0.1"];

/** certutil (Debian's libnss3-tools) manages the NSS database; installed here like scripts/test.ts installs Chromium. */
function ensureCertutil(): void {
  if (spawnSync("certutil", ["-H"], { stdio: "ignore" }).error === undefined) return;
  const apt = (args: string[]) => {
    const cmd = process.getuid?.() === 0 ? ["apt-get", ...args] : ["sudo", "apt-get", ...args];
    return spawnSync(cmd[0]!, cmd.slice(1), { stdio: "inherit" }).status === 0;
  };
  if (!apt(["update", "-qq"]) || !apt(["install", "-y", "-qq", "libnss3-tools"])) {
    throw new Error("certutil is missing: install Debian's libnss3-tools (apt-get install -y libnss3-tools).");
  }
}

function run(cmd: string, args: string[]): void {
  const res = spawnSync(cmd, args, { encoding: "utf8" });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${res.stderr}`);
}

/** A HOME whose NSS database trusts `caFile` to identify websites (trust flags C,,). */
function homeTrusting(caFile: string | null): { path: string; remove(): void } {
  const home = tempDir("hearth-home-");
  const db = join(home.path, ".pki/nssdb");
  mkdirSync(db, { recursive: true });
  run("certutil", ["-N", "-d", `sql:${db}`, "--empty-password"]);
  if (caFile) run("certutil", ["-A", "-d", `sql:${db}`, "-t", "C,,", "-n", "Hearth local CA", "-i", caFile]);
  return home;
}

function launch(home: string): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, env: { ...process.env, HOME: home } });
}

let server: TestServer;
let browser: Browser;
let origin: string;
const homes: { remove(): void }[] = [];

beforeAll(async () => {
  ensureCertutil();
  server = await startTestServer({ HEARTH_PUBLIC_URL: "https://hearth.test:0", HEARTH_HTTP_PORT: "0" });
  origin = server.hearth.config.publicUrl;
  const home = homeTrusting(join(tlsDir(server.dataDir), "ca.crt"));
  homes.push(home);
  browser = await launch(home.path);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const h of homes) h.remove();
});

test("Chromium trusting the local CA opens https://hearth.test:PORT in a secure context, with HSTS", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  const response = await page.goto(`${origin}/`);
  expect(response!.status()).toBe(200);
  expect(page.url()).toBe(`${origin}/`);
  const security = await response!.securityDetails();
  expect(security?.subjectName).toBe("hearth.test");
  expect(security?.issuer).toStartWith("Hearth local CA hearth.test");
  expect(await page.evaluate(() => window.isSecureContext)).toBe(true);
  expect(await page.evaluate(() => typeof navigator.credentials?.create)).toBe("function");
  expect(await response!.headerValue("strict-transport-security")).toBe("max-age=31536000");
  await context.close();
});

test("the same page without the CA installed is refused by Chromium, so the trust above is the CA's doing", async () => {
  const home = homeTrusting(null);
  homes.push(home);
  const untrusting = await launch(home.path);
  try {
    const page = await untrusting.newPage();
    const error = await page.goto(`${origin}/`).catch((e: Error) => e);
    expect(String(error)).toContain("net::ERR_CERT_AUTHORITY_INVALID");
  } finally {
    await untrusting.close();
  }
});

test("cookies set over HTTPS carry Secure (and keep SameSite)", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  await page.goto(`${origin}/preferences`);
  await page.selectOption("#lang", "fr");
  await Promise.all([
    page.waitForURL(`${origin}/preferences?saved=1`, { timeout: 10_000 }),
    page.locator("form[action='/preferences'] button[type=submit]").click(),
  ]);
  const cookies = await context.cookies(origin);
  const lang = cookies.find((c) => c.name === "hearth_lang");
  expect(lang).toMatchObject({ value: "fr", secure: true, sameSite: "Lax", domain: "hearth.test" });
  expect(await page.locator("html").getAttribute("lang")).toBe("fr");
  await context.close();
}, 30_000);

test("a new device reads /trust over plain HTTP, is sent on to HTTPS, and from then on HSTS keeps it there", async () => {
  const context = await browser.newContext({ locale: "en-GB" });
  const page = await context.newPage();
  const plain = `http://hearth.test:${server.https!.httpPort}`;
  await page.goto(`${plain}/trust`);
  expect(page.url()).toBe(`${plain}/trust`);
  const caPem = readFileSync(join(tlsDir(server.dataDir), "ca.crt"), "utf8");
  expect(await page.locator("#ca-fingerprint").textContent()).toBe(new X509Certificate(caPem).fingerprint256);
  // Styled from the box itself over plain HTTP, so the page reads well before the CA is trusted.
  expect(await page.evaluate(() => [...document.styleSheets].some((s) => s.cssRules.length > 0))).toBe(true);

  await page.goto(`${plain}/preferences`);
  expect(page.url()).toBe(`${origin}/preferences`);

  // HSTS is per host name, whatever the port: Chromium now upgrades http://hearth.test:HTTP_PORT to
  // https on that same port, where only plain HTTP listens. (On 80 and 443 the upgrade lands on Hearth.)
  const upgraded = await page.goto(`${plain}/trust`).catch((e: Error) => e);
  expect(String(upgraded)).toContain("net::ERR_SSL_PROTOCOL_ERROR");
  await context.close();
});

test("a passkey is registered and used to sign in on https://hearth.test:PORT, with a Secure, HttpOnly session cookie", async () => {
  expect(server.setupLink).toStartWith(`${origin}/setup/`);
  const admin = await newPerson(browser, origin);
  try {
    const { page, context } = admin;
    await page.goto(server.setupLink!);
    await page.fill("#displayName", "Avery Admin");
    await Promise.all([
      page.waitForURL((url) => !url.pathname.startsWith("/setup/"), { timeout: 10_000 }),
      page.click("form[data-passkey=register] button[type=submit]"),
    ]);
    const credentials = (await admin.credentials()) as { rpId?: string }[];
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.rpId).toBe("hearth.test");
    expect((await context.cookies(origin)).some((c) => c.name === "__Host-hearth_session")).toBe(true);

    // Another day: the session is gone, the passkey is not.
    await context.clearCookies();
    expect((await page.goto(`${origin}/account`))!.status()).toBe(401);
    await page.goto(`${origin}/signin`);
    await Promise.all([
      page.waitForURL((url) => url.pathname !== "/signin", { timeout: 10_000 }),
      page.click("form[data-passkey=signin] button[type=submit]"),
    ]);
    expect(new URL(page.url()).origin).toBe(origin);
    expect((await admin.credentials())[0]!.signCount).toBeGreaterThan(0);

    const session = (await context.cookies(origin)).find((c) => c.name === "__Host-hearth_session");
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax", path: "/", domain: "hearth.test" });
    const home = await page.goto(`${origin}/account`);
    expect(home!.status()).toBe(200);
  } finally {
    await admin.close();
  }
}, 30_000);
