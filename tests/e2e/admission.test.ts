/**
 * Admission control as people see it, in Debian's Chromium: an appliance configured with almost
 * no capacity for video (HEARTH_SFU_CAPACITY_PPS=100). The clinician always gets video and sees
 * that the box is full; a member admitted past capacity is told kindly that they are on sound
 * only, hears the clinician, sends no video, and asking for video again is refused with the
 * same explanation. src/rooms/admission-room.test.ts covers the same with werift members.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer } from "../harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../src/identity/test-client.ts";
import { addMember, createGroup } from "../../src/clinic/groups.ts";
import { openSessionNow } from "../../src/clinic/sessions.ts";
import { roomStrings } from "../../src/rooms/strings.ts";
import { until } from "../room-fixture.ts";
import { axeViolations, describeViolations, keepPeerConnections, launchBrowser, MEDIA_ARGS, signedInPage } from "./browser.ts";

let server: TestServer;
let browser: Browser;
let admin: Client;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "44800-44899", HEARTH_SFU_CAPACITY_PPS: "100" }),
    launchBrowser({ extraArgs: MEDIA_ARGS }),
  ]);
  admin = await firstAdmin(server);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Inbound audio packets and decoded video frames on the page's live connection. */
function inbound(page: Page): Promise<{ audio: number; video: number; videoMLines: number }> {
  return page.evaluate(async () => {
    const out = { audio: 0, video: 0, videoMLines: 0 };
    const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
    const pc = [...pcs].reverse().find((x) => x.connectionState !== "closed");
    if (!pc) return out;
    out.videoMLines = pc.getTransceivers().filter((t) => t.receiver.track.kind === "video" && t.currentDirection !== "inactive").length;
    (await pc.getStats()).forEach((r: { type: string; kind: string; packetsReceived?: number; framesDecoded?: number }) => {
      if (r.type !== "inbound-rtp") return;
      if (r.kind === "audio") out.audio += r.packetsReceived ?? 0;
      else out.video += r.framesDecoded ?? 0;
    });
    return out;
  });
}

test("past capacity, a member joins with sound only and is told why; asking for video is refused kindly; the clinician sees the box is full", async () => {
  const nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  const pat = (await accept(server, await invite(nina, "patient"), "Pat Member")).personId;
  const groupId = await createGroup(server.hearth, { name: "Friday group", createdBy: nina.personId });
  addMember(server.hearth, nina.personId, groupId, pat, "member");
  const sessionPath = `/sessions/${openSessionNow(server.hearth, groupId, nina.personId).id}`;

  const clinician = await signedInPage(browser, server, nina.personId);
  const member = await signedInPage(browser, server, pat);
  await member.context().addInitScript(keepPeerConnections);
  // What the member's page hears on its room socket.
  const heard: { type: string; code?: string }[] = [];
  member.on("websocket", (ws) => ws.on("framereceived", ({ payload }) => heard.push(JSON.parse(String(payload)))));
  await clinician.goto(sessionPath);
  await clinician.getByText("Nobody is waiting.").waitFor();
  await member.goto(sessionPath);
  await clinician.getByRole("button", { name: "Admit Pat Member" }).click();

  // The member: sound only, said plainly, not as their fault; the clinician's audio arrives.
  const atCapacity = roomStrings("en")["at-capacity"];
  await member.getByRole("note").getByText("Sound only for now").waitFor();
  await member.locator("#capacity-text").getByText(atCapacity).waitFor();
  await member.locator("#announcer").getByText(atCapacity).waitFor();
  expect(await member.getByRole("button", { name: "Audio only" }).getAttribute("aria-pressed")).toBe("true");
  await until(async () => (await inbound(member)).audio > 50, 10_000, "the clinician's audio at the member");
  expect(await inbound(member)).toMatchObject({ video: 0, videoMLines: 0 });
  const problems = await axeViolations(member);
  expect(problems.length ? describeViolations("held to sound only", problems) : "").toBe("");

  // The clinician: full, in words; the member's tile says audio only.
  await clinician.locator("#headroom-text").getByText(/^Full\./).waitFor();
  await clinician.locator(".tile").getByText("audio only").waitFor();

  // Asking for video while the box is still full: refused with the same explanation, still sound only.
  expect(heard.filter((m) => m.type === "audio-only")).toHaveLength(1);
  await member.getByRole("button", { name: "Audio only" }).click();
  await until(() => heard.some((m) => m.type === "error" && m.code === "at-capacity"), 10_000, "the server's refusal");
  await member.locator("#announcer").getByText(atCapacity).waitFor();
  await Bun.sleep(1500);
  expect(await member.locator("#capacity-notice").isVisible()).toBe(true);
  expect(await member.getByRole("button", { name: "Audio only" }).getAttribute("aria-pressed")).toBe("true");
  expect(await inbound(member)).toMatchObject({ video: 0, videoMLines: 0 });
  const camera = await member.evaluate(() => [...document.querySelectorAll("video")].some((v) => (v.srcObject as MediaStream | null)?.getVideoTracks().some((t) => t.readyState === "live") ?? false));
  expect(camera).toBe(false);
}, 90_000);
