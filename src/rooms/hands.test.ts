import { describe, expect, test } from "bun:test";
import { roomTests } from "../../tests/room-fixture.ts";
import type { RoomSocket } from "../../tests/room-socket.ts";
import { toolStrings } from "./tool-strings.ts";

/** Raised hands through the real room socket: a real server, hand-written sockets, no media needed. */

const rooms = roomTests("43200-43299");
const { open, admit, room } = rooms;

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
    const g = await rooms.world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await admit(g, clinician, g.members[0]!);
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
