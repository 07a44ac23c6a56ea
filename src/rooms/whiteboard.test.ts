import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as Y from "yjs";
import { startRoomServer, until, type GroupFixture, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { findSession } from "../clinic/sessions.ts";
import { rtcSettings } from "./ice.ts";
import { MediaRoom } from "./media.ts";
import type { ServerMessage } from "./protocol.ts";
import { Room, type Socket } from "./room.ts";
import { savesFinished, Whiteboard } from "./whiteboard.ts";
import { BOARD_ITEMS, type BoardItem } from "./whiteboard-protocol.ts";
import { loadBoard } from "./whiteboard-store.ts";
import { createSession as signIn } from "../identity/sessions.ts";
import { whiteboardStrings } from "./whiteboard-strings.ts";

/**
 * The whiteboard through the real room socket: a real server, hand-written sockets that hold
 * their own Yjs document (as a page does), no media needed.
 */

let world: RoomWorld;
const sockets: RoomSocket[] = [];
beforeAll(async () => {
  world = await startRoomServer({ HEARTH_SFU_WORKERS: "0", HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43300-43349" });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await world.close();
});

const b64 = (u: Uint8Array) => Buffer.from(u).toString("base64");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

/** A page's side of the board: its own document, what it draws sent as the page sends it. */
class Pen {
  readonly doc = new Y.Doc();
  constructor(readonly socket: RoomSocket) {
    this.doc.on("update", (u: Uint8Array, origin: unknown) => {
      if (origin !== "remote") socket.send({ type: "board-update", update: b64(u) });
    });
  }
  stroke(id: string, points = 20): void {
    const item: BoardItem = { id, kind: "stroke", color: "#1d4ed8", size: 6, points: Array.from({ length: points * 3 }, (_, i) => (i * 7) % 900) };
    this.doc.getArray<BoardItem>(BOARD_ITEMS).push([item]);
  }
  /** Applies everything the server sent so far (the board, then updates). */
  catchUp(): string[] {
    for (const m of this.socket.messages) {
      if (m.type === "board" || m.type === "board-update") Y.applyUpdate(this.doc, bytes(m.update), "remote");
    }
    return this.ids();
  }
  ids(): string[] {
    return this.doc.getArray<BoardItem>(BOARD_ITEMS).toArray().map((i) => i.id);
  }
}

async function open(g: GroupFixture, cookie: string): Promise<RoomSocket> {
  const s = await RoomSocket.open(world.wsUrl(g.sessionId), cookie);
  sockets.push(s);
  return s;
}

async function room(n: number, extra = 0) {
  const g = await world.group(n + extra);
  const clinician = await open(g, g.clinician);
  const members: RoomSocket[] = [];
  for (const cookie of g.members.slice(0, n)) {
    const m = await open(g, cookie);
    clinician.send({ type: "admit", memberId: m.memberId });
    await m.next("admitted");
    await m.next("board");
    members.push(m);
  }
  return { g, clinician, members };
}

const boardTypes = (s: RoomSocket, since = 0) => s.messages.slice(since).filter((m) => m.type.startsWith("board")).map((m) => m.type);

describe("whiteboard", () => {
  test("a stroke by the facilitator reaches every admitted member; a late joiner gets the board on admission; the waiting get nothing", async () => {
    const { g, clinician, members } = await room(2, 2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    const waiting = await open(g, g.members[2]!);
    const pen = new Pen(clinician);
    pen.stroke("s1");
    await a.next("board-update");
    await b.next("board-update");
    expect(new Pen(a).catchUp()).toEqual(["s1"]);
    expect(new Pen(b).catchUp()).toEqual(["s1"]);
    // The author gets no echo of their own stroke.
    expect(clinician.all("board-update")).toEqual([]);
    // The waiting member: no board, no update, and sending one is refused before the board sees it.
    waiting.send({ type: "board-sync", stateVector: b64(Y.encodeStateVector(new Y.Doc())) });
    const refusal = await waiting.next("error", (e) => e.ref === "board-sync");
    expect(refusal.code).toBe("not-admitted");
    expect(boardTypes(waiting)).toEqual([]);
    // Late: the fourth member joins after two more strokes and sees all three.
    pen.stroke("s2");
    pen.stroke("s3");
    await a.next("board-update", () => true, a.all("board-update").length ? a.messages.indexOf(a.all("board-update")[0]!) + 1 : 0);
    const late = await open(g, g.members[3]!);
    clinician.send({ type: "admit", memberId: late.memberId });
    const board = await late.next("board");
    expect(board.maxBytes).toBeGreaterThan(0);
    await until(() => new Pen(late).catchUp().length === 3, 3000, "three strokes at the late joiner");
    expect(new Pen(late).catchUp()).toEqual(["s1", "s2", "s3"]);
    expect(boardTypes(waiting)).toEqual([]);
  });

  test("a member sent back to the waiting room or removed gets no more of the board", async () => {
    const { clinician, members } = await room(3);
    const [a, b, c] = members as [RoomSocket, RoomSocket, RoomSocket];
    clinician.send({ type: "to-waiting", memberId: a.memberId });
    await a.next("waiting", (w) => w.reason === "sent-back");
    clinician.send({ type: "remove", memberId: b.memberId });
    await until(() => b.closedWith !== null, 3000, "removed");
    const marks = [a.mark, b.mark, c.mark];
    new Pen(clinician).stroke("after");
    // The member still in gets it; by then the other two would have too.
    await c.next("board-update", () => true, marks[2]);
    await new Promise((r) => setTimeout(r, 200));
    expect(boardTypes(a, marks[0])).toEqual([]);
    expect(boardTypes(b, marks[1])).toEqual([]);
    // A sent-back member's board message is refused before the board sees it.
    a.send({ type: "board-sync", stateVector: b64(Y.encodeStateVector(new Y.Doc())) });
    expect((await a.next("error", (e) => e.ref === "board-sync")).code).toBe("not-admitted");
    expect(boardTypes(a, marks[0])).toEqual([]);
  });

  test("a member draws only once a facilitator allows it; the permission is shown to everyone and ends when withdrawn", async () => {
    const { clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    const pen = new Pen(a);
    pen.stroke("from-a");
    const refused = await a.next("error", (e) => e.ref === "board-update");
    expect(refused.code).toBe("board-not-allowed");
    expect(refused.message).toBe(whiteboardStrings("en")["board-not-allowed"]);
    // A member may not hand out permission either.
    a.send({ type: "board-allow", memberId: a.memberId, allowed: true });
    expect((await a.next("error", (e) => e.ref === "board-allow")).code).toBe("not-clinician");

    clinician.send({ type: "board-allow", memberId: a.memberId, allowed: true });
    for (const s of [clinician, a, b]) expect((await s.next("board-access")).drawers).toEqual([a.memberId]);
    // Back in sync: the refused stroke reaches the server when the page syncs again.
    const mark = b.mark;
    a.send({ type: "board-sync", stateVector: b64(Y.encodeStateVector(pen.doc)) });
    const reply = await a.next("board", () => true, a.mark - 1);
    Y.applyUpdate(pen.doc, bytes(reply.update), "remote");
    a.send({ type: "board-update", update: b64(Y.encodeStateAsUpdate(pen.doc, bytes(reply.stateVector))) });
    await b.next("board-update", () => true, mark);
    expect(new Pen(b).catchUp()).toEqual(["from-a"]);

    clinician.send({ type: "board-allow", memberId: a.memberId, allowed: false });
    await a.next("board-access", (m) => m.drawers.length === 0);
    const errors = a.all("error").length;
    pen.stroke("again");
    await until(() => a.all("error").length > errors, 3000, "refusal");
    expect(a.all("error").at(-1)!.code).toBe("board-not-allowed");
  });

  test("a malformed update or an oversized one is refused in words; the board and the room carry on", async () => {
    const { clinician, members } = await room(1);
    const [a] = members as [RoomSocket];
    clinician.send({ type: "board-update", update: b64(new Uint8Array([1, 2, 3, 250, 251, 252, 253])) });
    expect((await clinician.next("error", (e) => e.ref === "board-update")).code).toBe("board-bad-update");
    clinician.send({ type: "board-update", update: "not base64 at all!" });
    expect((await clinician.next("error", (e) => e.code === "malformed")).code).toBe("malformed");
    clinician.send({ type: "board-update", update: "A".repeat(70_000) });
    await until(() => clinician.all("error").length >= 3, 3000, "oversized refused");
    const pen = new Pen(clinician);
    pen.stroke("still-fine");
    await a.next("board-update");
    expect(new Pen(a).catchUp()).toEqual(["still-fine"]);
  });

  test("a member who floods the board is slowed with a notice; the others keep getting the facilitator's strokes", async () => {
    const { clinician, members } = await room(2);
    const [a, b] = members as [RoomSocket, RoomSocket];
    clinician.send({ type: "board-allow", memberId: a.memberId, allowed: true });
    await a.next("board-access");
    const flood = new Pen(a);
    // About 45 KB per stroke: the sixth or so goes past the 256 KB burst.
    for (let i = 0; i < 10; i++) flood.stroke(`big${i}`, 5000);
    const slow = await a.next("error", (e) => e.code === "board-too-fast");
    expect(slow.message).toBe(whiteboardStrings("en")["board-too-fast"]);
    expect(a.closedWith).toBeNull();
    const mark = b.mark;
    new Pen(clinician).stroke("calm");
    await b.next("board-update", (m) => {
      const d = new Y.Doc();
      Y.applyUpdate(d, bytes(m.update));
      return d.getArray<BoardItem>(BOARD_ITEMS).toArray().some((i) => i.id === "calm");
    }, mark);
  });

  test("the board is saved sealed with the session when it ends", async () => {
    const { g, clinician, members } = await room(1);
    const pen = new Pen(clinician);
    pen.stroke("kept");
    await members[0]!.next("board-update");
    // What a member may write is drawn as text on the record, never as markup.
    const mark = members[0]!.mark;
    pen.doc.getArray<BoardItem>(BOARD_ITEMS).push([{ id: "x", kind: "sticky", color: '"><script>alert(1)</script>', x: 10, y: 10, text: "<img src=x onerror=alert(1)> breathe" }]);
    await members[0]!.next("board-update", () => true, mark);
    clinician.send({ type: "end" });
    await until(async () => (await loadBoard(world.hearth, g.sessionId)) !== null, 3000, "saved board");
    const saved = new Y.Doc();
    Y.applyUpdate(saved, (await loadBoard(world.hearth, g.sessionId))!);
    expect(saved.getArray<BoardItem>(BOARD_ITEMS).toArray().map((i) => i.id)).toEqual(["kept", "x"]);
    // Sealed at rest: the raw column is age ciphertext, not the Yjs bytes.
    const raw = world.hearth.db.query<{ board: Uint8Array }, [number]>("SELECT board FROM whiteboards WHERE session_id = ?").get(g.sessionId)!.board;
    expect(Buffer.from(raw).includes(Buffer.from("kept"))).toBe(false);
    expect(Buffer.from(raw).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    // The session record says so to the group's clinicians.
    const s = signIn(world.hearth, g.clinicianIds[0]!);
    const record = await fetch(`${world.url}/groups/${g.groupId}/sessions/${g.sessionId}`, { headers: { cookie: `hearth_session=${s.id}` } });
    const page = await record.text();
    expect(page).toContain("The whiteboard was saved with the session (");
    // The board itself, drawn as SVG: the stroke as a path, the note's words as text, nothing run.
    const svg = page.slice(page.indexOf('<svg id="board-record"'), page.indexOf("</svg>") + 6);
    expect(svg).toContain("<path d=\"M");
    expect(svg).toContain("&lt;img src=x</tspan>");
    expect(svg).toContain("onerror=alert(1)&gt;</tspan>");
    expect(page).not.toContain("<script>alert(1)");
    expect(page).not.toContain("<img src=x");
    expect(svg).toContain('stroke="#1f2937"');
    expect(world.hearth.db.query("SELECT 1 FROM audit_log WHERE action = 'whiteboard.read' AND subject = ?").get(`group_session:${g.sessionId}`)).not.toBeNull();
  });
});

describe("whiteboard in a room made by hand", () => {
  async function handRoom(sessionId: number, personId: number, maxBytes?: number) {
    const settings = await rtcSettings(world.hearth.config);
    const room = new Room(findSession(world.hearth.db, sessionId)!, world.hearth, {
      media: (listener) => new MediaRoom(settings, listener),
      graceMs: 200,
      features: [(ctx) => new Whiteboard(ctx, { maxBytes })],
    });
    const got: ServerMessage[] = [];
    const socket: Socket = { send: (m) => got.push(m), close() {} };
    const member = room.connect({ personId, role: "clinician", displayName: "Clinician", locale: "fr" }, "clinician", socket)!;
    await until(() => got.some((m) => m.type === "board"), 3000, "board");
    return { room, got, socket, member };
  }

  test("a room made again after a restart (the session still live) has the board as it was", async () => {
    const g = await world.group(0);
    const first = await handRoom(g.sessionId, g.clinicianIds[0]!);
    const doc = new Y.Doc();
    doc.getArray<BoardItem>(BOARD_ITEMS).push([{ id: "before-restart", kind: "text", color: "#000000", x: 10, y: 10, text: "Breathe" }]);
    await first.room.receive(first.member, first.socket, JSON.stringify({ type: "board-update", update: b64(Y.encodeStateAsUpdate(doc)) }));
    first.room.dispose(); // what a shutdown does
    await savesFinished();
    const second = await handRoom(g.sessionId, g.clinicianIds[0]!);
    const board = second.got.find((m) => m.type === "board")!;
    const again = new Y.Doc();
    Y.applyUpdate(again, bytes(board.type === "board" ? board.update : ""));
    expect(again.getArray<BoardItem>(BOARD_ITEMS).toArray()).toEqual([{ id: "before-restart", kind: "text", color: "#000000", x: 10, y: 10, text: "Breathe" }]);
    second.room.dispose();
    await savesFinished();
  });

  test("past its size the board refuses more, says how full it is, and keeps what it has", async () => {
    const g = await world.group(0);
    const { room, got, socket, member } = await handRoom(g.sessionId, g.clinicianIds[0]!, 20_000);
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on("update", (u: Uint8Array) => updates.push(u));
    for (let i = 0; i < 12; i++) doc.getArray<BoardItem>(BOARD_ITEMS).push([{ id: `n${i}`, kind: "sticky", color: "#fde68a", x: i, y: i, text: "x".repeat(2000) }]);
    for (const u of updates) await room.receive(member, socket, JSON.stringify({ type: "board-update", update: b64(u) }));
    const full = got.filter((m) => m.type === "error" && m.code === "board-full");
    expect(full.length).toBeGreaterThan(0);
    expect(full[0]!.type === "error" && full[0]!.message).toContain("Le tableau blanc est plein");
    room.end(null);
    await savesFinished();
    const kept = new Y.Doc();
    Y.applyUpdate(kept, (await loadBoard(world.hearth, g.sessionId))!);
    const ids = kept.getArray<BoardItem>(BOARD_ITEMS).toArray().map((i) => i.id);
    expect(ids.length).toBeGreaterThan(3);
    expect(ids.length).toBeLessThan(12);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `n${i}`));
  });
});

describe("whiteboard picture", () => {
  // A real 1 x 1 PNG (what canvas.toBlob makes, only smaller).
  const PNG = new Uint8Array(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64"));
  const post = (personId: number, sessionId: number, body: Uint8Array<ArrayBuffer>, type = "image/png") => {
    const s = signIn(world.hearth, personId);
    return fetch(`${world.url}/rooms/${sessionId}/board.png`, {
      method: "POST",
      headers: { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken, "content-type": type, origin: world.hearth.config.publicUrl },
      body,
    });
  };

  test("a facilitator's picture goes into the session's materials, sealed and audited; nobody else may, and only a PNG", async () => {
    const g = await world.group(1);
    const other = await world.group(0);
    const before = world.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM materials").get()!.n;
    const ok = await post(g.clinicianIds[0]!, g.sessionId, PNG);
    expect(ok.status).toBe(201);
    const { materialId, message } = (await ok.json()) as { materialId: number; message: string };
    expect(message).toBe(whiteboardStrings("en").exported);
    const row = world.hearth.db.query<{ group_id: number; mime: string; bytes: number; title: Uint8Array }, [number]>("SELECT group_id, mime, bytes, title FROM materials WHERE id = ?").get(materialId)!;
    expect(row).toMatchObject({ group_id: g.groupId, mime: "image/png", bytes: PNG.length });
    expect(await world.hearth.vault.openText(row.title)).toMatch(/^Whiteboard, /);
    expect(world.hearth.db.query("SELECT 1 FROM audit_log WHERE action = 'whiteboard.exported' AND subject = ?").get(`group_session:${g.sessionId}`)).not.toBeNull();

    const member = await post(g.memberIds[0]!, g.sessionId, PNG);
    expect(member.status).toBe(403);
    const stranger = await post(other.clinicianIds[0]!, g.sessionId, PNG);
    expect(stranger.status).toBe(403);
    const notPng = await post(g.clinicianIds[0]!, g.sessionId, new TextEncoder().encode("%PDF-1.4 not a picture at all"));
    expect(notPng.status).toBe(400);
    expect(await notPng.text()).toContain(whiteboardStrings("en").pngNotPng);
    const huge = await post(g.clinicianIds[0]!, g.sessionId, new Uint8Array(9 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect(world.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM materials").get()!.n).toBe(before + 1);
  });
});

describe("whiteboard in the demo clinic", () => {
  test("each demo group's latest past session has a saved board with the evening's notes", async () => {
    const { openHearth } = await import("../server.ts");
    const { tempDir, testConfig } = await import("../../tests/harness.ts");
    const { createDemoClinic } = await import("../demo/clinic.ts");
    const { attendanceDemo } = await import("./attendance-demo.ts");
    const { whiteboardDemo } = await import("./whiteboard-demo.ts");
    const { heldSessionsOf } = await import("./attendance.ts");
    const dir = tempDir();
    const hearth = await openHearth(testConfig(dir.path));
    try {
      const clinic = await createDemoClinic(hearth);
      await attendanceDemo(hearth, clinic);
      await whiteboardDemo(hearth, clinic);
      for (const group of clinic.groups) {
        const doc = new Y.Doc();
        Y.applyUpdate(doc, (await loadBoard(hearth, heldSessionsOf(hearth.db, group.id, 1)[0]!.id))!);
        expect(doc.getArray<BoardItem>(BOARD_ITEMS).toArray().some((i) => i.kind === "sticky")).toBe(true);
      }
    } finally {
      hearth.db.close();
      dir.remove();
    }
  });
});
