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
import { makeGroup } from "../room-fixture.ts";
import { launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";
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
