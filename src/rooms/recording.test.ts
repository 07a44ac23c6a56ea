import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRoomServer, until, type GroupFixture, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { createDemoClinic } from "../demo/clinic.ts";
import { openHearth } from "../server.ts";
import { isSealed } from "../store/vault.ts";
import { attendanceDemo } from "./attendance-demo.ts";
import { recordingDemo } from "./recording-demo.ts";
import { consentRecord } from "./recording-record.ts";
import { recordingStrings } from "./recording-strings.ts";

/**
 * Recording with consent through the real room socket: a real server with one SFU worker,
 * hand-written sockets. Each admitted person is asked on their own page, nobody waiting hears of
 * it, only facilitators learn who holds it back, and the consent record is stored sealed.
 */

let world: RoomWorld;
const sockets: RoomSocket[] = [];
beforeAll(async () => {
  world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43600-43699", HEARTH_SFU_WORKERS: "1" });
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

async function admit(lead: RoomSocket, m: RoomSocket): Promise<void> {
  const since = m.mark;
  lead.send({ type: "admit", memberId: m.memberId });
  await m.next("admitted", () => true, since);
}

const phaseIs = (s: RoomSocket, phase: string, since = 0) => s.next("recording", (v) => v.phase === phase, since);
const parts = (sessionId: number) =>
  world.hearth.db.query<{ part: number; stopped_at: number | null }, [number]>("SELECT p.part, p.stopped_at FROM recording_parts p JOIN recording_requests r ON r.id = p.request_id WHERE r.session_id = ? ORDER BY p.id").all(sessionId);

describe("recording with consent", () => {
  test("every string exists in French and Spanish, with the same placeholders", () => {
    const en = recordingStrings("en") as Record<string, string>;
    for (const locale of ["fr", "es"] as const) {
      const other = recordingStrings(locale) as Record<string, string>;
      expect(Object.keys(other).sort()).toEqual(Object.keys(en).sort());
      for (const [k, v] of Object.entries(en)) {
        expect(other[k]).not.toBe(v);
        expect((other[k]!.match(/\{\w+\}/g) ?? []).sort()).toEqual((v.match(/\{\w+\}/g) ?? []).sort());
      }
    }
  });

  test("asked on each admitted page only; a no holds it; all yes records; a newcomer pauses it; a withdrawal stops it; the record is sealed", async () => {
    const g = await world.group(3);
    const lead = await open(g, g.clinician);
    const a = await open(g, g.members[0]!);
    const b = await open(g, g.members[1]!);
    const c = await open(g, g.members[2]!);
    await admit(lead, a);
    await admit(lead, b);
    // A member cannot ask; nobody can answer before anyone asked.
    a.send({ type: "recording-ask" });
    await a.next("error", (e) => e.code === "not-clinician");
    a.send({ type: "recording-consent", agree: true });
    await a.next("error", (e) => e.code === "recording-not-asked");

    let mark = [a.mark, b.mark, c.mark];
    lead.send({ type: "recording-ask" });
    for (const s of [a, b]) {
      const v = await phaseIs(s, "asking", mark[[a, b].indexOf(s)]);
      expect(v).toMatchObject({ askedBy: "Clinician 1", yours: null, pending: 2 });
      expect(v.question).toContain("Clinician 1 asks to record this session");
      expect(v.holding).toBeUndefined();
    }
    expect((await phaseIs(lead, "asking")).holding!.map((h) => h.name).sort()).toEqual(["Member 1", "Member 2"]);
    lead.send({ type: "recording-ask" });
    await lead.next("error", (e) => e.code === "recording-already-asked");

    a.send({ type: "recording-consent", agree: true });
    b.send({ type: "recording-consent", agree: false });
    const held = await lead.next("recording", (v) => v.pending === 1 && v.holding?.[0]?.answer === "no");
    expect(held.holding).toEqual([{ memberId: b.memberId, name: "Member 2", answer: "no" }]);
    expect((await b.next("recording", (v) => v.yours === "no")).phase).toBe("asking");
    expect(parts(g.sessionId)).toEqual([]);

    b.send({ type: "recording-consent", agree: true });
    for (const s of [lead, a, b]) await phaseIs(s, "recording");
    expect(parts(g.sessionId)).toEqual([{ part: 1, stopped_at: null }]);

    // A newcomer pauses it for everyone until they say yes.
    await admit(lead, c);
    const cv = await phaseIs(c, "paused");
    expect(cv).toMatchObject({ yours: null, pending: 1 });
    await phaseIs(a, "paused");
    expect(parts(g.sessionId)[0]!.stopped_at).not.toBeNull();
    mark = [lead.mark, a.mark];
    c.send({ type: "recording-consent", agree: true });
    await phaseIs(lead, "recording", mark[0]);
    await phaseIs(a, "recording", mark[1]);
    expect(parts(g.sessionId).map((p) => p.part)).toEqual([1, 2]);

    // Anyone withdraws: it stops, and stays stopped.
    mark = [lead.mark, b.mark, c.mark];
    a.send({ type: "recording-consent", agree: false });
    for (const [i, s] of [lead, b, c].entries()) expect(await phaseIs(s, "off", mark[i])).toMatchObject({ endedBecause: "withdrawn", request: null, question: null });
    expect(parts(g.sessionId).every((p) => p.stopped_at !== null)).toBe(true);

    // The record: who was asked, who answered what and when, to which words; sealed, audited on reading.
    await until(() => world.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM recording_answers").get()!.n >= 6, 3000, "answers stored");
    const rows = world.hearth.db.query<{ terms: Uint8Array }, [number]>("SELECT terms FROM recording_answers a JOIN recording_requests r ON r.id = a.request_id WHERE r.session_id = ?").all(g.sessionId);
    expect(rows.every((r) => isSealed(r.terms))).toBe(true);
    const [record] = await consentRecord(world.hearth, g.clinicianIds[0]!, g.sessionId);
    expect(record!.endReason).toBe("withdrawn");
    expect(record!.answers.map((x) => [x.personId, x.answer])).toEqual([
      [g.clinicianIds[0]!, "yes"],
      [g.memberIds[0]!, "yes"],
      [g.memberIds[1]!, "no"],
      [g.memberIds[1]!, "yes"],
      [g.memberIds[2]!, "yes"],
      [g.memberIds[0]!, "withdrawn"],
    ]);
    expect(record!.answers[2]!.terms).toMatchObject({ name: "Member 2", locale: "en" });
    expect(record!.answers[2]!.terms.text).toContain("You can withdraw at any moment");
    const reads = world.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log WHERE action = 'recording.consent_read'").get()!.n;
    expect(reads).toBeGreaterThanOrEqual(6);

    // The session's safety record shows it to its facilitator (each answer's opening audited); a member is refused it.
    const recordUrl = `${world.url}/groups/${g.groupId}/sessions/${g.sessionId}/safety`;
    const page = await fetch(recordUrl, { headers: { cookie: g.clinician } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain("Recording consent");
    expect(body).toContain("Someone withdrew at");
    expect(body).toContain("Member 2</th><td>Refused");
    expect(body).toContain("Member 1</th><td>Withdrew");
    expect(body).toContain("You can withdraw at any moment");
    expect(world.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log WHERE action = 'recording.consent_read'").get()!.n).toBe(reads + 6);
    const refused = await fetch(recordUrl, { headers: { cookie: g.members[0]! } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await refused.text()).not.toContain("Recording consent");
  });

  test("nobody waiting hears of it; a member never learns who holds it back", async () => {
    const g = await world.group(2);
    const lead = await open(g, g.clinician);
    const a = await open(g, g.members[0]!);
    const waiting = await open(g, g.members[1]!);
    await admit(lead, a);
    lead.send({ type: "recording-ask" });
    await phaseIs(a, "asking");
    a.send({ type: "recording-consent", agree: false });
    await lead.next("recording", (v) => v.holding?.[0]?.answer === "no");
    // Give the waiting socket a round trip to receive anything sent to it wrongly.
    waiting.send({ type: "recording-consent", agree: true });
    await waiting.next("error", (e) => e.code === "not-admitted");
    expect(waiting.all("recording")).toEqual([]);
    expect(JSON.stringify(a.all("recording"))).not.toContain("holding");
    const mark = a.mark;
    lead.send({ type: "recording-stop" });
    expect(await phaseIs(a, "off", mark)).toMatchObject({ endedBecause: "stopped" });
  });

  test("nothing is sent while nobody asks; a page back after a drop hears that the request ended meanwhile", async () => {
    const g = await world.group(2);
    const lead = await open(g, g.clinician);
    let a = await open(g, g.members[0]!);
    const b = await open(g, g.members[1]!);
    await admit(lead, a);
    await admit(lead, b);
    b.send({ type: "hand-raise" });
    await b.next("hands", (h) => h.queue.length === 1);
    expect([...lead.all("recording"), ...a.all("recording"), ...b.all("recording")]).toEqual([]);
    lead.send({ type: "recording-ask" });
    a.send({ type: "recording-consent", agree: true });
    await lead.next("recording", (v) => v.pending === 1);
    a.close();
    await until(() => world.rooms.room(g.sessionId)?.memberByPerson(g.memberIds[0]!)?.state === "away", 3000, "a away");
    const mark = lead.mark;
    lead.send({ type: "recording-stop" });
    await phaseIs(lead, "off", mark);
    a = await open(g, g.members[0]!);
    expect(await a.next("recording")).toMatchObject({ phase: "off", request: null, yours: null });
  });

  test("a reconnect keeps an answer; sent back and admitted again is asked again; the worker restarting starts a new part", async () => {
    const g = await world.group(2);
    const lead = await open(g, g.clinician);
    let a = await open(g, g.members[0]!);
    const b = await open(g, g.members[1]!);
    await admit(lead, a);
    await admit(lead, b);
    lead.send({ type: "recording-ask" });
    a.send({ type: "recording-consent", agree: true });
    b.send({ type: "recording-consent", agree: true });
    await phaseIs(lead, "recording");

    // A's connection drops and comes back: their place and their yes are kept.
    a.close();
    await until(() => world.rooms.room(g.sessionId)?.memberByPerson(g.memberIds[0]!)?.state === "away", 3000, "a away");
    a = await open(g, g.members[0]!);
    expect(await a.next("recording")).toMatchObject({ phase: "recording", yours: "yes" });

    // B is sent back: it goes on for those still in; admitted again, B is asked again.
    let mark = lead.mark;
    lead.send({ type: "to-waiting", memberId: b.memberId });
    await lead.next("recording", (v) => v.pending === 0 && v.phase === "recording", mark);
    mark = lead.mark;
    await admit(lead, b);
    await lead.next("recording", (v) => v.phase === "paused" && v.holding?.[0]?.memberId === b.memberId, mark);
    b.send({ type: "recording-consent", agree: true });
    await phaseIs(lead, "recording", mark);
    const before = parts(g.sessionId).length;

    // The SFU worker carrying the room dies; a new one takes over and a new part begins.
    const worker = world.rooms.load().workers.find((w) => w.rooms > 0 && w.pid !== null)!;
    process.kill(worker.pid!, "SIGKILL");
    await until(() => parts(g.sessionId).length === before + 1, 10_000, "a new part after the restart");
    const all = parts(g.sessionId);
    expect(all.at(-2)!.stopped_at).not.toBeNull();
    expect(all.at(-1)!.stopped_at).toBeNull();
    expect(world.hearth.db.query<{ ended_at: number | null }, [number]>("SELECT ended_at FROM recording_requests WHERE session_id = ?").get(g.sessionId)!.ended_at).toBeNull();
  });
});

test("the demo leaves a consent record in the first group's last session: all agreed, one withdrew, it stopped", async () => {
  const dir = tempDir();
  try {
    const hearth = await openHearth(testConfig(dir.path));
    const clinic = await createDemoClinic(hearth);
    await attendanceDemo(hearth, clinic);
    await recordingDemo(hearth, clinic);
    const group = clinic.groups[0]!;
    const session = hearth.db.query<{ id: number }, [number]>("SELECT id FROM group_sessions WHERE group_id = ? AND closed_at IS NOT NULL ORDER BY opened_at DESC LIMIT 1").get(group.id)!;
    const [record] = await consentRecord(hearth, group.clinicianId, session.id);
    expect(record!.endReason).toBe("withdrawn");
    expect(record!.answers.filter((a) => a.answer === "yes")).toHaveLength(group.memberIds.length + 1);
    expect(record!.answers.at(-1)).toMatchObject({ personId: group.memberIds[0], answer: "withdrawn" });
    expect(record!.parts).toHaveLength(1);
    expect(record!.parts[0]!.stoppedAt).not.toBeNull();
    hearth.db.close();
  } finally {
    dir.remove();
  }
});
