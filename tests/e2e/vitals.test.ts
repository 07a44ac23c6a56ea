/**
 * The vitals tile in Debian's Chromium: a clinician and two patients in a live session. Patient A
 * agreed to share a lent device's readings; the clinician sees A's latest heart rate on A's tile,
 * with today's PHQ-9 band, and a new reading replaces it while the session runs. A's page and B's
 * page show no vitals.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestServer, tempDir, type TestServer } from "../harness.ts";
import { addPerson, makeGroup } from "../room-fixture.ts";
import { axeViolations, describeViolations, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";
import { Outbox } from "../../device/src/agent/outbox.ts";
import { uploadOnce } from "../../device/src/agent/uploader.ts";
import { generateDeviceKey } from "../../device/src/reading.ts";
import { completePairing, startPairing } from "../../src/vitals/pairing.ts";
import { answerAssignment, assignDevice } from "../../src/vitals/assignments.ts";
import { assignMeasure, submitResponse } from "../../src/clinic/record/measures.ts";

let server: TestServer;
let browser: Browser;
const dir = tempDir("hearth-e2e-vitals-");

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "44900-44999" }),
    launchBrowser({ extraArgs: MEDIA_ARGS }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  dir.remove();
});

const tileOf = (page: Page, name: string) => page.locator("#tiles .tile", { has: page.locator(".tile-name", { hasText: name }) });

test("the clinician sees a consenting patient's live heart rate on their tile; patients' pages show none", async () => {
  const hearth = server.hearth;
  const g = await makeGroup(hearth, 2);
  const key = generateDeviceKey();
  const paired = completePairing(hearth, startPairing(hearth, 1).code, Buffer.from(key.publicKey).toString("base64"), "room kit");
  if (!paired.ok) throw new Error(paired.code);
  const lent = assignDevice(hearth, g.clinicianIds[0]!, { deviceId: paired.deviceId, patientId: g.memberIds[0]!, startsAt: hearth.now() - 60_000, endsAt: null });
  if (!lent.ok) throw new Error(lent.error);
  answerAssignment(hearth, g.memberIds[0]!, lent.id, true);
  const outbox = new Outbox(join(dir.path, "outbox.db"), paired.deviceId, key.secretKey);
  const heartRate = async (value: number) => {
    outbox.add({ sensor: "heart-rate", observations: [{ loinc: "8867-4", unit: "/min", value }] }, new Date(hearth.now()));
    while (outbox.count()) await uploadOnce(outbox, { url: server.url, deviceId: paired.deviceId });
  };
  await heartRate(72);
  const phq9 = assignMeasure(hearth, { instrument: "phq9", groupId: g.groupId, personId: g.memberIds[0]!, by: g.clinicianIds[0]! });
  await submitResponse(hearth, { personId: g.memberIds[0]!, assignmentId: phq9, answers: [2, 2, 2, 2, 1, 1, 0, 0, 0], difficulty: null, language: "en" });

  const path = `/sessions/${g.sessionId}`;
  const [clinician, a, b] = await Promise.all([g.clinicianIds[0]!, ...g.memberIds].map((id) => signedInPage(browser, server, id)));
  const errors: string[] = [];
  for (const p of [clinician!, a!, b!]) p.on("pageerror", (e) => errors.push(e.message));
  await clinician!.goto(path);
  await clinician!.getByRole("heading", { level: 1, name: "Group session" }).waitFor();
  for (const [page, name] of [[a!, "Member 1"], [b!, "Member 2"]] as const) {
    await page.goto(path);
    await clinician!.getByRole("button", { name: `Admit ${name}` }).click();
    await page.getByRole("button", { name: "Raise hand" }).waitFor();
  }

  const vitalsOfA = tileOf(clinician!, "Member 1").getByRole("list", { name: "Vitals" });
  await vitalsOfA.getByText("Heart rate 72 /min").waitFor({ timeout: 15_000 });
  await vitalsOfA.getByText("PHQ-9 moderate").waitFor();
  await heartRate(81);
  await vitalsOfA.getByText("Heart rate 81 /min").waitFor({ timeout: 15_000 });
  expect(await tileOf(clinician!, "Member 2").locator(".tile-vitals").count()).toBe(0);
  // Each patient's page, once it shows the other's tile (one's own says "You").
  for (const [page, other] of [[a!, "Member 2"], [b!, "Member 1"]] as const) {
    await tileOf(page, other).first().waitFor();
    expect(await page.locator(".tile-vitals").count()).toBe(0);
    expect(await page.locator("main").innerText()).not.toContain("Heart rate");
    expect(await page.locator("main").innerText()).not.toContain("PHQ-9");
  }
  expect(errors).toEqual([]);
  outbox.close();
}, 90_000);

test("the registry, the clinician's vitals page and the patient's consent page, as people see them (axe: nothing serious)", async () => {
  const hearth = server.hearth;
  const g = await makeGroup(hearth, 1);
  const adminId = await addPerson(hearth, "admin", "Ada Admin");
  const [admin, clinician, patient] = await Promise.all([adminId, g.clinicianIds[0]!, g.memberIds[0]!].map((id) => signedInPage(browser, server, id)));
  // A device paired as the agent would (tested on its own in device/test/pairing.test.ts).
  const paired = completePairing(hearth, startPairing(hearth, adminId).code, Buffer.from(generateDeviceKey().publicKey).toString("base64"), "ward kit");
  if (!paired.ok) throw new Error(paired.code);
  await admin!.goto("/admin/devices");
  await admin!.getByRole("heading", { level: 1, name: "Vitals devices" }).waitFor();
  await admin!.getByRole("rowheader", { name: /ward kit/ }).waitFor();
  expect(await admin!.locator(`tr[data-device="${paired.deviceId}"]`).innerText()).toContain("Never uploaded");
  await admin!.getByRole("button", { name: "Pair a device" }).click();
  await admin!.getByText(/hearth-agent pair --code \d{8}/).waitFor();
  // The clinician lends a device to the patient; the patient agrees in their own page.
  await clinician!.goto(`/vitals/patients/${g.memberIds[0]}`);
  await clinician!.getByRole("heading", { level: 1, name: "Vitals of Member 1" }).waitFor();
  await clinician!.getByLabel("Device", { exact: true }).selectOption({ label: "ward kit" });
  await clinician!.getByLabel("From", { exact: true }).fill(new Date(hearth.now() + 86_400_000 * 30).toISOString().slice(0, 10));
  await clinician!.getByRole("button", { name: "Assign" }).click();
  await clinician!.getByText("ward kit: From").waitFor();
  await clinician!.getByText("waiting for their agreement").waitFor();
  await patient!.goto("/vitals/mine");
  await patient!.getByRole("button", { name: "I agree to share" }).click();
  await patient!.getByText("Your answer is saved.").waitFor();
  await patient!.getByRole("button", { name: "Stop sharing" }).waitFor();
  const problems: string[] = [];
  for (const [page, url] of [[admin!, "/admin/devices"], [clinician!, `/vitals/patients/${g.memberIds[0]}`], [patient!, "/vitals/mine"]] as const) {
    await page.goto(url);
    // Only what this capability draws (inside <main>): the shared header belongs to others.
    const inMain = async (v: { nodes: { target: string[] }[] }) => {
      for (const n of v.nodes) if (await page.evaluate((sel) => document.querySelector(sel)?.closest("main") !== null, n.target.join(" "))) return true;
      return false;
    };
    const serious = [];
    for (const v of await axeViolations(page)) if ((v.impact === "serious" || v.impact === "critical") && (await inMain(v))) serious.push(v);
    if (serious.length) problems.push(describeViolations(url, serious));
  }
  expect(problems).toEqual([]);
}, 90_000);
