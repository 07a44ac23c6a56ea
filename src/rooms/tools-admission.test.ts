import { describe, expect, test } from "bun:test";
import { roomTests } from "../../tests/room-fixture.ts";

/**
 * The room's tools reach admitted members only. Hand-written sockets, one per way of not being
 * in: waiting, declined, sent back to the waiting room, removed. Each tries every tool itself
 * and must get `not-admitted`; and none receives any chat, hand queue or poll the room sends.
 */

const rooms = roomTests("43500-43599");
const { open, admit } = rooms;

const TOOL_TYPES = new Set(["chat", "chat-hidden", "hands", "hand-called", "poll"]);

describe("room tools and admission", () => {
  test("waiting, declined, sent-back and removed members receive no chat, no hand queue, no poll, and cannot use them", async () => {
    const g = await rooms.world.group(5);
    const clinician = await open(g, g.clinician);
    const inside = await admit(g, clinician, g.members[0]!);
    const waiting = await open(g, g.members[1]!);
    const declined = await open(g, g.members[2]!);
    clinician.send({ type: "decline", memberId: declined.memberId });
    await declined.next("declined");
    const sentBack = await admit(g, clinician, g.members[3]!);
    const removed = await admit(g, clinician, g.members[4]!);
    clinician.send({ type: "to-waiting", memberId: sentBack.memberId });
    await sentBack.next("waiting", (w) => w.reason === "sent-back");
    clinician.send({ type: "remove", memberId: removed.memberId });
    await removed.next("removed");
    // The declined person knocks again from a new page: waiting, like the others.
    const knockedAgain = await open(g, g.members[2]!);
    const outside = { waiting, declined, sentBack, removed, knockedAgain };
    const marks = new Map(Object.values(outside).map((s) => [s, s.mark]));

    // Each one outside tries every tool.
    for (const s of [waiting, sentBack, knockedAgain]) {
      const mark = s.mark;
      for (const msg of [
        { type: "chat-send", to: "everyone", text: "let me in" },
        { type: "chat-send", to: "facilitators", text: "let me in" },
        { type: "hand-raise" },
        { type: "poll-answer", pollId: 1, choices: [0] },
      ]) {
        s.send(msg);
        expect((await s.next("error", (e) => e.ref === msg.type, mark)).code).toBe("not-admitted");
        s.messages.splice(mark);
      }
    }

    // The room uses every tool.
    inside.send({ type: "chat-send", to: "everyone", text: "for the group" });
    const chat = await inside.next("chat", (c) => c.messages[0]?.text === "for the group");
    clinician.send({ type: "chat-hide", messageId: chat.messages[0]!.id });
    inside.send({ type: "hand-raise" });
    await inside.next("hands", (h) => h.queue.length === 1);
    clinician.send({ type: "hand-call-next" });
    clinician.send({ type: "poll-create", question: "Q?", options: ["a", "b"], multiple: false, anonymous: true, liveResults: true });
    const poll = await inside.next("poll");
    inside.send({ type: "poll-answer", pollId: poll.poll.id, choices: [1] });
    clinician.send({ type: "poll-close", pollId: poll.poll.id });
    await inside.next("poll", (p) => !p.poll.open);
    await inside.next("hand-called");
    await inside.next("chat-hidden");
    // One more round trip, so anything that was going to leak has arrived.
    clinician.send({ type: "chat-send", to: "everyone", text: "last" });
    await inside.next("chat", (c) => c.messages[0]?.text === "last");
    await Bun.sleep(100);

    // The tool messages did reach the admitted member and the clinician.
    for (const type of TOOL_TYPES) expect(inside.messages.some((m) => m.type === type)).toBe(true);
    for (const [name, s] of Object.entries(outside)) {
      const leaked = s.messages.slice(marks.get(s)).filter((m) => TOOL_TYPES.has(m.type));
      expect({ name, leaked }).toEqual({ name, leaked: [] });
    }
    // Nothing from the outside reached the room either.
    expect(clinician.all("chat").flatMap((c) => c.messages.map((m) => m.text))).not.toContain("let me in");
    // The removed person cannot come back to listen.
    const back = await open(g, g.members[4]!).catch(() => null);
    if (back) expect(back.messages.filter((m) => TOOL_TYPES.has(m.type))).toEqual([]);
  });
});
