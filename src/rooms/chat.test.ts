import { describe, expect, test } from "bun:test";
import { roomTests, until, type GroupFixture } from "../../tests/room-fixture.ts";
import type { RoomSocket } from "../../tests/room-socket.ts";
import { findSession } from "../clinic/sessions.ts";
import { CHAT_MAX_LENGTH } from "./chat-protocol.ts";
import { Chat, chatOf } from "./chat.ts";
import type { RoomFeature } from "./feature.ts";
import { MediaRoom } from "./media.ts";
import { rtcSettings } from "./ice.ts";
import type { ServerMessage } from "./protocol.ts";
import { Room, type Socket } from "./room.ts";
import { toolStrings } from "./tool-strings.ts";

/** Chat through the real room socket: a real server, its real database and vault, hand-written sockets. */

const rooms = roomTests("43300-43399");
const { open, admit } = rooms;

/** An admitted member whose chat has caught up (the catch-up follows the admission). */
async function admitted(g: GroupFixture, clinician: RoomSocket, cookie: string): Promise<RoomSocket> {
  const m = await admit(g, clinician, cookie);
  await m.next("chat", (c) => c.catchUp);
  return m;
}

/** Messages are shown first and stored right behind: waits until the session has `n` rows (and `hidden` hidden). */
function stored(sessionId: number, n: number, hidden = 0): Promise<void> {
  const count = () =>
    rooms.world.hearth.db.query<{ n: number; h: number }, [number]>("SELECT count(*) AS n, count(hidden_at) AS h FROM chat_messages WHERE session_id = ?").get(sessionId)!;
  return until(() => count().n === n && count().h === hidden, 3000, `${n} stored messages`);
}

const texts = (s: RoomSocket) => s.all("chat").flatMap((c) => c.messages.map((m) => m.text));

describe("chat", () => {
  test("to everyone reaches everyone; privately to the facilitators reaches them and the sender only; stored sealed", async () => {
    const g = await rooms.world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await admitted(g, clinician, g.members[0]!);
    const b = await admitted(g, clinician, g.members[1]!);
    a.send({ type: "chat-send", to: "everyone", text: "  Hello all, see https://example.org  " });
    for (const s of [clinician, a, b]) {
      const got = await s.next("chat", (c) => c.messages[0]?.text === "Hello all, see https://example.org");
      expect(got.messages[0]).toMatchObject({ from: a.memberId, name: "Member 1", to: "everyone", fromFacilitator: false });
    }
    b.send({ type: "chat-send", to: "facilitators", text: "Only for you, please" });
    await clinician.next("chat", (c) => c.messages[0]?.text === "Only for you, please");
    await b.next("chat", (c) => c.messages[0]?.text === "Only for you, please" && c.messages[0].to === "facilitators");
    // A's page gets what comes next, but never B's private message.
    clinician.send({ type: "chat-send", to: "everyone", text: "Welcome" });
    await a.next("chat", (c) => c.messages[0]?.text === "Welcome");
    expect(texts(a)).not.toContain("Only for you, please");

    await stored(g.sessionId, 3);
    const rows = rooms.world.hearth.db.query<{ body: Uint8Array; audience: string }, [number]>("SELECT body, audience FROM chat_messages WHERE session_id = ? ORDER BY id").all(g.sessionId);
    expect(rows.map((r) => r.audience)).toEqual(["everyone", "facilitators", "everyone"]);
    for (const r of rows) expect(new TextDecoder().decode(r.body)).not.toContain("Hello");
    expect((await chatOf(rooms.world.hearth, g.sessionId)).map((e) => e.text)).toEqual(["Hello all, see https://example.org", "Only for you, please", "Welcome"]);
  });

  test("a member is caught up on what was said since their admission, never on what was said while they waited", async () => {
    const g = await rooms.world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await admitted(g, clinician, g.members[0]!);
    a.send({ type: "chat-send", to: "everyone", text: "before B knocked" });
    await clinician.next("chat", (c) => c.messages[0]?.text === "before B knocked");
    const b = await open(g, g.members[1]!);
    a.send({ type: "chat-send", to: "everyone", text: "while B waits" });
    await clinician.next("chat", (c) => c.messages[0]?.text === "while B waits");
    expect(b.all("chat")).toEqual([]);
    clinician.send({ type: "admit", memberId: b.memberId });
    const catchUp = await b.next("chat", (c) => c.catchUp);
    expect(catchUp.messages).toEqual([]);
    a.send({ type: "chat-send", to: "everyone", text: "after B came in" });
    await b.next("chat", (c) => c.messages[0]?.text === "after B came in");
    // A new page for B (same person): caught up on what B may see, and nothing older.
    const again = await open(g, g.members[1]!);
    const resumed = await again.next("chat", (c) => c.catchUp);
    expect(resumed.messages.map((m) => m.text)).toEqual(["after B came in"]);
    // The clinician's new page sees the whole session.
    const lead = await open(g, g.clinician);
    expect((await lead.next("chat", (c) => c.catchUp)).messages.map((m) => m.text)).toEqual(["before B knocked", "while B waits", "after B came in"]);
  });

  test("a facilitator hides a message: it goes for the members, stays marked for the facilitators, in the record too; members cannot hide", async () => {
    const g = await rooms.world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await admitted(g, clinician, g.members[0]!);
    const b = await admitted(g, clinician, g.members[1]!);
    a.send({ type: "chat-send", to: "everyone", text: "something unkind" });
    const sent = await b.next("chat", (c) => c.messages[0]?.text === "something unkind");
    const id = sent.messages[0]!.id;
    const mark = a.mark;
    b.send({ type: "chat-hide", messageId: id });
    expect((await b.next("error", (e) => e.ref === "chat-hide")).code).toBe("not-clinician");
    clinician.send({ type: "chat-hide", messageId: id });
    for (const s of [clinician, a, b]) expect((await s.next("chat-hidden")).messageId).toBe(id);
    expect(a.all("error", mark)).toEqual([]);
    const lateMember = await open(g, g.members[0]!);
    expect(texts(lateMember)).toEqual([]);
    expect((await lateMember.next("chat", (c) => c.catchUp)).messages).toEqual([]);
    const lead = await open(g, g.clinician);
    expect((await lead.next("chat", (c) => c.catchUp)).messages).toEqual([expect.objectContaining({ id, text: "something unkind", hidden: true })]);
    await stored(g.sessionId, 1, 1);
    expect((await chatOf(rooms.world.hearth, g.sessionId))[0]!.hidden).toBe(true);
    const audit = rooms.world.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'chat.hidden' AND subject = ?").get(`group_session:${g.sessionId}`);
    expect(audit?.n).toBe(1);
  });

  test("too long, empty, and too fast get clear messages; the room and the others carry on", async () => {
    const g = await rooms.world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await admitted(g, clinician, g.members[0]!);
    const b = await admitted(g, clinician, g.members[1]!);
    a.send({ type: "chat-send", to: "everyone", text: "x".repeat(CHAT_MAX_LENGTH + 1) });
    const long = await a.next("error", (e) => e.code === "chat-too-long");
    expect(long.message).toContain(String(CHAT_MAX_LENGTH));
    a.send({ type: "chat-send", to: "everyone", text: "   " });
    expect((await a.next("error", (e) => e.code === "chat-empty")).message).toBe(toolStrings("en").chatEmpty);
    for (let i = 0; i < 12; i++) a.send({ type: "chat-send", to: "everyone", text: `flood ${i}` });
    expect((await a.next("error", (e) => e.code === "chat-too-fast")).message).toBe(toolStrings("en").chatTooFast);
    expect(a.closedWith).toBeNull();
    b.send({ type: "chat-send", to: "everyone", text: "B still talks" });
    await clinician.next("chat", (c) => c.messages[0]?.text === "B still talks");
    const flood = texts(clinician).filter((t) => t.startsWith("flood"));
    expect(flood.length).toBeGreaterThanOrEqual(4);
    expect(flood.length).toBeLessThan(12);
  });
});

describe("chat screens (feature.ts)", () => {
  test("a screen that answers 'facilitators' keeps a message from the group: the facilitators and the sender see it, marked", async () => {
    const g = await rooms.world.group(2);
    const settings = await rtcSettings(rooms.world.hearth.config);
    const codeWord: RoomFeature = {
      types: [],
      receive() {},
      screenChat: ({ text }) => (/\bpineapple\b/i.test(text) ? "facilitators" : "show"),
    };
    const room = new Room(findSession(rooms.world.hearth.db, g.sessionId)!, rooms.world.hearth, {
      media: (listener) => new MediaRoom(settings, listener),
      graceMs: 1000,
      features: [(ctx) => new Chat(ctx), () => codeWord],
    });
    const inbox = new Map<string, ServerMessage[]>();
    const socket = (name: string): Socket => {
      inbox.set(name, []);
      return { send: (m) => inbox.get(name)!.push(m), close() {} };
    };
    const chats = (name: string) => inbox.get(name)!.flatMap((m) => (m.type === "chat" ? m.messages : []));
    const person = (i: number) => ({ personId: g.memberIds[i]!, role: "patient" as const, displayName: `M${i}`, locale: "en" as const });
    const cs = socket("c");
    const c = room.connect({ personId: g.clinicianIds[0]!, role: "clinician", displayName: "C", locale: "en" }, "clinician", cs)!;
    const as = socket("a");
    const a = room.connect(person(0), "member", as)!;
    const bs = socket("b");
    const b = room.connect(person(1), "member", bs)!;
    await room.receive(c, cs, { type: "admit", memberId: a.id });
    await room.receive(c, cs, { type: "admit", memberId: b.id });
    await room.receive(a, as, { type: "chat-send", to: "everyone", text: "I need to say Pineapple" });
    await room.receive(a, as, { type: "chat-send", to: "everyone", text: "hello" });
    expect(chats("c").map((m) => [m.text, m.diverted ?? false])).toEqual([
      ["I need to say Pineapple", true],
      ["hello", false],
    ]);
    expect(chats("a").map((m) => [m.text, m.to])).toEqual([
      ["I need to say Pineapple", "facilitators"],
      ["hello", "everyone"],
    ]);
    expect(chats("b").map((m) => m.text)).toEqual(["hello"]);
    await stored(g.sessionId, 2);
    expect((await chatOf(rooms.world.hearth, g.sessionId)).map((e) => e.diverted)).toEqual([true, false]);
    room.end(null);
  });
});

describe("the chat transcript", () => {
  test("the group's clinicians read every message (private and hidden marked) after the session, audited; nobody else can", async () => {
    const g = await rooms.world.group(1);
    const other = await rooms.world.group(1);
    const clinician = await open(g, g.clinician);
    const a = await admitted(g, clinician, g.members[0]!);
    a.send({ type: "chat-send", to: "everyone", text: "<b>bold?</b> https://example.org" });
    a.send({ type: "chat-send", to: "facilitators", text: "just for you" });
    const first = await clinician.next("chat", (c) => c.messages[0]?.text.startsWith("<b>") ?? false);
    await clinician.next("chat", (c) => c.messages[0]?.text === "just for you");
    clinician.send({ type: "chat-hide", messageId: first.messages[0]!.id });
    await clinician.next("chat-hidden");
    clinician.send({ type: "end" });
    await clinician.next("ended");
    await stored(g.sessionId, 2, 1);

    const path = `${rooms.world.url}/groups/${g.groupId}/sessions/${g.sessionId}/chat`;
    const reads = () => rooms.world.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'chat.transcript.read' AND subject = ?").get(`group_session:${g.sessionId}`)!.n;
    const page = await fetch(path, { headers: { cookie: g.clinician } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("&lt;b&gt;bold?&lt;/b&gt; https://example.org");
    expect(body).not.toContain('href="https://example.org"');
    expect(body).toContain("just for you");
    expect(body).toMatch(/class="is-hidden"[^]*hidden from the group/);
    expect(reads()).toBe(1);
    // The session record page leads there.
    const record = await (await fetch(`${rooms.world.url}/groups/${g.groupId}/sessions/${g.sessionId}`, { headers: { cookie: g.clinician } })).text();
    expect(record).toContain(`/groups/${g.groupId}/sessions/${g.sessionId}/chat`);

    for (const cookie of [g.members[0]!, other.clinician]) expect((await fetch(path, { headers: { cookie }, redirect: "manual" })).status).toBeGreaterThanOrEqual(400);
    // Another group's path to this session is not this session.
    expect((await fetch(`${rooms.world.url}/groups/${other.groupId}/sessions/${g.sessionId}/chat`, { headers: { cookie: other.clinician } })).status).toBe(404);
    expect(reads()).toBe(1);
  });
});
