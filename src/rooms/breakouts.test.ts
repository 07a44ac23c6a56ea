import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Bot } from "../../scripts/bench/sfu-bot.ts";
import { roomTests, startRoomServer, until, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { fill } from "../ui/i18n.ts";
import { breakoutStrings } from "./breakouts-strings.ts";
import { visitsOf } from "./attendance.ts";
import { loopbackStunSink } from "./ice.ts";

/**
 * Breakout rooms through the real room socket: a real server, hand-written sockets for the rules,
 * and real werift peers (the bench's bots, DTLS-SRTP over loopback) for where media goes.
 */

const s = breakoutStrings("en");
// Media in this process for the rules; the media describe below runs its own workers.
const t = roomTests("47000-47099", { HEARTH_SFU_WORKERS: "0" });
const { open } = t;
/** A group of `n + extra` members with `n` of them admitted (the others free to knock later). */
const room = (n: number, extra = 0) => t.room(n + extra, { admit: n });

/** The next `breakouts` state after `mark` that satisfies `where`. */
const stateOf = (x: RoomSocket, where: (m: { open: boolean; place: number; assignments: { memberId: number; room: number }[] }) => boolean, mark = 0) =>
  x.next("breakouts", where, mark);

const errorFor = (x: RoomSocket, ref: string, mark: number) => x.next("error", (e) => e.ref === ref, mark);

describe("breakout rooms: the rules", () => {
  test("only facilitators open, assign, visit, broadcast and close; a waiting member hears none of it", async () => {
    const { g, clinician, members } = await room(2, 1);
    const [a] = members as [RoomSocket];
    const waiting = await open(g, g.members[2]!);
    const mark = a.mark;
    const tries = [
      { type: "breakout-open", rooms: 2 },
      { type: "breakout-assign", memberId: a.memberId, room: 1 },
      { type: "breakout-visit", room: 1 },
      { type: "breakout-broadcast", text: "hello" },
      { type: "breakout-close" },
    ];
    for (const msg of tries) a.send(msg);
    for (const msg of tries) expect((await errorFor(a, msg.type, mark)).code).toBe("not-clinician");
    // A waiting member's own tries are refused as not admitted.
    for (const msg of tries) waiting.send(msg);
    for (const msg of tries) expect((await errorFor(waiting, msg.type, 0)).code).toBe("not-clinician");
    clinician.send({ type: "breakout-open", rooms: 2, minutes: 1 });
    await stateOf(a, (m) => m.open);
    clinician.send({ type: "breakout-broadcast", text: "Two minutes to finish up" });
    expect((await a.next("breakout-message")).text).toBe("Two minutes to finish up");
    t.world.clock.advance(1000);
    await a.next("breakout-warning", () => true, 0, 4000);
    const mark2 = a.mark;
    clinician.send({ type: "breakout-close" });
    await stateOf(a, (m) => !m.open, mark2);
    expect(waiting.messages.filter((m) => m.type.startsWith("breakout"))).toEqual([]);
    expect(a.messages.some((m) => m.type === "breakouts")).toBe(true);
  });

  test("by hand: each member to their room, whoever the list left out to the smallest; at random: everyone, evenly", async () => {
    const { clinician, members } = await room(5);
    const [a, b, c, d, e] = members as [RoomSocket, RoomSocket, RoomSocket, RoomSocket, RoomSocket];
    let mark = clinician.mark;
    clinician.send({
      type: "breakout-open",
      rooms: 3,
      assignments: [
        { memberId: a.memberId, room: 1 },
        { memberId: b.memberId, room: 1 },
        { memberId: c.memberId, room: 2 },
        { memberId: d.memberId, room: 2 },
      ],
    });
    const split = await stateOf(clinician, (m) => m.open, mark);
    const where = new Map(split.assignments.map((x) => [x.memberId, x.room]));
    expect([a, b, c, d, e].map((m) => where.get(m.memberId))).toEqual([1, 1, 2, 2, 3]);
    expect(split.place).toBe(0);
    // Each page is told its own place.
    for (const [m, room] of [[a, 1], [c, 2], [e, 3]] as const) expect((await stateOf(m, (x) => x.open)).place).toBe(room);
    // Opening twice is refused; so is moving someone to a room that is not there.
    clinician.send({ type: "breakout-open", rooms: 2 });
    expect((await errorFor(clinician, "breakout-open", mark)).message).toBe(s["breakout-open"]);
    clinician.send({ type: "breakout-assign", memberId: e.memberId, room: 4 });
    expect((await errorFor(clinician, "breakout-assign", mark)).message).toBe(fill(s["breakout-bad-room"], { n: 3 }));
    mark = e.mark;
    clinician.send({ type: "breakout-assign", memberId: e.memberId, room: 1 });
    expect((await stateOf(e, () => true, mark)).place).toBe(1);
    const marks = members.map((m) => m.mark);
    mark = clinician.mark;
    clinician.send({ type: "breakout-close" });
    await stateOf(clinician, (m) => !m.open && m.assignments.length === 0, mark);
    for (const [i, m] of members.entries()) await stateOf(m, (x) => !x.open && x.place === 0, marks[i]);

    mark = clinician.mark;
    clinician.send({ type: "breakout-open", rooms: 2 });
    const random = await stateOf(clinician, (m) => m.open, mark);
    const sizes = [1, 2].map((r) => random.assignments.filter((x) => x.room === r).length).sort();
    expect(sizes).toEqual([2, 3]);
    expect(new Set(random.assignments.map((x) => x.memberId))).toEqual(new Set(members.map((m) => m.memberId)));
    mark = clinician.mark;
    clinician.send({ type: "breakout-close" });
    await stateOf(clinician, (m) => !m.open, mark);
  });

  test("bad input gets a clear answer naming what is wrong, and nothing opens", async () => {
    const { clinician, members } = await room(2);
    const [a] = members as [RoomSocket];
    const cases: [object, string][] = [
      [{ type: "breakout-open", rooms: 9 }, s["breakout-rooms"]],
      [{ type: "breakout-open", rooms: 1 }, s["breakout-rooms"]],
      [{ type: "breakout-open", rooms: 2, minutes: 0 }, s["breakout-minutes"]],
      [{ type: "breakout-open", rooms: 2, minutes: 121 }, s["breakout-minutes"]],
      [{ type: "breakout-open", rooms: 2, assignments: [{ memberId: 999_999, room: 1 }] }, s["breakout-no-such-member"]],
      [{ type: "breakout-open", rooms: 2, assignments: [{ memberId: clinician.memberId, room: 1 }] }, s["breakout-no-such-member"]],
      [{ type: "breakout-open", rooms: 2, assignments: [{ memberId: a.memberId, room: 3 }] }, fill(s["breakout-bad-room"], { n: 2 })],
      [{ type: "breakout-visit", room: 1 }, s["breakout-not-open"]],
      [{ type: "breakout-broadcast", text: "hi" }, s["breakout-not-open"]],
      [{ type: "breakout-close" }, s["breakout-not-open"]],
    ];
    for (const [msg, message] of cases) {
      const mark = clinician.mark;
      clinician.send(msg);
      expect((await clinician.next("error", () => true, mark)).message).toBe(message);
    }
    // Out of the schema altogether: the room's own answer.
    const mark = clinician.mark;
    clinician.send({ type: "breakout-open", rooms: "two" });
    expect((await clinician.next("error", () => true, mark)).code).toBe("malformed");
    expect(clinician.all("breakouts").every((m) => !m.open)).toBe(true);
    clinician.send({ type: "breakout-open", rooms: 2 });
    await stateOf(clinician, (m) => m.open);
    const long = clinician.mark;
    clinician.send({ type: "breakout-broadcast", text: "x".repeat(201) });
    expect((await clinician.next("error", () => true, long)).message).toBe(s["breakout-message"]);
    clinician.send({ type: "breakout-close" });
  });

  test("the timer: a warning one minute before its end, then everyone back, by the room's clock", async () => {
    const { clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    clinician.send({ type: "breakout-open", rooms: 2, minutes: 3 });
    const opened = await stateOf(a, (m) => m.open);
    expect(opened.secondsLeft).toBe(180);
    t.world.clock.advance(100_000);
    await Bun.sleep(1300);
    expect(a.all("breakout-warning")).toEqual([]);
    t.world.clock.advance(21_000);
    const warning = await a.next("breakout-warning", () => true, 0, 4000);
    expect(warning.secondsLeft).toBeLessThanOrEqual(60);
    expect(warning.secondsLeft).toBeGreaterThan(50);
    await b.next("breakout-warning", () => true, 0, 4000);
    expect(a.all("breakouts").at(-1)!.open).toBe(true);
    const marks = [a, b, clinician].map((m) => m.mark);
    t.world.clock.advance(60_000);
    for (const [i, m] of [a, b, clinician].entries()) await stateOf(m, (x) => !x.open && x.place === 0, marks[i]);
    expect(a.all("breakout-warning")).toHaveLength(1);
  });

  test("admission holds: a knock waits for a facilitator, the newly admitted land in the main room, the lock is the room's; a member who drops comes back to their breakout, one sent back comes in to the main room", async () => {
    const { g, clinician, members } = await room(2, 2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    clinician.send({ type: "breakout-open", rooms: 2, assignments: [{ memberId: a.memberId, room: 1 }, { memberId: b.memberId, room: 2 }] });
    await stateOf(a, (m) => m.open && m.place === 1);
    const late = await open(g, g.members[2]!);
    await clinician.next("room", (r) => !!r.waiting?.some((w) => w.id === late.memberId));
    await Bun.sleep(200);
    expect(late.all("admitted")).toEqual([]);
    expect(late.all("breakouts")).toEqual([]);
    clinician.send({ type: "admit", memberId: late.memberId });
    const arrived = await stateOf(late, () => true);
    expect(arrived).toMatchObject({ open: true, place: 0 });
    expect(arrived.assignments.some((x) => x.memberId === late.memberId)).toBe(false);
    // The lock refuses a new member while breakouts are open, as ever.
    clinician.send({ type: "lock", locked: true });
    await clinician.next("room", (r) => r.locked);
    const knock = new WebSocket(t.world.wsUrl(g.sessionId), { headers: { cookie: g.members[3]! } } as unknown as string[]);
    expect(await new Promise<number>((r) => (knock.onclose = (e) => r(e.code)))).toBe(4423);
    // Dropped and back within the grace: the same breakout.
    a.close();
    await until(() => t.world.rooms.room(g.sessionId)?.memberByPerson(g.memberIds[0]!)?.state === "away", 3000, "a away");
    const again = await open(g, g.members[0]!);
    expect((await stateOf(again, () => true)).place).toBe(1);
    expect((await t.world.rooms.room(g.sessionId)!.stats()).members.find((m) => m.id === again.memberId)!.place).toBe(1);
    // Sent back to the waiting room: no breakout message while there, and the main room once admitted again.
    const mark = b.mark;
    clinician.send({ type: "to-waiting", memberId: b.memberId });
    await b.next("waiting", () => true, mark);
    clinician.send({ type: "breakout-broadcast", text: "Back in five" });
    await again.next("breakout-message");
    await Bun.sleep(200);
    expect(b.messages.slice(mark).filter((m) => m.type.startsWith("breakout"))).toEqual([]);
    clinician.send({ type: "admit", memberId: b.memberId });
    expect((await stateOf(b, () => true, mark)).place).toBe(0);
    expect((await t.world.rooms.room(g.sessionId)!.stats()).members.find((m) => m.id === b.memberId)!.place).toBe(0);
    clinician.send({ type: "breakout-close" });
  });
});

describe("breakout rooms: where media goes", () => {
  let media: RoomWorld;
  let stun: string;
  const bots: Bot[] = [];
  beforeAll(async () => {
    // Two workers: a session's breakouts must share its main room's.
    media = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "47100-47299", HEARTH_SFU_WORKERS: "2" });
    stun = await loopbackStunSink();
  });
  afterEach(async () => {
    await Promise.all(bots.splice(0).map((b) => b.close()));
  });
  afterAll(() => media.close());

  const packets = (b: Bot, key: string) => b.received.get(key)?.packets ?? 0;

  /** Who each member has consumers of, by the server's own table. */
  async function heard(sessionId: number): Promise<Map<number, { place: number; from: Set<number> }>> {
    const stats = await media.rooms.room(sessionId)!.stats();
    return new Map(stats.members.map((m) => [m.id, { place: m.place, from: new Set(m.consumers.map((c) => c.from)) }]));
  }

  test("a member in a breakout is sent only that breakout's streams, on the main room's worker; a worker crash keeps everyone in their breakout; back together after", async () => {
    const g = await media.group(4);
    const make = (cookie: string) => {
      const b = new Bot(media.wsUrl(g.sessionId), { cookie, stun, publish: ["audio", "camera"] });
      bots.push(b);
      return b;
    };
    const clinician = make(g.clinician);
    await clinician.connect();
    const members: Bot[] = [];
    for (const cookie of g.members) {
      const m = make(cookie);
      await m.connect();
      clinician.send({ type: "admit", memberId: m.memberId });
      await m.next("admitted");
      members.push(m);
    }
    await Promise.all([clinician, ...members].map((b) => b.connected(10_000)));
    for (const b of [clinician, ...members]) b.startMedia({ videoPps: 15, audioPps: 20 });
    const [a, b, c, d] = members as [Bot, Bot, Bot, Bot];
    const everyone = [clinician, a, b, c, d];
    const others = (x: Bot, group: Bot[]) => new Set(group.filter((y) => y !== x).map((y) => y.memberId));
    await until(async () => {
      const h = await heard(g.sessionId);
      return everyone.every((x) => h.get(x.memberId)!.from.size === 4);
    }, 10_000, "everyone hears everyone");
    const sources = async (x: Bot) =>
      (await media.rooms.room(g.sessionId)!.stats()).members.find((m) => m.id === x.memberId)!.consumers.map((c) => `${c.from}:${c.source}`).sort();
    // D chose sound only before the split: the choice goes with them.
    d.send({ type: "mode", audioOnly: true });
    await until(async () => (await sources(d)).every((k) => k.endsWith(":audio")) && !(await sources(c)).includes(`${d.memberId}:camera`), 5000, "D on sound only");

    clinician.send({
      type: "breakout-open",
      rooms: 2,
      assignments: [
        { memberId: a.memberId, room: 1 },
        { memberId: b.memberId, room: 1 },
        { memberId: c.memberId, room: 2 },
        { memberId: d.memberId, room: 2 },
      ],
    });
    const pairs: [Bot, Bot, number][] = [[a, b, 1], [b, a, 1], [c, d, 2], [d, c, 2]];
    const split = async () => {
      const h = await heard(g.sessionId);
      return pairs.every(([x, partner, room]) => h.get(x.memberId)!.place === room && eq(h.get(x.memberId)!.from, new Set([partner.memberId]))) && h.get(clinician.memberId)!.from.size === 0;
    };
    await until(split, 10_000, "each member hears only their breakout");
    expect(await sources(d)).toEqual([`${c.memberId}:audio`]);
    expect(await sources(c)).toEqual([`${d.memberId}:audio`]);
    // Video again, inside the breakout: the breakout's own media applies it.
    d.send({ type: "mode", audioOnly: false });
    await until(
      async () => eq(new Set(await sources(d)), new Set([`${c.memberId}:audio`, `${c.memberId}:camera`])) && (await sources(c)).includes(`${d.memberId}:camera`),
      10_000,
      "D's video in room 2",
    );
    // One worker carries the main room and both breakouts; the other carries nothing.
    expect(media.rooms.load().workers.map((w) => w.rooms).sort()).toEqual([0, 3]);
    // Packets: each member's page receives its partner's camera, and nothing more from the other breakout.
    const before = new Map(pairs.map(([x]) => [x, { partner: 0, other: 0 }]));
    for (const [x, partner] of pairs) {
      const other = pairs.find(([y]) => y !== x && y !== partner)![0];
      before.set(x, { partner: packets(x, `${partner.memberId}:camera`), other: packets(x, `${other.memberId}:camera`) });
    }
    await until(() => pairs.every(([x, partner]) => packets(x, `${partner.memberId}:camera`) >= before.get(x)!.partner + 30), 10_000, "partners' video flows");
    for (const [x, partner] of pairs) {
      const other = pairs.find(([y]) => y !== x && y !== partner)![0];
      expect(packets(x, `${other.memberId}:camera`)).toBe(before.get(x)!.other);
    }

    // The facilitator visits room 2: their media moves there, and room 1 does not hear them.
    clinician.send({ type: "breakout-visit", room: 2 });
    await until(async () => {
      const h = await heard(g.sessionId);
      return eq(h.get(clinician.memberId)!.from, new Set([c.memberId, d.memberId])) && h.get(c.memberId)!.from.has(clinician.memberId) && !h.get(a.memberId)!.from.has(clinician.memberId);
    }, 10_000, "the facilitator in room 2");

    // The worker dies: it is replaced, and everyone's media starts over in the same place.
    const worker = media.rooms.load().workers.find((w) => w.rooms === 3)!;
    process.kill(worker.pid!, "SIGKILL");
    await until(() => media.rooms.load().workers[worker.index]!.restarts === 1, 5000, "worker replaced");
    const visited = async () => {
      const h = await heard(g.sessionId);
      const hears = (x: Bot, ...from: Bot[]) => eq(h.get(x.memberId)?.from ?? new Set(), new Set(from.map((y) => y.memberId)));
      return hears(a, b) && hears(b, a) && hears(c, d, clinician) && hears(d, c, clinician) && hears(clinician, c, d);
    };
    await until(visited, 20_000, "media back in each breakout after the crash");
    // Attendance is the Room's: the crash ended nobody's visit.
    const visits = visitsOf(media.hearth.db, g.sessionId);
    expect(visits).toHaveLength(5);
    expect(visits.every((v) => v.admittedAt !== null && v.leftAt === null && v.outcome === null)).toBe(true);

    clinician.send({ type: "breakout-close" });
    await until(async () => {
      const h = await heard(g.sessionId);
      return everyone.every((x) => h.get(x.memberId)!.place === 0 && eq(h.get(x.memberId)!.from, others(x, everyone)));
    }, 15_000, "everyone together again");
    const together = new Map(pairs.map(([x, , ]) => [x, packets(x, `${pairs.find(([y, p]) => y !== x && p !== x)![0].memberId}:camera`)]));
    await until(() => pairs.every(([x]) => packets(x, `${pairs.find(([y, p]) => y !== x && p !== x)![0].memberId}:camera`) > together.get(x)! + 15), 10_000, "video across the former breakouts");
    expect(media.rooms.load().workers.map((w) => w.rooms).sort()).toEqual([0, 1]);
  }, 90_000);
});

function eq<T>(x: Set<T>, y: Set<T>): boolean {
  return x.size === y.size && [...x].every((v) => y.has(v));
}
