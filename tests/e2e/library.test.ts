/**
 * The content library in Debian's Chromium: a clinician writes an article and uploads a short
 * video (a 6 s VP9 MP4 with its index at the end, so the player must ask for ranges) through the
 * pages, and recommends them; the patient finds both under "Recommended for you", is told
 * whether reading is recorded, reads the article and plays the video, seeking to 4 s (answered
 * with 206 ranges). axe is clean on every library page, in light and in dark with large text.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { accept, firstAdmin, invite } from "../../src/identity/test-client.ts";
import { axeViolations, describeViolations, launchBrowser, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;
const CLIP = resolve(import.meta.dir, "library-clip.mp4");
const problems: string[] = [];

async function axe(page: Page, what: string): Promise<void> {
  const v = await axeViolations(page);
  if (v.length) problems.push(describeViolations(what, v));
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test("a clinician adds and recommends an article and a video; the patient reads and plays them, seeking", async () => {
  const admin = await firstAdmin(server);
  const cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  const pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  await cleo.get("/groups/new");
  const made = await cleo.post("/groups", new URLSearchParams({ name: "Evening group" }).toString());
  await cleo.post(`${made.headers.location!.split("?")[0]}/members`, `personId=${pat.personId}`);

  const clinician = await signedInPage(browser, server, cleo.personId);
  await clinician.goto("/portal/library");
  await clinician.getByRole("heading", { name: "Library", level: 1 }).waitFor();
  await axe(clinician, "library (clinician)");
  await clinician.getByLabel("Title").first().fill("Sleep, one step at a time");
  await clinician.getByLabel("Tags, separated by commas").fill("sleep, routine");
  await clinician.getByLabel("Text (Markdown)").fill("## Tonight\n\n- Same time up each morning\n- [Sleep tips](https://example.org/sleep)\n\n<script>window.__owned = 1</script>");
  await clinician.getByRole("button", { name: "Save article" }).click();
  await clinician.getByText("Added to the library.").waitFor();
  await axe(clinician, "article (clinician, with the recommend form)");
  await clinician.getByLabel("To a group").selectOption({ label: "Evening group" });
  await clinician.getByRole("button", { name: "Recommend" }).click();
  await clinician.getByText("Recommended.", { exact: true }).waitFor();

  await clinician.goto("/portal/library");
  await clinician.locator("#library-file").setInputFiles(CLIP);
  await clinician.locator("#library-file-title").fill("Breathing with the wave");
  await clinician.getByRole("button", { name: "Upload" }).click();
  await clinician.getByText("Added to the library.").waitFor();
  await clinician.getByLabel("To a patient").selectOption({ label: "Pat Patient" });
  await clinician.getByRole("button", { name: "Recommend" }).click();
  await clinician.getByText("Recommended.", { exact: true }).waitFor();
  await clinician.getByRole("button", { name: "Stop recommending to Pat Patient" }).waitFor();
  await axe(clinician, "video (clinician, recommended, with stop and remove)");

  const patient = await signedInPage(browser, server, pat.personId);
  const ranges: number[] = [];
  patient.on("response", (r) => {
    if (r.url().endsWith("/file")) ranges.push(r.status());
  });
  await patient.goto("/");
  await patient.getByRole("heading", { name: "Recommended for you" }).waitFor();
  await axe(patient, "home with recommendations (patient)");
  await patient.goto("/portal/library");
  await patient.getByRole("heading", { name: "Recommended for you" }).waitFor();
  await patient.getByText("The clinic does not record what you open here.").waitFor();
  await axe(patient, "library (patient)");
  await patient.getByRole("link", { name: "Sleep, one step at a time" }).click();
  await patient.getByRole("listitem").filter({ hasText: "Same time up each morning" }).waitFor();
  expect(await patient.getByRole("link", { name: "Sleep tips" }).getAttribute("rel")).toBe("noopener noreferrer");
  expect(await patient.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();
  await axe(patient, "article (patient)");

  await patient.goto("/portal/library");
  await patient.getByRole("link", { name: "Breathing with the wave" }).click();
  const video = patient.locator("video");
  await video.waitFor();
  await axe(patient, "video (patient)");
  const duration = await video.evaluate((v: HTMLVideoElement) =>
    v.readyState >= 1 ? v.duration : new Promise<number>((ok, fail) => {
      v.addEventListener("loadedmetadata", () => ok(v.duration));
      v.addEventListener("error", () => fail(new Error(`video error ${v.error?.code}`)));
    }),
  );
  expect(duration).toBeGreaterThan(5);
  const at = await video.evaluate((v: HTMLVideoElement) => new Promise<number>((ok) => {
    v.addEventListener("seeked", () => ok(v.currentTime), { once: true });
    v.currentTime = 4;
  }));
  expect(at).toBeGreaterThanOrEqual(3.5);
  expect(ranges).toContain(206);
  expect(ranges.filter((s) => s !== 206 && s !== 200)).toEqual([]);

  // Dark theme and large text.
  const base = server.hearth.config.publicUrl;
  await patient.context().addCookies([
    { name: "hearth_theme", value: "dark", url: base },
    { name: "hearth_text", value: "large", url: base },
  ]);
  await patient.goto("/portal/library");
  await patient.getByRole("heading", { name: "Recommended for you" }).waitFor();
  await axe(patient, "library (patient, dark, large text)");
  await clinician.context().addCookies([
    { name: "hearth_theme", value: "dark", url: base },
    { name: "hearth_text", value: "large", url: base },
  ]);
  await clinician.goto("/portal/library");
  await axe(clinician, "library (clinician, dark, large text)");

  const adminPage = await signedInPage(browser, server, admin.personId);
  await adminPage.goto("/admin/library");
  await adminPage.getByRole("heading", { name: "Library reading" }).waitFor();
  await axe(adminPage, "library reading (admin)");
  expect(problems).toEqual([]);
}, 180_000);
