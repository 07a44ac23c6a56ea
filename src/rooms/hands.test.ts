import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRoomServer, type GroupFixture, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { toolStrings } from "./tool-strings.ts";

/** Raised hands through the real room socket: a real server, hand-written sockets, no media needed. */

let world: RoomWorld;
const sockets: RoomSocket[] = [];
beforeAll(async () => {
  world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43200-43299" });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await world.close();
});

async function open(g: GroupFixture, cookie: string): Promise<RoomSocket> {
  const s = await RoomSocket.open(world.wsUrl(g.sessionId), cookie);
  sockets.push(s);
  return s;
}

async function room(n: number) {
  const g = await world.group(n);
  const clinician = await open(g, g.clinician);
  const members: RoomSocket[] = [];
  for (const cookie of g.members) {
    const m = await open(g, cookie);
    clinician.send({ type: "admit", memberId: m.memberId });
    await m.next("admitted");
    members.push(m);
  }
  return { g, clinician, members };
}

const queueOf = (s: RoomSocket, since = 0) => s.next("hands", () => true, since).then(() => s.all("hands").at(-1)!.queue.map((h) => h.memberId));

describe("raised hands", () => {
  test("one queue in raise order for everyone; the facilitator calls the first, and the queue moves on", async () => {
    const { clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    const mark = clinician.mark;
    a.send({ type: "hand-raise" });
    await clinician.next("hands", (h) => h.queue.length === 1, mark);
    b.send({ type: "hand-raise" });
    for (const s of [clinician, a, b]) await s.next("hands", (h) => h.queue.length === 2);
    for (const s of [clinician, a, b]) expect(s.all("hands").at(-1)!.queue.map((h) => h.memberId)).toEqual([a.memberId, b.memberId]);
    // Raising twice keeps one's place.
    a.send({ type: "hand-raise" });
    const marks = [clinician, a, b].map((s) => s.mark);
    clinician.send({ type: "hand-call-next" });
    for (const [i, s] of [clinician, a, b].entries()) {
      expect((await s.next("hand-called", () => true, marks[i])).memberId).toBe(a.memberId);
      await s.next("hands", (h) => h.queue.length === 1, marks[i]);
      expect(s.all("hands").at(-1)!.queue.map((h) => h.memberId)).toEqual([b.memberId]);
    }
  });

  test("a member lowers only their own hand; a facilitator lowers anyone's; a member cannot call next", async () => {
    const { clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    a.send({ type: "hand-raise" });
    b.send({ type: "hand-raise" });
    await clinician.next("hands", (h) => h.queue.length === 2);
    let mark = a.mark;
    a.send({ type: "hand-lower", memberId: b.memberId });
    expect((await a.next("error", () => true, mark)).message).toBe(toolStrings("en").handNotYours);
    a.send({ type: "hand-call-next" });
    expect((await a.next("error", (e) => e.ref === "hand-call-next", mark)).code).toBe("not-clinician");
    mark = clinician.mark;
    clinician.send({ type: "hand-lower", memberId: b.memberId });
    await clinician.next("hands", (h) => h.queue.length === 1, mark);
    a.send({ type: "hand-lower" });
    await clinician.next("hands", (h) => h.queue.length === 0, mark);
  });

  test("a member admitted later is told the queue as it stands; a member who leaves takes their hand down", async () => {
    const g = await world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await open(g, g.members[0]!);
    clinician.send({ type: "admit", memberId: a.memberId });
    await a.next("admitted");
    a.send({ type: "hand-raise" });
    await clinician.next("hands", (h) => h.queue.length === 1);
    const late = await open(g, g.members[1]!);
    expect(late.all("hands")).toEqual([]);
    clinician.send({ type: "admit", memberId: late.memberId });
    expect(await queueOf(late)).toEqual([a.memberId]);
    const mark = clinician.mark;
    a.send({ type: "leave" });
    await clinician.next("hands", (h) => h.queue.length === 0, mark);
  });

  test("a member sent back to the waiting room, or removed, leaves the queue", async () => {
    const { clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    a.send({ type: "hand-raise" });
    b.send({ type: "hand-raise" });
    await clinician.next("hands", (h) => h.queue.length === 2);
    let mark = clinician.mark;
    clinician.send({ type: "to-waiting", memberId: a.memberId });
    expect((await clinician.next("hands", () => true, mark)).queue.map((h) => h.memberId)).toEqual([b.memberId]);
    mark = clinician.mark;
    clinician.send({ type: "remove", memberId: b.memberId });
    expect((await clinician.next("hands", () => true, mark)).queue).toEqual([]);
  });
});
