import { afterAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import dns from "node:dns";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { Bot } from "../../scripts/bench/sfu-bot.ts";
import { startRoomServer, type RoomWorld } from "../../tests/room-fixture.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { acceptableCandidate, filterSdpCandidates, loopbackStunSink } from "./ice.ts";

/**
 * Where media may go: host candidates only on the configured addresses and ports, and with
 * nothing configured, not one packet (nor a DNS query) to anything outside this machine.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function candidates(sdp: string): { address: string; port: number }[] {
  return sdp
    .split(/\r\n/)
    .filter((l) => l.startsWith("a=candidate:"))
    .map((l) => {
      const p = l.split(" ");
      return { address: p[4]!, port: Number(p[5]) };
    });
}

/** A clinician and a member, admitted and exchanging media; returns what the member saw offered. */
async function call(world: RoomWorld): Promise<{ clinician: Bot; member: Bot }> {
  const g = await world.group(1);
  const stun = await loopbackStunSink();
  const clinician = new Bot(world.wsUrl(g.sessionId), { cookie: g.clinician, stun });
  const member = new Bot(world.wsUrl(g.sessionId), { cookie: g.members[0]!, stun });
  cleanups.push(() => clinician.close(), () => member.close());
  await clinician.connect();
  await member.connect();
  clinician.send({ type: "admit", memberId: member.memberId });
  await Promise.all([clinician.connected(), member.connected()]);
  clinician.startMedia();
  member.startMedia();
  const end = Date.now() + 3000;
  while ((member.received.get(`${clinician.memberId}:camera`)?.packets ?? 0) < 5 && Date.now() < end) await Bun.sleep(25);
  return { clinician, member };
}

describe("rooms: network reach", () => {
  test("ICE host candidates are exactly the configured addresses, on ports from the configured range", async () => {
    // 203.0.113.7 stands for the clinic's public address (forwarded by its router): on no interface here.
    const world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1,203.0.113.7", HEARTH_RTC_PORTS: "43000-43049" });
    cleanups.push(() => world.close());
    const { member, clinician } = await call(world);
    expect(member.received.get(`${clinician.memberId}:camera`)?.packets ?? 0).toBeGreaterThan(0);
    const offered = member.messages.flatMap((m) => (m.type === "offer" ? candidates(m.sdp) : []));
    expect(offered.length).toBeGreaterThan(0);
    expect(new Set(offered.map((c) => c.address))).toEqual(new Set(["127.0.0.1", "203.0.113.7"]));
    for (const c of offered) expect(c.port >= 43000 && c.port <= 43049).toBe(true);
  });

  test("with nothing configured, the process sends no packet and makes no DNS query beyond this machine", async () => {
    const local = new Set<string>(["127.0.0.1", "::1"]);
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) local.add(a.address);
    const destinations: string[] = [];
    const lookups: string[] = [];
    const proto = dgram.Socket.prototype as unknown as { send: (...args: unknown[]) => unknown };
    const send = proto.send;
    proto.send = function (this: unknown, ...args: unknown[]) {
      // send(msg, [offset, length,] port, address, [callback])
      const address = args.find((a, i) => i > 0 && typeof a === "string") as string | undefined;
      destinations.push(address ?? "(connected)");
      return send.apply(this, args);
    };
    const lookup = dns.lookup;
    const promisesLookup = dns.promises.lookup;
    (dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      lookups.push(host);
      return (lookup as (...a: unknown[]) => unknown)(host, ...rest);
    };
    (dns.promises as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      lookups.push(host);
      return (promisesLookup as (...a: unknown[]) => unknown)(host, ...rest);
    };
    try {
      const world = await startRoomServer();
      cleanups.push(() => world.close());
      const { member, clinician } = await call(world);
      // A browser's mDNS candidate is dropped, not resolved with a multicast query.
      member.send({ type: "candidate", candidate: "candidate:9 1 udp 2122260223 6b1e1f0e-4b8a-4f7e.local 51000 typ host" });
      await Bun.sleep(500);
      expect(member.received.get(`${clinician.memberId}:camera`)?.packets ?? 0).toBeGreaterThan(0);
      const offered = member.messages.flatMap((m) => (m.type === "offer" ? candidates(m.sdp) : []));
      for (const c of offered) expect(local.has(c.address)).toBe(true);
    } finally {
      proto.send = send;
      (dns as { lookup: unknown }).lookup = lookup;
      (dns.promises as { lookup: unknown }).lookup = promisesLookup;
    }
    expect(destinations.length).toBeGreaterThan(100);
    expect([...new Set(destinations)].filter((d) => !(isIP(d) && (local.has(d) || d.startsWith("127."))))).toEqual([]);
    // dgram passes literal addresses through lookup too, which answers without asking anyone.
    expect(lookups.filter((h) => !isIP(h))).toEqual([]);
  });

  test("browser candidates are kept only when they name a literal address", () => {
    expect(acceptableCandidate("candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host")).toBe(true);
    expect(acceptableCandidate("a=candidate:1 1 UDP 2122260223 fd00::5 50000 typ host")).toBe(true);
    expect(acceptableCandidate("candidate:1 1 udp 2122260223 abcd.local 50000 typ host")).toBe(false);
    expect(acceptableCandidate("candidate:1 1 udp 2122260223 stun.example.org 50000 typ srflx")).toBe(false);
    expect(acceptableCandidate("candidate:1 1 tcp 2122260223 192.168.1.20 9 typ host tcptype active")).toBe(false);
    expect(acceptableCandidate("garbage")).toBe(false);
    const sdp = ["v=0", "a=candidate:1 1 udp 1 10.0.0.2 5000 typ host", "a=candidate:2 1 udp 1 x.local 5000 typ host", "a=end-of-candidates"].join("\r\n");
    expect(filterSdpCandidates(sdp)).toBe(["v=0", "a=candidate:1 1 udp 1 10.0.0.2 5000 typ host", "a=end-of-candidates"].join("\r\n"));
  });

  test("media settings are checked at start with a clear message", () => {
    const load = (env: Record<string, string>) => () => loadConfig({ HEARTH_DATA_DIR: "/tmp/x", ...env });
    expect(load({})()).toMatchObject({ rtcAddresses: [], rtcPorts: [40000, 40999] });
    expect(load({ HEARTH_RTC_ADDRESSES: " 192.168.1.5, 203.0.113.7 ", HEARTH_RTC_PORTS: "50000-50099", HEARTH_RTC_STUN: "stun.example.org:3478" })()).toMatchObject({
      rtcAddresses: ["192.168.1.5", "203.0.113.7"],
      rtcPorts: [50000, 50099],
      rtcStun: "stun:stun.example.org:3478",
    });
    expect(load({ HEARTH_RTC_ADDRESSES: "hearth.local" })).toThrow(ConfigError);
    expect(load({ HEARTH_RTC_ADDRESSES: "0.0.0.0" })).toThrow(/HEARTH_RTC_ADDRESSES/);
    expect(load({ HEARTH_RTC_PORTS: "40000" })).toThrow(/HEARTH_RTC_PORTS/);
    expect(load({ HEARTH_RTC_PORTS: "40000-40005" })).toThrow(/at least 10 ports/);
    expect(load({ HEARTH_RTC_PORTS: "80-2000" })).toThrow(/above 1023/);
    expect(load({ HEARTH_RTC_STUN: "stun:bad host" })).toThrow(/HEARTH_RTC_STUN/);
    expect(load({ HEARTH_SFU_ENGINE: "fast" })()).toMatchObject({ sfuEngine: "fast" });
    expect(load({ HEARTH_SFU_ENGINE: "werift" })()).toMatchObject({ sfuEngine: "werift" });
    expect(load({ HEARTH_SFU_ENGINE: "janus" })).toThrow(/HEARTH_SFU_ENGINE must be fast or werift/);
  });
});
