import { describe, expect, test } from "bun:test";
import { roomTests, until } from "../../tests/room-fixture.ts";
import type { RoomSocket } from "../../tests/room-socket.ts";

/** Polls through the real room socket: a real server, its real database and vault, hand-written sockets. */

const rooms = roomTests("43400-43499");
const { open, admit, room } = rooms;

const ask = { type: "poll-create", question: "How was your week?", options: ["Calm", "Mixed", "Hard"], multiple: false, liveResults: false } as const;

/** Every column of every row that could hold a person, for one session's polls. */
function pollRows(sessionId: number) {
  const db = rooms.world.hearth.db;
  return {
    polls: db.query<Record<string, unknown>, [number]>("SELECT * FROM polls WHERE session_id = ?").all(sessionId),
    answers: db.query<Record<string, unknown>, [number]>("SELECT a.* FROM poll_answers a JOIN polls p ON p.id = a.poll_id WHERE p.session_id = ?").all(sessionId),
  };
}

describe("polls", () => {
  test("an anonymous poll answered by two members shows 2 votes when closed, and no row links a person to an answer", async () => {
    const { g, clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    clinician.send({ ...ask, anonymous: true });
    const shown = await a.next("poll");
    expect(shown.poll).toMatchObject({ question: "How was your week?", options: ["Calm", "Mixed", "Hard"], open: true, anonymous: true });
    expect(shown.poll.results).toBeUndefined();
    const id = shown.poll.id;
    a.send({ type: "poll-answer", pollId: id, choices: [2] });
    await a.next("poll", (p) => p.poll.mine?.[0] === 2);
    // Changed while open.
    a.send({ type: "poll-answer", pollId: id, choices: [0] });
    await a.next("poll", (p) => p.poll.mine?.[0] === 0);
    b.send({ type: "poll-answer", pollId: id, choices: [0] });
    // The facilitator follows the count while it is open; members do not (live results are off).
    await clinician.next("poll", (p) => p.poll.answered === 2);
    expect(a.all("poll").every((p) => p.poll.results === undefined)).toBe(true);
    clinician.send({ type: "poll-close", pollId: id });
    for (const s of [clinician, a, b]) {
      const closed = await s.next("poll", (p) => !p.poll.open);
      expect(closed.poll.results).toEqual([2, 0, 0]);
      expect(closed.poll.answered).toBe(2);
    }
    a.send({ type: "poll-answer", pollId: id, choices: [1] });
    expect((await a.next("error", (e) => e.ref === "poll-answer")).code).toBe("poll-closed");

    const rows = pollRows(g.sessionId);
    expect(rows.answers).toEqual([]);
    expect(rows.polls).toHaveLength(1);
    const [poll] = rows.polls as [Record<string, unknown>];
    // The only person in the poll's row is the facilitator who wrote it; the results are counts, sealed.
    expect(poll.created_by).toBe(g.clinicianIds[0]);
    expect(poll.anonymous).toBe(1);
    const results = await rooms.world.hearth.vault.openJson<unknown>(poll.results as Uint8Array);
    expect(results).toEqual({ results: [2, 0, 0], answered: 2 });
    // Nor does the audit trail or any other table carry a member of this session next to the poll.
    const audit = rooms.world.hearth.db.query<{ n: number }, [number, number]>("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'poll%' AND owner_id IN (?, ?)").get(g.memberIds[0]!, g.memberIds[1]!);
    expect(audit?.n).toBe(0);
  });

  test("a named poll with live results: everyone sees counts move; each answer is kept sealed with its person; multiple choice", async () => {
    const { g, clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    clinician.send({ ...ask, multiple: true, liveResults: true, anonymous: false });
    const id = (await a.next("poll")).poll.id;
    a.send({ type: "poll-answer", pollId: id, choices: [0, 1] });
    b.send({ type: "poll-answer", pollId: id, choices: [1] });
    await b.next("poll", (p) => p.poll.answered === 2);
    expect(b.all("poll").at(-1)!.poll.results).toEqual([1, 2, 0]);
    // Counts go out as each answer arrives; each row is stored once its seal is done (seals of two
    // answers may finish in either order), so the rows are read once both are there.
    await until(() => pollRows(g.sessionId).answers.length === 2, 3000, "both named answers stored");
    const rows = pollRows(g.sessionId).answers as { person_id: number; choices: Uint8Array }[];
    expect(rows.map((r) => r.person_id).sort()).toEqual([...g.memberIds].sort());
    const mine = rows.find((r) => r.person_id === g.memberIds[0])!;
    expect(await rooms.world.hearth.vault.openJson(mine.choices)).toEqual([0, 1]);
  });

  test("single choice refuses two answers and answers out of range; members cannot start or close a poll", async () => {
    const { clinician, members } = await room(1);
    const [a] = members as [RoomSocket];
    clinician.send({ ...ask, anonymous: true });
    const id = (await a.next("poll")).poll.id;
    a.send({ type: "poll-answer", pollId: id, choices: [0, 1] });
    expect((await a.next("error", (e) => e.ref === "poll-answer")).code).toBe("poll-bad-choice");
    a.send({ type: "poll-answer", pollId: id, choices: [5] });
    await a.next("error", (e) => e.ref === "poll-answer" && e.code === "poll-bad-choice" && a.all("error").length >= 2);
    a.send({ ...ask, anonymous: true });
    expect((await a.next("error", (e) => e.ref === "poll-create")).code).toBe("not-clinician");
    a.send({ type: "poll-close", pollId: id });
    expect((await a.next("error", (e) => e.ref === "poll-close")).code).toBe("not-clinician");
    clinician.send({ type: "poll-create", question: "  ", options: ["a", "b"], multiple: false, anonymous: false, liveResults: false });
    expect((await clinician.next("error", (e) => e.ref === "poll-create")).code).toBe("poll-blank");
  });

  test("a member admitted later sees the open poll; ending the session closes it and seals its counts", async () => {
    const g = await rooms.world.group(2);
    const clinician = await open(g, g.clinician);
    const a = await admit(g, clinician, g.members[0]!);
    clinician.send({ ...ask, anonymous: true });
    const id = (await a.next("poll")).poll.id;
    a.send({ type: "poll-answer", pollId: id, choices: [1] });
    await clinician.next("poll", (p) => p.poll.answered === 1);
    const late = await open(g, g.members[1]!);
    clinician.send({ type: "admit", memberId: late.memberId });
    expect((await late.next("poll")).poll).toMatchObject({ id, open: true });
    clinician.send({ type: "end" });
    await clinician.next("ended");
    const deadline = Date.now() + 3000;
    while (!pollRows(g.sessionId).polls[0]!.results && Date.now() < deadline) await Bun.sleep(20);
    const poll = pollRows(g.sessionId).polls[0]!;
    expect(poll.closed_at).not.toBeNull();
    expect(await rooms.world.hearth.vault.openJson(poll.results as Uint8Array)).toEqual({ results: [0, 1, 0], answered: 1 });
  });
});
