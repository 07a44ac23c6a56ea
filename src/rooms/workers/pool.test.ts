import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { Bot } from "../../../scripts/bench/sfu-bot.ts";
import { startRoomServer, type GroupFixture, type RoomWorld, until } from "../../../tests/room-fixture.ts";
import { loopbackStunSink } from "../ice.ts";
import { parseCpuList } from "./affinity.ts";
import { portSlices } from "./pool.ts";

/**
 * SFU workers as the server runs them: real child processes, real werift members doing
 * DTLS-SRTP with them over loopback, the real signaling through the main process.
 */

let world: RoomWorld;
let stun: string;
const bots: Bot[] = [];

beforeAll(async () => {
  world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "42400-42599", HEARTH_SFU_WORKERS: "2" });
  stun = await loopbackStunSink();
});
afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.close()));
});
afterAll(() => world.close());

const packets = (b: Bot, key: string) => b.received.get(key)?.packets ?? 0;

/** A clinician and one admitted member, both sending. */
async function pair(on: RoomWorld = world): Promise<{ g: GroupFixture; clinician: Bot; member: Bot }> {
  const g = await on.group(1);
  const clinician = new Bot(on.wsUrl(g.sessionId), { cookie: g.clinician, stun });
  const member = new Bot(on.wsUrl(g.sessionId), { cookie: g.members[0]!, stun });
  bots.push(clinician, member);
  await clinician.connect();
  await member.connect();
  clinician.send({ type: "admit", memberId: member.memberId });
  await member.next("admitted");
  await Promise.all([clinician.connected(), member.connected()]);
  clinician.startMedia();
  member.startMedia();
  return { g, clinician, member };
}

const flowing = (a: Bot, b: Bot) => packets(a, `${b.memberId}:audio`) > 0 && packets(b, `${a.memberId}:audio`) > 0;

describe("SFU workers", () => {
  test("two rooms go to two worker processes, each pinned to its own core, and each forwards its own room", async () => {
    const one = await pair();
    const two = await pair();
    await until(() => flowing(one.clinician, one.member) && flowing(two.clinician, two.member), 5000, "media in both rooms");
    const load = world.rooms.load();
    expect(load.workers.map((w) => w.rooms)).toEqual([1, 1]);
    const pids = load.workers.map((w) => w.pid);
    expect(pids.every((p) => p !== null && p !== process.pid && existsSync(`/proc/${p}`))).toBe(true);
    expect(new Set(pids).size).toBe(2);
    // Each worker reports forwarding (once a second) for its own room.
    await until(() => world.rooms.load().workers.every((w) => w.forwardedPps > 0), 4000, "both workers forwarding");
    const after = world.rooms.load();
    expect(after.forwardedPps).toBe(after.workers[0]!.forwardedPps + after.workers[1]!.forwardedPps);
    for (const w of after.workers) {
      if (w.cpu === null) continue; // fewer than two cores allowed: not pinned
      const allowed = /^Cpus_allowed_list:\s*(\S+)/m.exec(await Bun.file(`/proc/${w.pid}/status`).text())![1]!;
      expect(parseCpuList(allowed)).toEqual([w.cpu]);
    }
  });

  test("a worker that dies is replaced; its room's members get fresh connections without knocking, and the other room never notices", async () => {
    const one = await pair();
    const two = await pair();
    await until(() => flowing(one.clinician, one.member) && flowing(two.clinician, two.member), 5000, "media in both rooms");
    const worker = world.rooms.load().workers.find((w) => w.rooms > 0 && w.pid !== null)!;
    // Rooms of the test before may still hold places (members keep theirs for the grace period):
    // which of these two rooms is on the worker we kill is told by who gets a fresh offer.
    const victims = [one, two];
    const seen = victims.map((r) => r.member.messages.length);
    process.kill(worker.pid!, "SIGKILL");
    await until(() => world.rooms.load().workers[worker.index]!.pid !== null && world.rooms.load().workers[worker.index]!.pid !== worker.pid, 5000, "a new worker");
    const replaced = world.rooms.load().workers[worker.index]!;
    expect(replaced.restarts).toBe(1);
    // Everyone in every room has media again; whoever was on the dead worker got a fresh offer.
    for (const r of victims) {
      const before = [packets(r.member, `${r.clinician.memberId}:audio`), packets(r.clinician, `${r.member.memberId}:audio`)];
      await until(
        () => packets(r.member, `${r.clinician.memberId}:audio`) > before[0]! + 20 && packets(r.clinician, `${r.member.memberId}:audio`) > before[1]! + 20,
        8000,
        "media after the restart",
      );
      expect(r.member.messages.slice(seen[victims.indexOf(r)]).some((m) => m.type === "waiting" || m.type === "error")).toBe(false);
    }
    const fresh = victims.filter((r) => r.member.messages.filter((m) => m.type === "offer" && m.fresh).length === 2);
    expect(fresh.length).toBe(1);
    expect(fresh[0]!.clinician.messages.filter((m) => m.type === "offer" && m.fresh).length).toBe(2);
  });

  test("HEARTH_SFU_WORKERS=0 keeps media in the main process", async () => {
    const inProcess = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "42600-42649", HEARTH_SFU_WORKERS: "0" });
    try {
      const { clinician, member } = await pair(inProcess);
      await until(() => flowing(clinician, member), 5000, "media");
      await until(() => inProcess.rooms.load().forwardedPps > 0, 3000, "forwarding counted");
      expect(inProcess.rooms.load().workers).toMatchObject([{ pid: process.pid, rooms: 1, members: 2 }]);
    } finally {
      await Promise.all(bots.splice(0).map((b) => b.close()));
      await inProcess.close();
    }
  });

  test("stopping the server stops its workers", async () => {
    const other = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "42650-42699", HEARTH_SFU_WORKERS: "1" });
    const { clinician, member } = await pair(other);
    await until(() => flowing(clinician, member), 5000, "media");
    const pid = other.rooms.load().workers[0]!.pid!;
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await Promise.all(bots.splice(0).map((b) => b.close()));
    await other.close();
    await until(() => !existsSync(`/proc/${pid}`), 3000, "the worker gone");
  });

  test("a worker whose server is killed outright exits by itself (its ports free up for the next start)", async () => {
    // A stand-in server: spawns one worker the way the pool does, prints its pid, then waits.
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const script = `
      const w = Bun.spawn([process.execPath, ${JSON.stringify(main)}, "sfu-worker"], {
        stdio: ["ignore", "inherit", "inherit"],
        ipc(msg) {
          if (msg.ev === "hello") w.send({ op: "init", index: 0, cpu: -1, settings: { addresses: ["127.0.0.1"], ports: [42700, 42709], stun: null, stunConfigured: false, engine: "fast" } });
          if (msg.ev === "ready") console.log(w.pid);
        },
      });
      await Bun.sleep(60000);`;
    const server = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "inherit" });
    const reader = server.stdout.getReader();
    const { value } = await reader.read();
    const pid = Number(new TextDecoder().decode(value).trim());
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    server.kill("SIGKILL");
    await until(() => !existsSync(`/proc/${pid}`), 5000, "the orphaned worker gone");
  });

  test("port ranges are split without overlap", () => {
    expect(portSlices([40000, 40999], 4)).toEqual([
      [40000, 40249],
      [40250, 40499],
      [40500, 40749],
      [40750, 40999],
    ]);
    expect(portSlices([40000, 40010], 2)).toEqual([
      [40000, 40004],
      [40005, 40010],
    ]);
    expect(parseCpuList("0-2,5")).toEqual([0, 1, 2, 5]);
  });
});
