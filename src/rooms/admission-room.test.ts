import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Bot } from "../../scripts/bench/sfu-bot.ts";
import { cookieFor, startRoomServer, type GroupFixture, type RoomWorld, until } from "../../tests/room-fixture.ts";
import { loopbackStunSink } from "./ice.ts";
import type { ServerMessage } from "./protocol.ts";
import { roomStrings } from "./strings.ts";

/**
 * Admission control in a real room: a server whose SFU may carry only 600 forwarded packets/s,
 * real werift members doing DTLS-SRTP over loopback. With the safe load at 100%, the box's CPU
 * (shared with other tests on this machine) never decides alone: the packet budget does.
 *
 * The arithmetic (src/rooms/admission.ts: 100 packets/s per video stream, 50 per audio stream):
 * the first member joining the clinician adds 200 of video (theirs to the clinician, the
 * clinician's to them), which fits in 600; the second would add 400 of video on top of the
 * first join (300, still counted for 5 s as the measured rate catches up), which does not.
 */

let world: RoomWorld;
let stun: string;
const bots: Bot[] = [];

beforeAll(async () => {
  world = await startRoomServer({
    HEARTH_RTC_ADDRESSES: "127.0.0.1",
    HEARTH_RTC_PORTS: "42600-42799",
    HEARTH_SFU_CAPACITY_PPS: "600",
    HEARTH_SFU_SAFE_LOAD_PCT: "100",
  });
  stun = await loopbackStunSink();
});
afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.close()));
});
afterAll(() => world.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Offer = Extract<ServerMessage, { type: "offer" }>;
type RoomMessage = Extract<ServerMessage, { type: "room" }>;

function bot(g: GroupFixture, cookie: string): Bot {
  const b = new Bot(world.wsUrl(g.sessionId), { cookie, stun });
  bots.push(b);
  return b;
}

/** Waits until nothing is forwarded and no recent join is still counted, so each test starts from an idle box. */
async function idleBox(): Promise<void> {
  const end = Date.now() + 15_000;
  while (world.rooms.admission.headroom().usedPps > 0) {
    if (Date.now() > end) throw new Error("the SFU did not go idle");
    await sleep(200);
  }
}

async function admit(clinician: Bot, member: Bot): Promise<Offer> {
  await member.connect();
  clinician.send({ type: "admit", memberId: member.memberId });
  await member.next("admitted");
  return (await member.next("offer", 10_000)) as Offer;
}

const mLines = (sdp: string) => [...sdp.matchAll(/^m=(\w+) /gm)].map((m) => m[1]);
const packets = (b: Bot, key: string) => b.received.get(key)?.packets ?? 0;

describe("admission control in a room", () => {
  test("a member admitted within capacity gets video; one admitted past it gets the audio-only notice and an offer with audio only", async () => {
    await idleBox();
    const g = await world.group(2);
    const clinician = bot(g, g.clinician);
    await clinician.connect();
    await clinician.next("offer");

    const first = bot(g, g.members[0]!);
    const within = await admit(clinician, first);
    expect(within.send.map((s) => s.source).sort()).toEqual(["audio", "camera"]);
    expect(mLines(within.sdp)).toContain("video");
    expect(first.messages.some((m) => m.type === "audio-only")).toBe(false);

    const second = bot(g, g.members[1]!);
    await second.connect();
    clinician.send({ type: "admit", memberId: second.memberId });
    await second.next("admitted");
    // The notice comes before the offer, in the member's language, and is not an error.
    const notice = await second.next((m) => m.type === "audio-only" || m.type === "offer");
    expect(notice).toEqual({ type: "audio-only", reason: "capacity", message: roomStrings("en")["at-capacity"] });
    const past = (await second.next("offer", 10_000)) as Offer;
    expect(past.send).toEqual([expect.objectContaining({ source: "audio" })]);
    expect(mLines(past.sdp)).not.toContain("video");

    // Everyone sees them as audio only; the clinician's room message says the box is full.
    const view = (await clinician.next((m) => m.type === "room" && m.members.some((x) => x.id === second.memberId && x.state === "admitted"))) as RoomMessage;
    expect(view.members.find((x) => x.id === second.memberId)).toMatchObject({ audioOnly: true, camera: false });
    expect(view.headroom).toMatchObject({ level: "full", percentFree: 0, videoJoinsLeft: 0 });
    const memberView = (await first.next((m) => m.type === "room" && m.members.some((x) => x.id === second.memberId))) as RoomMessage;
    expect(memberView.headroom).toBeUndefined();
    expect(memberView.waiting).toBeUndefined();

    // Media flows as offered: the second member hears both others and receives no video at all.
    await Promise.all([clinician, first, second].map((b) => b.connected()));
    for (const b of [clinician, first, second]) b.startMedia();
    await until(() => packets(second, `${clinician.memberId}:audio`) >= 10 && packets(second, `${first.memberId}:audio`) >= 10, 5000, "audio to the member on sound only");
    await until(() => packets(first, `${clinician.memberId}:camera`) >= 5, 5000, "video to the member within capacity");
    expect([...second.received.keys()].filter((k) => k.endsWith(":camera") || k.endsWith(":screen"))).toEqual([]);
    // Once everyone sends, the offers carry the others' audio to them, and still no video m-line.
    await until(() => (second.lastOffer?.receive.length ?? 0) === 2, 5000, "the others' audio in the offer");
    expect(second.lastOffer!.receive.map((r) => `${r.memberId}:${r.source}`).sort()).toEqual([`${clinician.memberId}:audio`, `${first.memberId}:audio`].sort());
    expect(mLines(second.lastOffer!.sdp)).not.toContain("video");
  }, 30_000);

  test("asking for video while the box is still full is refused with the same explanation; the member stays on sound only", async () => {
    await idleBox();
    const g = await world.group(2);
    const clinician = bot(g, g.clinician);
    await clinician.connect();
    await clinician.next("offer");
    const first = bot(g, g.members[0]!);
    await admit(clinician, first);
    const held = bot(g, g.members[1]!);
    await admit(clinician, held);
    expect(held.messages.some((m) => m.type === "audio-only")).toBe(true);
    // Media flows, so the measured rate (not only the recent joins) keeps the box full.
    await Promise.all([clinician, first, held].map((b) => b.connected()));
    for (const b of [clinician, first, held]) b.startMedia();
    await until(() => packets(held, `${clinician.memberId}:audio`) >= 10, 5000, "audio to the member on sound only");

    held.send({ type: "mode", audioOnly: false });
    const refusal = await held.next("error");
    expect(refusal).toEqual({ type: "error", code: "at-capacity", message: roomStrings("en")["at-capacity"], ref: "mode" });
    // The camera stays refused too (audio-only mode), and no new offer with video follows.
    held.send({ type: "camera", on: true });
    expect(await held.next("error")).toMatchObject({ code: "audio-only" });
    await sleep(300);
    const offers = held.messages.filter((m): m is Offer => m.type === "offer");
    expect(offers.every((o) => o.send.every((s) => s.source === "audio"))).toBe(true);
    const stats = await world.rooms.room(g.sessionId)!.stats();
    expect(stats.members.find((m) => m.id === held.memberId)).toMatchObject({ audioOnly: true });
  }, 30_000);

  test("a clinician always gets video, even when the box is full", async () => {
    await idleBox();
    const g = await world.group(2, { clinicians: 2 });
    const clinician = bot(g, g.clinician);
    await clinician.connect();
    await clinician.next("offer");
    await admit(clinician, bot(g, g.members[0]!));
    const held = bot(g, g.members[1]!);
    await admit(clinician, held);
    expect(held.messages.some((m) => m.type === "audio-only")).toBe(true);
    const coFacilitator = bot(g, cookieFor(world.hearth, g.clinicianIds[1]!));
    await coFacilitator.connect();
    const offer = (await coFacilitator.next("offer", 10_000)) as Offer;
    expect(offer.send.map((s) => s.source).sort()).toEqual(["audio", "camera"]);
    expect(coFacilitator.messages.some((m) => m.type === "audio-only")).toBe(false);
  }, 30_000);
});
