import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { RTCPeerConnection } from "werift";
import { Bot } from "../../scripts/bench/sfu-bot.ts";
import { cookieFor, startRoomServer, type GroupFixture, type RoomWorld, until } from "../../tests/room-fixture.ts";
import { findSession } from "../clinic/sessions.ts";
import { visitsOf } from "./attendance.ts";
import { loopbackMemberIce, loopbackStunSink, rtcSettings } from "./ice.ts";
import { MediaRoom } from "./media.ts";
import { Room, type Socket } from "./room.ts";
import { MAX_SDP, type ServerMessage } from "./protocol.ts";

/**
 * Rooms at the protocol level: a real server, real werift peers in this process doing
 * DTLS-SRTP over loopback, the real signaling. Packet counts are read on the receiving bots.
 */

let world: RoomWorld;
let stun: string;
const bots: Bot[] = [];

beforeAll(async () => {
  world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "42000-42199" });
  stun = await loopbackStunSink();
});
afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.close()));
});
afterAll(() => world.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bot(g: GroupFixture, cookie: string, opts: Partial<ConstructorParameters<typeof Bot>[1]> = {}): Bot {
  const b = new Bot(world.wsUrl(g.sessionId), { cookie, stun, ...opts });
  bots.push(b);
  return b;
}

/** A clinician in the room and `n` admitted members, all connected and sending. */
async function liveRoom(n: number, extra = 0) {
  const g = await world.group(n + extra);
  const clinician = bot(g, g.clinician);
  await clinician.connect();
  const members: Bot[] = [];
  for (let i = 0; i < n; i++) {
    const m = bot(g, g.members[i]!);
    await m.connect();
    clinician.send({ type: "admit", memberId: m.memberId });
    await m.next("admitted");
    members.push(m);
  }
  await Promise.all([clinician, ...members].map((b) => b.connected()));
  for (const b of [clinician, ...members]) b.startMedia();
  return { g, clinician, members };
}

const packets = (b: Bot, key: string) => b.received.get(key)?.packets ?? 0;

describe("rooms: media through the SFU", () => {
  test("a clinician and an admitted member each receive the other's audio and video, video starting on a keyframe", async () => {
    const { clinician, members } = await liveRoom(1);
    const [m] = members;
    await until(() => packets(clinician, `${m!.memberId}:camera`) >= 10 && packets(m!, `${clinician.memberId}:camera`) >= 10, 4000, "video both ways");
    await until(() => packets(clinician, `${m!.memberId}:audio`) >= 20 && packets(m!, `${clinician.memberId}:audio`) >= 20, 2000, "audio both ways");
    expect(m!.received.get(`${clinician.memberId}:camera`)!.firstWasKeyframe).toBe(true);
    expect(clinician.received.get(`${m!.memberId}:camera`)!.firstWasKeyframe).toBe(true);
    // Nobody receives their own media back.
    expect(packets(m!, `${m!.memberId}:audio`)).toBe(0);
    expect([...m!.received.keys()].every((k) => !k.startsWith("?"))).toBe(true);
  });

  test("a member's padding-only probes reach nobody, and leave no hole in anyone's sequence", async () => {
    const g = await world.group(1);
    const clinician = bot(g, g.clinician);
    await clinician.connect();
    const m = bot(g, g.members[0]!);
    await m.connect();
    clinician.send({ type: "admit", memberId: m.memberId });
    await Promise.all([clinician.connected(), m.connected()]);
    m.startMedia({ paddingEvery: 2 });
    await until(() => packets(clinician, `${m.memberId}:camera`) >= 40, 4000, "video");
    const s = clinician.received.get(`${m.memberId}:camera`)!;
    expect(s.empty).toBe(0);
    expect(s.gaps).toBe(0);
  });

  test("a late joiner makes the server ask the publisher for a keyframe, and a subscriber's PLI reaches the publisher", async () => {
    const { g, clinician, members } = await liveRoom(1, 1);
    await until(() => packets(members[0]!, `${clinician.memberId}:camera`) > 5, 3000, "first member's video");
    await sleep(400);
    const before = clinician.plisReceived;
    const late = bot(g, g.members[1]!);
    await late.connect();
    clinician.send({ type: "admit", memberId: late.memberId });
    await late.connected();
    late.startMedia();
    await until(() => clinician.plisReceived > before, 3000, "a PLI at the publisher");
    await until(() => packets(late, `${clinician.memberId}:camera`) > 3, 3000, "late joiner's video");
    expect(late.received.get(`${clinician.memberId}:camera`)!.firstWasKeyframe).toBe(true);
    // The late joiner's own PLI carries its own video SSRC as sender (as Chromium's do): it must still get through.
    await sleep(400);
    const beforeRelay = clinician.plisReceived;
    await late.sendPli(`${clinician.memberId}:camera`);
    await until(() => clinician.plisReceived > beforeRelay, 2000, "relayed PLI");
  });

  test("a subscriber's FIR reaches the publisher as a keyframe request, and its NACK is answered from the server's history", async () => {
    const { g, clinician, members } = await liveRoom(1);
    const [m] = members;
    const key = `${clinician.memberId}:camera`;
    await until(() => packets(m!, key) > 10, 3000, "video");
    await sleep(400);
    const before = clinician.plisReceived;
    await m!.sendFir(key, 1);
    await until(() => clinician.plisReceived > before, 2000, "FIR turned into a keyframe request");
    const s = m!.received.get(key)!;
    const repeatsBefore = s.repeats;
    await m!.sendNack(key, [(s.lastSeq - 3) & 0xffff, (s.lastSeq - 2) & 0xffff]);
    await until(() => s.repeats >= repeatsBefore + 2, 2000, "retransmissions");
    // Media went through the engine the server was configured with (HEARTH_SFU_ENGINE).
    const peer = (await world.rooms.room(g.sessionId)!.stats()).members.find((x) => x.id === m!.memberId)!.peer!;
    expect(peer.engine).toBe(world.hearth.config.sfuEngine);
    if (peer.engine === "fast") {
      expect(peer.fast!.received).toBeGreaterThan(10);
      expect(peer.fast!.sent).toBeGreaterThan(10);
      expect(peer.fast!.retransmitted).toBeGreaterThanOrEqual(2);
    } else {
      expect(peer.fast).toBeNull();
    }
  });

  test("a page that saw its connection fail asks for a fresh one; media carries on, no knock", async () => {
    const { clinician, members } = await liveRoom(1);
    const [m] = members;
    const key = `${clinician.memberId}:audio`;
    await until(() => packets(m!, key) > 10, 3000, "audio");
    const offers = m!.messages.filter((x) => x.type === "offer");
    expect(offers.map((x) => x.type === "offer" && x.fresh)).toEqual([true, ...offers.slice(1).map(() => false)]);
    const old = m!.pc;
    await sleep(2000); // a restart is refused within 2 s of the last one
    const seen = m!.messages.length;
    m!.send({ type: "restart-media" });
    await m!.next((x) => x.type === "offer" && x.fresh && x.seq === 1);
    await until(() => m!.pc !== old && m!.pc.connectionState === "connected", 3000, "new connection");
    const at = packets(m!, key);
    await until(() => packets(m!, key) > at + 20 && packets(clinician, `${m!.memberId}:audio`) > 0, 3000, "audio on the new connection");
    expect(m!.messages.slice(seen).some((x) => x.type === "waiting" || x.type === "error")).toBe(false);
  });

  test("an audio-only member neither sends nor receives video, and the server forwards none to them", async () => {
    const { g, clinician, members } = await liveRoom(1, 1);
    const quiet = bot(g, g.members[1]!);
    await quiet.connect();
    quiet.send({ type: "mode", audioOnly: true });
    clinician.send({ type: "admit", memberId: quiet.memberId });
    await quiet.connected();
    quiet.startMedia();
    await until(() => packets(quiet, `${clinician.memberId}:audio`) > 30 && packets(quiet, `${members[0]!.memberId}:audio`) > 30, 3000, "audio");
    expect(quiet.lastOffer!.send.map((s) => s.source)).toEqual(["audio"]);
    expect(quiet.lastOffer!.receive.every((r) => r.source === "audio")).toBe(true);
    expect([...quiet.received.keys()].filter((k) => k.endsWith(":camera"))).toEqual([]);
    const stats = await world.rooms.room(g.sessionId)!.stats();
    const mine = stats.members.find((m) => m.id === quiet.memberId)!;
    expect(mine.consumers.every((c) => c.source === "audio")).toBe(true);
    expect(mine.producers).toEqual(["audio"]);

    // Turning audio-only on mid-session drops the video consumers on the server at once.
    const [m] = members;
    await until(() => packets(m!, `${clinician.memberId}:camera`) > 5, 3000, "video before audio-only");
    m!.send({ type: "mode", audioOnly: true });
    await until(async () => (await world.rooms.room(g.sessionId)!.stats()).members.find((x) => x.id === m!.memberId)!.consumers.every((c) => c.source === "audio"), 2000, "video consumers gone");
    await sleep(300);
    const frozen = packets(m!, `${clinician.memberId}:camera`);
    await sleep(700);
    expect(packets(m!, `${clinician.memberId}:camera`)).toBe(frozen);
    expect(packets(clinician, `${m!.memberId}:camera`)).toBeGreaterThan(0);
  });
});

describe("rooms: the waiting room is enforced by the server", () => {
  test("a member who was not admitted gets no media, whatever they send", async () => {
    const { g, clinician, members } = await liveRoom(1, 1);
    const outsider = bot(g, g.members[1]!);
    const welcome = await outsider.connect();
    expect(welcome).toMatchObject({ type: "welcome", state: "waiting" });
    // A real offer and answer from its own werift peer, sent as if the page were in the call.
    const own = new RTCPeerConnection(loopbackMemberIce(stun));
    own.addTransceiver("video", { direction: "recvonly" });
    own.addTransceiver("audio", { direction: "recvonly" });
    await own.setLocalDescription(await own.createOffer());
    const offer = own.localDescription!;
    const attempts: [unknown, string][] = [
      [{ type: "offer", sdp: offer.sdp }, "unknown-type"],
      [{ type: "subscribe", memberId: clinician.memberId }, "unknown-type"],
      [{ type: "answer", seq: 1, sdp: offer.sdp }, "not-admitted"],
      [{ type: "candidate", candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host" }, "not-admitted"],
      [{ type: "view", tiles: [{ memberId: clinician.memberId, source: "camera", width: 640, height: 480 }] }, "not-admitted"],
      [{ type: "camera", on: true }, "not-admitted"],
      [{ type: "share", on: true }, "not-admitted"],
      [{ type: "restart-media" }, "not-admitted"],
      [{ type: "admit", memberId: outsider.memberId }, "not-clinician"],
    ];
    for (const [message, code] of attempts) {
      outsider.send(message);
      expect(await outsider.next("error")).toMatchObject({ type: "error", code });
    }
    await sleep(1000);
    expect(outsider.messages.some((m) => m.type === "offer" || m.type === "room")).toBe(false);
    expect(outsider.received.size).toBe(0);
    const stats = await world.rooms.room(g.sessionId)!.stats();
    const waiting = stats.members.find((m) => m.id === outsider.memberId)!;
    expect(waiting).toMatchObject({ state: "waiting", producers: [], consumers: [], peer: null });
    // Nobody is forwarding anything to them.
    expect(stats.members.flatMap((m) => m.consumers).length).toBe(4);
    expect(packets(members[0]!, `${clinician.memberId}:audio`)).toBeGreaterThan(0);
    await own.close();
  });

  test("the clinician sees the knock, admits; declines; locks the room", async () => {
    const g = await world.group(3);
    const clinician = bot(g, g.clinician);
    await clinician.connect();
    const a = bot(g, g.members[0]!);
    await a.connect();
    const knock = (await clinician.next((m) => m.type === "room" && (m.waiting?.length ?? 0) === 1)) as Extract<ServerMessage, { type: "room" }>;
    expect(knock.waiting).toEqual([{ id: a.memberId, name: "Member 1" }]);
    clinician.send({ type: "decline", memberId: a.memberId });
    expect(await a.next("declined")).toEqual({ type: "declined" });
    await until(() => a.closeCode !== null, 2000, "declined socket closed");
    expect(a.closeCode).toBe(4403);

    const b = bot(g, g.members[1]!);
    await b.connect();
    clinician.send({ type: "lock", locked: true });
    await clinician.next((m) => m.type === "room" && m.locked);
    const c = bot(g, g.members[2]!);
    expect(await c.connect()).toMatchObject({ type: "error", code: "locked" });
    // Already waiting when the room was locked: still admissible.
    clinician.send({ type: "admit-all" });
    await b.next("admitted");
    const visits = visitsOf(world.hearth.db, g.sessionId);
    expect(visits.find((v) => v.personId === g.memberIds[0])).toMatchObject({ outcome: "declined", admittedAt: null });
    expect(visits.find((v) => v.personId === g.memberIds[1])!.admittedAt).not.toBeNull();
    expect(visits.some((v) => v.personId === g.memberIds[2])).toBe(false);
  });
});

describe("rooms: the clinician's controls", () => {
  test("a removed member's media stops within a second, both ways, and they cannot come back", async () => {
    const { g, clinician, members } = await liveRoom(2);
    const [gone, stays] = members;
    await until(() => packets(gone!, `${clinician.memberId}:audio`) > 10 && packets(stays!, `${gone!.memberId}:audio`) > 10, 3000, "media flowing");
    clinician.send({ type: "remove", memberId: gone!.memberId });
    await gone!.next("removed");
    await sleep(1000);
    const toGone = gone!.received.get(`${clinician.memberId}:audio`)!.packets;
    const fromGone = packets(stays!, `${gone!.memberId}:audio`);
    const keepsFlowing = packets(stays!, `${clinician.memberId}:audio`);
    await sleep(600);
    expect(gone!.received.get(`${clinician.memberId}:audio`)!.packets).toBe(toGone);
    expect(packets(stays!, `${gone!.memberId}:audio`)).toBe(fromGone);
    expect(packets(stays!, `${clinician.memberId}:audio`)).toBeGreaterThan(keepsFlowing);
    expect(gone!.closeCode).toBe(4403);
    const again = bot(g, g.members[0]!);
    expect(await again.connect()).toMatchObject({ type: "error", code: "removed" });
  });

  test("mute stops a member's audio on the server until they turn their microphone back on", async () => {
    const { clinician, members } = await liveRoom(1);
    const [m] = members;
    await until(() => packets(clinician, `${m!.memberId}:audio`) > 10, 3000, "audio");
    clinician.send({ type: "mute", memberId: m!.memberId });
    expect(await m!.next("muted")).toEqual({ type: "muted" });
    await sleep(300);
    const frozen = packets(clinician, `${m!.memberId}:audio`);
    await sleep(500);
    expect(packets(clinician, `${m!.memberId}:audio`)).toBe(frozen);
    m!.send({ type: "mic", on: true });
    await until(() => packets(clinician, `${m!.memberId}:audio`) > frozen + 5, 2000, "audio again");
  });

  test("sent back to the waiting room: media stops; admitted again, it starts over", async () => {
    const { clinician, members } = await liveRoom(1);
    const [m] = members;
    await until(() => packets(m!, `${clinician.memberId}:audio`) > 10, 3000, "audio");
    clinician.send({ type: "to-waiting", memberId: m!.memberId });
    await m!.next((x) => x.type === "waiting" && x.reason === "sent-back");
    await sleep(300);
    const frozen = packets(m!, `${clinician.memberId}:audio`);
    await sleep(500);
    expect(packets(m!, `${clinician.memberId}:audio`)).toBe(frozen);
    m!.send({ type: "answer", seq: 1, sdp: "v=0" });
    expect(await m!.next("error")).toMatchObject({ code: "not-admitted" });
    const knock = (await clinician.next((x) => x.type === "room" && (x.waiting ?? []).some((w) => w.id === m!.memberId))) as Extract<ServerMessage, { type: "room" }>;
    expect(knock.members.some((v) => v.id === m!.memberId)).toBe(false);
    const old = m!.pc;
    clinician.send({ type: "admit", memberId: m!.memberId });
    await m!.next("admitted");
    await until(() => m!.pc !== old && packets(m!, `${clinician.memberId}:audio`) > frozen + 10, 3000, "audio after re-admission");
  });

  test("screen sharing: members need the clinician's leave; a share reaches the others labelled as screen", async () => {
    const { clinician, members } = await liveRoom(1);
    const [m] = members;
    m!.send({ type: "share", on: true });
    expect(await m!.next("error")).toMatchObject({ code: "screens-not-allowed" });
    clinician.send({ type: "allow-screens", allowed: true });
    await m!.next((x) => x.type === "room" && x.screensAllowed);
    m!.send({ type: "share", on: true });
    await m!.next((x) => x.type === "offer" && x.send.some((s) => s.source === "screen"));
    // The bot sends its video on the screen m-line once the camera is off.
    m!.send({ type: "camera", on: false });
    await until(() => packets(clinician, `${m!.memberId}:screen`) > 5, 4000, "screen at the clinician");
    expect(clinician.lastOffer!.receive.some((r) => r.memberId === m!.memberId && r.source === "screen")).toBe(true);
  });

  test("the speaking member is announced from the audio-level extension", async () => {
    const g = await world.group(1);
    const clinician = bot(g, g.clinician);
    await clinician.connect();
    const loud = bot(g, g.members[0]!, { audioLevel: 10 });
    await loud.connect();
    clinician.send({ type: "admit", memberId: loud.memberId });
    await Promise.all([clinician.connected(), loud.connected()]);
    clinician.startMedia();
    loud.startMedia();
    expect(await clinician.next((m) => m.type === "speaking" && m.memberId === loud.memberId, 3000)).toMatchObject({ speaking: true });
    expect(clinician.messages.some((m) => m.type === "speaking" && m.memberId === clinician.memberId)).toBe(false);
    loud.stopMedia();
    expect(await clinician.next((m) => m.type === "speaking" && m.memberId === loud.memberId, 3000)).toMatchObject({ speaking: false });
  });

  test("ending the session closes it for everyone, for good", async () => {
    const { g, clinician, members } = await liveRoom(1);
    clinician.send({ type: "end" });
    await Promise.all([clinician.next("ended"), members[0]!.next("ended")]);
    await until(() => members[0]!.closeCode !== null, 2000, "socket closed");
    expect(members[0]!.closeCode).toBe(4410);
    expect(findSession(world.hearth.db, g.sessionId)!.closedAt).not.toBeNull();
    const back = bot(g, g.clinician);
    expect(await back.connect()).toMatchObject({ type: "error", code: "ended" });
  });
});

describe("rooms: reconnecting", () => {
  test("a member whose connection dropped comes back admitted, without knocking", async () => {
    const { g, clinician, members } = await liveRoom(1);
    const [m] = members;
    await until(() => packets(m!, `${clinician.memberId}:audio`) > 5, 3000, "audio");
    await m!.close();
    await clinician.next((x) => x.type === "room" && x.members.some((v) => v.id === m!.memberId && v.state === "away"));
    const seen = clinician.messages.length;
    const back = bot(g, g.members[0]!);
    expect(await back.connect()).toMatchObject({ type: "welcome", memberId: m!.memberId, state: "admitted", resumed: true });
    await back.connected();
    back.startMedia();
    await until(() => packets(back, `${clinician.memberId}:audio`) > 5 && packets(clinician, `${m!.memberId}:audio`) > 5, 3000, "media again");
    expect(clinician.messages.slice(seen).filter((x) => x.type === "room" && (x.waiting?.length ?? 0) > 0)).toEqual([]);
  });

  test("after the grace period, a member who dropped out has to knock again", async () => {
    const g = await world.group(1);
    const settings = await rtcSettings(world.hearth.config);
    const room = new Room(findSession(world.hearth.db, g.sessionId)!, world.hearth, { media: (listener) => new MediaRoom(settings, listener), graceMs: 200 });
    const inbox: ServerMessage[] = [];
    const socket = (): Socket => ({ send: (m) => inbox.push(m), close() {} });
    const lead = socket();
    const clinician = room.connect({ personId: g.clinicianIds[0]!, role: "clinician", displayName: "C", locale: "en" }, "clinician", lead)!;
    const person = { personId: g.memberIds[0]!, role: "patient" as const, displayName: "M", locale: "en" as const };
    const first = socket();
    const member = room.connect(person, "member", first)!;
    await room.receive(clinician, lead, { type: "admit", memberId: member.id });
    expect(room.memberByPerson(person.personId)).toEqual({ id: member.id, state: "admitted" });
    room.disconnected(member, first);
    expect(room.memberByPerson(person.personId)?.state).toBe("away");
    await sleep(350);
    expect(room.memberByPerson(person.personId)).toBeNull();
    expect(visitsOf(world.hearth.db, g.sessionId).find((v) => v.personId === person.personId)?.outcome).toBe("dropped");
    room.connect(person, "member", socket());
    expect(room.memberByPerson(person.personId)?.state).toBe("waiting");
    room.dispose();
  });

  test("a second window replaces the first", async () => {
    const { g, clinician } = await liveRoom(0, 1);
    const first = bot(g, g.members[0]!);
    await first.connect();
    const second = bot(g, g.members[0]!);
    expect(await second.connect()).toMatchObject({ type: "welcome", memberId: first.memberId, state: "waiting" });
    expect(await first.next("error")).toMatchObject({ code: "replaced" });
    await until(() => first.closeCode === 4409, 2000, "first closed");
    clinician.send({ type: "admit", memberId: second.memberId });
    await second.next("admitted");
  });
});

describe("rooms: the door", () => {
  const upgrade = (url: string, headers: Record<string, string>) =>
    fetch(url.replace(/^ws/, "http"), { headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers } });

  test("nobody signed in, someone outside the group, an unknown session or another site's page: refused before the upgrade", async () => {
    const g = await world.group(1);
    const other = await world.group(1);
    const url = world.wsUrl(g.sessionId);
    expect((await upgrade(url, {})).status).toBe(401);
    expect((await upgrade(url, { cookie: other.members[0]! })).status).toBe(403);
    expect((await upgrade(world.wsUrl(999_999), { cookie: g.members[0]! })).status).toBe(404);
    expect((await upgrade(url, { cookie: g.members[0]!, origin: "https://elsewhere.example" })).status).toBe(403);
    expect((await upgrade(url, { cookie: g.members[0]! })).status).toBe(101);
    // An admin who is not in the group is not let in either.
    const { addPerson } = await import("../../tests/room-fixture.ts");
    const admin = await addPerson(world.hearth, "admin", "Admin");
    expect((await upgrade(url, { cookie: cookieFor(world.hearth, admin) })).status).toBe(403);
  });

  test("unknown, malformed and oversized messages get an error and the room carries on; a flood closes the socket", async () => {
    const { clinician } = await liveRoom(0);
    const cases: [unknown, string][] = [
      ["not json", "malformed"],
      [{ no: "type" }, "unknown-type"],
      [{ type: "hack" }, "unknown-type"],
      [{ type: "lock", locked: "yes" }, "malformed"],
      [{ type: "lock", locked: true, extra: 1 }, "malformed"],
      [{ type: "admit", memberId: -1 }, "malformed"],
      [{ type: "answer", seq: 1, sdp: "x".repeat(MAX_SDP + 1) }, "malformed"],
      [{ type: "admit", memberId: 424242 }, "no-such-member"],
      [{ type: "answer", seq: 99, sdp: "v=0" }, "stale-answer"],
    ];
    for (const [message, code] of cases) {
      clinician.send(message);
      expect(await clinician.next("error")).toMatchObject({ type: "error", code });
    }
    clinician.ws.send(new Uint8Array([1, 2, 3]));
    expect(await clinician.next("error")).toMatchObject({ code: "malformed" });
    for (let i = 0; i < 60; i++) clinician.send({ type: "lock", locked: false });
    await until(() => clinician.closeCode !== null, 2000, "flood close");
    expect(clinician.closeCode).toBe(4429);
  });
});
