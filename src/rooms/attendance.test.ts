/**
 * Attendance as billing and the clinical record need it: minutes present per person per session,
 * from the real room (hand-written sockets on a real server, the test clock moved forward instead
 * of sleeping), shown to the group's clinicians on the session record and the group page, exported
 * as CSV, and kept true across a crash of the process (the database as it was on disk, opened by a
 * new server) and of an SFU worker.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Database } from "bun:sqlite";
import { startServer } from "../server.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { cookieFor, makeGroup, startRoomServer, until, type GroupFixture, type RoomWorld } from "../../tests/room-fixture.ts";
import { createSession as signIn } from "../identity/sessions.ts";
import { closeInterruptedVisits, endVisit, heartbeat, markAdmitted, markAway, presenceOf, startVisit, visitsOf } from "./attendance.ts";
import type { ServerMessage } from "./protocol.ts";

const MIN = 60_000;

/** A member's page reduced to its socket: JSON in, JSON out. */
class Page {
  readonly messages: ServerMessage[] = [];
  readonly ws: WebSocket;
  closed = false;
  constructor(url: string, cookie: string, origin: string) {
    this.ws = new WebSocket(url, { headers: { cookie, origin } } as unknown as string[]);
    this.ws.onmessage = (e) => this.messages.push(JSON.parse(String(e.data)));
    this.ws.onclose = () => (this.closed = true);
  }
  async opened(): Promise<this> {
    await until(() => this.messages.some((m) => m.type === "welcome"), 5000, "welcome");
    return this;
  }
  get memberId(): number {
    const w = this.messages.find((m) => m.type === "welcome");
    return w && w.type === "welcome" ? w.memberId : 0;
  }
  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }
  async saw(type: string, after = 0): Promise<void> {
    await until(() => this.messages.slice(after).some((m) => m.type === type), 5000, type);
  }
}

/** A fresh sign-in each time: the test clock moves past the idle timeout of older ones. */
function page(world: RoomWorld, g: GroupFixture, personId: number): Promise<Page> {
  return new Page(world.wsUrl(g.sessionId), cookieFor(world.hearth, personId), world.hearth.config.publicUrl).opened();
}

/** A signed-in HTTP client for the pages (cookie and CSRF token from identity's real sessions). */
function browserOf(world: RoomWorld, personId: number) {
  const s = signIn(world.hearth, personId);
  const headers = { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken };
  return (path: string) => fetch(`${world.url}${path}`, { headers, redirect: "manual" });
}

describe("attendance: minutes present", () => {
  test("overlapping and repeated visits count once; waiting is not counted; an open visit counts to now", () => {
    const v = (personId: number, knockedAt: number, admittedAt: number | null, leftAt: number | null) => ({ personId, knockedAt, admittedAt, leftAt, outcome: leftAt === null ? null : ("left" as const) });
    const rows = presenceOf([v(1, 0, 5 * MIN, 20 * MIN), v(1, 20 * MIN, 25 * MIN, 40 * MIN), v(1, 30 * MIN, 35 * MIN, 45 * MIN), v(2, 0, null, 10 * MIN), v(3, 0, 0, null)], 50 * MIN);
    const by = new Map(rows.map((r) => [r.personId, r]));
    expect(by.get(1)).toMatchObject({ minutes: 35, visits: 3, firstAdmittedAt: 5 * MIN, lastLeftAt: 45 * MIN });
    expect(by.get(2)).toMatchObject({ minutes: 0, firstAdmittedAt: null });
    expect(by.get(3)).toMatchObject({ minutes: 50, lastLeftAt: null, lastOutcome: null });
  });
});

describe("attendance through the room", () => {
  let world: RoomWorld;
  beforeAll(async () => {
    world = await startRoomServer({ HEARTH_SFU_WORKERS: "0", HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43000-43049" });
  });
  afterAll(() => world.close());

  test("a 50-minute session: each person's minutes within a minute of the real times, on the record page, the group page and in the CSV", async () => {
    const g = await world.group(3);
    const clock = world.clock;
    const t0 = clock.now;
    const clinician = await page(world, g, g.clinicianIds[0]!);
    const a = await page(world, g, g.memberIds[0]!);
    clock.advance(3 * MIN); // A waits three minutes: not counted
    clinician.send({ type: "admit", memberId: a.memberId });
    await a.saw("admitted");
    clock.advance(2 * MIN);
    const b = await page(world, g, g.memberIds[1]!);
    clinician.send({ type: "admit", memberId: b.memberId });
    await b.saw("admitted");
    const c = await page(world, g, g.memberIds[2]!);
    clinician.send({ type: "admit", memberId: c.memberId });
    await c.saw("admitted");
    clock.advance(10 * MIN + 20_000); // t0 + 15m20s
    // C's connection drops and never comes back: C left when the connection did.
    c.ws.close();
    await until(() => visitsOf(world.hearth.db, g.sessionId).some((v) => v.personId === g.memberIds[2]) && world.hearth.db.query("SELECT away_since FROM attendance WHERE person_id = ? AND away_since IS NOT NULL").get(g.memberIds[2]!) !== null, 3000, "C away");
    clock.advance(4 * MIN + 40_000); // t0 + 20m
    a.send({ type: "leave" });
    await until(() => a.closed, 3000, "A gone");
    clock.advance(10 * MIN); // t0 + 30m: A comes back and is let in a minute later
    const a2 = await page(world, g, g.memberIds[0]!);
    clock.advance(MIN);
    clinician.send({ type: "admit", memberId: a2.memberId });
    await a2.saw("admitted");
    clock.advance(19 * MIN); // t0 + 50m
    // Midway check: the record counts open visits up to now.
    const get = browserOf(world, g.clinicianIds[0]!);
    clinician.send({ type: "end" });
    await until(() => b.closed && a2.closed && clinician.closed, 3000, "everyone let go");
    expect(world.hearth.now() - t0).toBe(50 * MIN);

    const expected = new Map([
      [g.clinicianIds[0]!, 50],
      [g.memberIds[0]!, 17 + 19],
      [g.memberIds[1]!, 45],
      [g.memberIds[2]!, 10],
    ]);
    const presence = presenceOf(visitsOf(world.hearth.db, g.sessionId), world.hearth.now());
    for (const [personId, minutes] of expected) {
      const row = presence.find((p) => p.personId === personId)!;
      expect(Math.abs(row.presentMs / MIN - minutes)).toBeLessThanOrEqual(1);
    }
    expect(presence.find((p) => p.personId === g.memberIds[2])!.lastOutcome).toBe("ended");

    // The session page sends the clinician to the record once the session is over.
    const live = await get(`/sessions/${g.sessionId}`);
    expect(live.status).toBe(303);
    const record = live.headers.get("location")!;
    expect(record).toBe(`/groups/${g.groupId}/sessions/${g.sessionId}`);
    const html = await (await get(record)).text();
    for (const [personId, minutes] of expected) {
      const m = new RegExp(`data-person-id="${personId}">.*?data-minutes="(\\d+)"`).exec(html);
      expect(Math.abs(Number(m![1]) - minutes)).toBeLessThanOrEqual(1);
    }
    expect(html).toContain("Member 1");

    // The CSV: the same rows, named without patient data, audited.
    const before = world.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'attendance.exported' AND subject = ?").get(`group_session:${g.sessionId}`)!.n;
    const csv = await get(`${record}/attendance.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const disposition = csv.headers.get("content-disposition")!;
    expect(disposition).toMatch(new RegExp(`^attachment; filename="attendance-session-${g.sessionId}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`));
    const lines = (await csv.text()).replace(/^\uFEFF/, "").trim().split("\r\n");
    expect(lines[0]).toBe('"Name","Part","First let in","Last left","Minutes present","Visits","How it ended"');
    expect(lines.length).toBe(1 + expected.size);
    const member1 = lines.find((l) => l.startsWith('"Member 1"'))!.split(",");
    expect(Math.abs(Number(member1[4]!.replace(/"/g, "")) - 36)).toBeLessThanOrEqual(1);
    expect(member1[5]).toBe('"2"');
    const after = world.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'attendance.exported' AND subject = ?").get(`group_session:${g.sessionId}`)!.n;
    expect(after).toBe(before + 1);

    // The group page shows the session's minutes too.
    const groupPage = await (await get(`/groups/${g.groupId}`)).text();
    expect(groupPage).toContain('id="group-attendance"');
    const row = new RegExp(`data-person-id="${g.memberIds[1]}">.*?data-minutes="(\\d+)"`).exec(groupPage);
    expect(Math.abs(Number(row![1]) - 45)).toBeLessThanOrEqual(1);

    // A member sees neither the record nor the CSV; nor does a clinician of another group.
    const member = browserOf(world, g.memberIds[0]!);
    expect((await member(`${record}/attendance.csv`)).status).toBe(403);
    expect((await member(`/sessions/${g.sessionId}`)).status).toBe(410);
    const other = await world.group(0);
    const stranger = browserOf(world, other.clinicianIds[0]!);
    expect([403, 404]).toContain((await stranger(`${record}/attendance.csv`)).status);
    // Another group's id in the path with this session: not found, nothing shown.
    const mixed = await get(`/groups/${other.groupId}/sessions/${g.sessionId}`);
    expect([403, 404]).toContain(mixed.status);
  });

  test("a name that looks like a spreadsheet formula is written as text in the CSV", async () => {
    const { attendanceCsv } = await import("./attendance-routes.ts");
    const csv = attendanceCsv("en", [{ personId: 1, name: '=HYPERLINK("x")', part: "Member", firstAdmittedAt: 0, lastLeftAt: MIN, minutes: 1, presentMs: MIN, visits: 1, lastOutcome: "left" }]);
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });
});

describe("attendance survives a crash", () => {
  test("visits open when the process died end at the last heartbeat (or when the connection dropped), and the new process counts on", async () => {
    const world = await startRoomServer({ HEARTH_SFU_WORKERS: "0", HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43050-43099" });
    const copy = tempDir();
    let second: Awaited<ReturnType<typeof startServer>> | null = null;
    try {
      const g = await world.group(2);
      const t0 = world.clock.now;
      const clinician = await page(world, g, g.clinicianIds[0]!);
      const a = await page(world, g, g.memberIds[0]!);
      const b = await page(world, g, g.memberIds[1]!);
      clinician.send({ type: "admit-all" });
      await a.saw("admitted");
      await b.saw("admitted");
      world.clock.advance(10 * MIN);
      heartbeat(world.hearth.db, world.hearth.now()); // what the 30-second timer writes
      world.clock.advance(20_000);
      b.ws.close(); // B's connection drops 10m20s in
      await until(() => world.hearth.db.query("SELECT 1 FROM attendance WHERE person_id = ? AND away_since IS NOT NULL").get(g.memberIds[1]!) !== null, 3000, "B away");
      world.clock.advance(5_000);
      heartbeat(world.hearth.db, world.hearth.now());
      world.clock.advance(MIN); // then the power goes: nothing more is written

      // The database exactly as committed at that moment, with the keys, in a new data dir.
      world.hearth.db.exec(`VACUUM INTO '${join(copy.path, "snapshot.db")}'`);
      cpSync(world.dataDir, copy.path, { recursive: true, filter: (src) => !/hearth\.(db|db-wal|db-shm|pid)$/.test(src) });
      cpSync(join(copy.path, "snapshot.db"), join(copy.path, "hearth.db"));
      rmSync(join(copy.path, "snapshot.db"));
      const open = new Database(join(copy.path, "hearth.db"));
      expect(open.query("SELECT count(*) AS n FROM attendance WHERE session_id = ? AND left_at IS NULL").get(g.sessionId)).toEqual({ n: 3 });
      open.close();

      // The new process starts an hour later.
      const clock = { now: world.clock.now + 60 * MIN };
      second = await startServer(testConfig(copy.path, { HEARTH_SFU_WORKERS: "0", HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43100-43149" }), { quiet: true, now: () => clock.now });
      const visits = visitsOf(second.hearth.db, g.sessionId);
      expect(visits.every((v) => v.leftAt !== null && v.outcome === "dropped")).toBe(true);
      const byPerson = new Map(presenceOf(visits, clock.now).map((p) => [p.personId, p]));
      // The clinician and A: up to the last heartbeat (10m25s); B: up to the drop (10m20s).
      expect(Math.abs(byPerson.get(g.clinicianIds[0]!)!.presentMs - (10 * MIN + 25_000))).toBeLessThan(1000);
      expect(Math.abs(byPerson.get(g.memberIds[0]!)!.presentMs - (10 * MIN + 25_000))).toBeLessThan(1000);
      expect(Math.abs(byPerson.get(g.memberIds[1]!)!.presentMs - (10 * MIN + 20_000))).toBeLessThan(1000);
      expect(visits.every((v) => v.leftAt! <= t0 + 11 * MIN)).toBe(true);

      // The session is still live: the clinician comes back to the new process, and counts on.
      const wsUrl = `${second.url.replace(/^http/, "ws")}/rooms/${g.sessionId}/ws`;
      const back = await new Page(wsUrl, cookieFor(second.hearth, g.clinicianIds[0]!), second.hearth.config.publicUrl).opened();
      clock.now += 5 * MIN;
      const now = presenceOf(visitsOf(second.hearth.db, g.sessionId), clock.now).find((p) => p.personId === g.clinicianIds[0])!;
      expect(Math.abs(now.presentMs - (15 * MIN + 25_000))).toBeLessThan(1000);
      expect(now.visits).toBe(2);
      back.ws.close();
    } finally {
      await second?.stop();
      copy.remove();
      await world.close();
    }
  }, 30_000);

  test("a dropped visit ends when the connection dropped, not when the room stopped keeping the place", async () => {
    const world = await startRoomServer({ HEARTH_SFU_WORKERS: "0" });
    try {
      const g = await makeGroup(world.hearth, 1);
      const db = world.hearth.db;
      const id = startVisit(db, g.sessionId, g.memberIds[0]!, 0);
      markAdmitted(db, id, g.clinicianIds[0]!, MIN);
      markAway(db, id, 11 * MIN);
      markAway(db, id, 12 * MIN); // a second report keeps the first drop
      endVisit(db, id, "dropped", 12 * MIN);
      expect(visitsOf(db, g.sessionId)[0]).toMatchObject({ admittedAt: MIN, leftAt: 11 * MIN, outcome: "dropped" });
      // Nothing is open, so a restart changes nothing.
      expect(closeInterruptedVisits(db)).toBe(0);
    } finally {
      await world.close();
    }
  });
});

describe("attendance survives an SFU worker crash", () => {
  test("the worker dies and is replaced; nobody's visit ends and minutes keep counting", async () => {
    const world = await startRoomServer({ HEARTH_SFU_WORKERS: "1", HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43150-43199" });
    try {
      const g = await world.group(1);
      const clinician = await page(world, g, g.clinicianIds[0]!);
      const a = await page(world, g, g.memberIds[0]!);
      clinician.send({ type: "admit", memberId: a.memberId });
      await a.saw("admitted");
      await until(() => world.rooms.load().workers[0]?.pid != null, 5000, "a worker");
      const worker = world.rooms.load().workers[0]!;
      world.clock.advance(10 * MIN);
      const seen = a.messages.length;
      process.kill(worker.pid!, "SIGKILL");
      await until(() => (world.rooms.load().workers[0]!.pid ?? worker.pid) !== worker.pid, 8000, "a new worker");
      // The member is still in: a fresh offer comes, no waiting room.
      await until(() => a.messages.slice(seen).some((m) => m.type === "offer" && m.fresh), 8000, "a fresh offer");
      expect(a.messages.slice(seen).some((m) => m.type === "waiting" || m.type === "ended")).toBe(false);
      world.clock.advance(5 * MIN);
      const visits = visitsOf(world.hearth.db, g.sessionId);
      expect(visits.every((v) => v.leftAt === null)).toBe(true);
      const rowA = presenceOf(visits, world.hearth.now()).find((p) => p.personId === g.memberIds[0])!;
      expect(Math.abs(rowA.presentMs / MIN - 15)).toBeLessThanOrEqual(1);
      expect(rowA.visits).toBe(1);
      clinician.ws.close();
      a.ws.close();
    } finally {
      await world.close();
    }
  }, 30_000);
});

describe("attendance in the demo clinic", () => {
  test("each demo group has three past sessions with a believable register", async () => {
    const { openHearth } = await import("../server.ts");
    const { createDemoClinic } = await import("../demo/clinic.ts");
    const { attendanceDemo } = await import("./attendance-demo.ts");
    const { heldSessionsOf } = await import("./attendance.ts");
    const dir = tempDir();
    const hearth = await openHearth(testConfig(dir.path));
    try {
      const clinic = await createDemoClinic(hearth);
      await attendanceDemo(hearth, clinic);
      const g = clinic.groups[0]!;
      const sessions = heldSessionsOf(hearth.db, g.id, 10);
      expect(sessions.length).toBe(3);
      expect(sessions.every((s) => s.closedAt !== null && s.closedAt - s.openedAt === 95 * MIN)).toBe(true);
      const last = presenceOf(visitsOf(hearth.db, sessions[0]!.id), hearth.now());
      expect(last.find((p) => p.personId === g.clinicianId)!.minutes).toBe(95);
      // The member who lost their connection half-way: 38.5 + 42.5 minutes, in two visits.
      expect(last.find((p) => p.personId === g.memberIds[2])).toMatchObject({ minutes: 81, visits: 2 });
      // Sessions the schedule demo already held get their register; none is made beside them.
      const { createSession, openSession, closeSession } = await import("../clinic/sessions.ts");
      const other = clinic.groups[1]!;
      hearth.db.exec(`DELETE FROM attendance WHERE session_id IN (SELECT id FROM group_sessions WHERE group_id = ${other.id})`);
      hearth.db.exec(`DELETE FROM group_sessions WHERE group_id = ${other.id}`);
      const held = createSession(hearth.db, other.id, hearth.now() - 2 * 24 * 60 * MIN);
      openSession(hearth.db, held, other.clinicianId, hearth.now() - 2 * 24 * 60 * MIN);
      closeSession(hearth.db, held, hearth.now() - 2 * 24 * 60 * MIN + 90 * MIN);
      await attendanceDemo(hearth, { ...clinic, groups: [other] });
      expect(heldSessionsOf(hearth.db, other.id, 10).map((s) => s.id)).toEqual([held]);
      expect(presenceOf(visitsOf(hearth.db, held), hearth.now()).find((p) => p.personId === other.clinicianId)!.minutes).toBe(90);
    } finally {
      hearth.db.close();
      dir.remove();
    }
  });
});
