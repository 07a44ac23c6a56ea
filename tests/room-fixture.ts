import { afterAll, beforeAll } from "bun:test";
import type { Hearth } from "../src/context.ts";
import { addToGroup, createGroup, type GroupRole } from "../src/clinic/groups.ts";
import { createSession } from "../src/clinic/sessions.ts";
import { createSession as signIn, sessionCookieName } from "../src/identity/sessions.ts";
import type { Role } from "../src/identity/policy.ts";
import { startTestServer, type TestServer } from "./harness.ts";
import { RoomSocket } from "./room-socket.ts";

/**
 * A room world for tests: real people rows (sealed profiles) in the real database, signed in
 * through identity's real sessions (the cookie a browser would carry), a real group and session.
 */
export async function addPerson(hearth: Hearth, role: Role, displayName: string): Promise<number> {
  const profile = await hearth.vault.seal(JSON.stringify({ displayName }));
  return hearth.db
    .query<{ id: number }, [string, Uint8Array, number]>("INSERT INTO people (role, profile, created_at) VALUES (?, ?, ?) RETURNING id")
    .get(role, profile, hearth.now())!.id;
}

/** The Cookie header of a fresh sign-in session for this person. */
export function cookieFor(hearth: Hearth, personId: number): string {
  return `${sessionCookieName(false)}=${signIn(hearth, personId).id}`;
}

export interface GroupFixture {
  groupId: number;
  sessionId: number;
  /** Cookie headers: the first clinician's, then each member's. */
  clinician: string;
  members: string[];
  clinicianIds: number[];
  memberIds: number[];
}

/** A group with clinicians and members, and one planned session of it. */
export async function makeGroup(hearth: Hearth, members: number, { clinicians = 1 } = {}): Promise<GroupFixture> {
  const groupId = await createGroup(hearth, { name: "Test group", createdBy: null });
  const add = async (role: GroupRole, account: Role, name: string) => {
    const id = await addPerson(hearth, account, name);
    addToGroup(hearth.db, groupId, id, role, hearth.now());
    return id;
  };
  const clinicianIds: number[] = [];
  for (let i = 0; i < clinicians; i++) clinicianIds.push(await add("clinician", "clinician", `Clinician ${i + 1}`));
  const memberIds: number[] = [];
  for (let i = 0; i < members; i++) memberIds.push(await add("member", "patient", `Member ${i + 1}`));
  return {
    groupId,
    sessionId: createSession(hearth.db, groupId),
    clinician: cookieFor(hearth, clinicianIds[0]!),
    members: memberIds.map((id) => cookieFor(hearth, id)),
    clinicianIds,
    memberIds,
  };
}

export interface RoomWorld extends TestServer {
  /** ws:// URL of a session's room. */
  wsUrl(sessionId: number): string;
  group(members: number, opts?: { clinicians?: number }): Promise<GroupFixture>;
}

/** A real server (tests/harness.ts) with the helpers room tests need. */
export async function startRoomServer(env: Record<string, string> = {}): Promise<RoomWorld> {
  const server = await startTestServer(env);
  return {
    ...server,
    wsUrl: (sessionId) => `${server.url.replace(/^http/, "ws")}/rooms/${sessionId}/ws`,
    group: (members, opts) => makeGroup(server.hearth, members, opts),
  };
}

/** Polls `check` every 25 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A room test file's server and the hand-written sockets its tests open (tests/room-socket.ts). */
export interface RoomTests {
  /** The file's server: started before its first test, closed after its last. */
  readonly world: RoomWorld;
  /** A person's socket in the session's room, once welcomed (a member is then waiting). */
  open(g: Pick<GroupFixture, "sessionId">, cookie: string): Promise<RoomSocket>;
  /** A member's socket, let in by `facilitator`: resolves once the member is told it is admitted. */
  admit(g: Pick<GroupFixture, "sessionId">, facilitator: RoomSocket, cookie: string): Promise<RoomSocket>;
  /** A new group with `members` members: its first clinician's socket, then each member's (or the first `admit`), admitted in order. */
  room(members: number, opts?: { clinicians?: number; admit?: number }): Promise<AdmittedRoom>;
}

export interface AdmittedRoom {
  g: GroupFixture;
  clinician: RoomSocket;
  members: RoomSocket[];
}

/**
 * Registers the file's beforeAll/afterAll: a room server whose media stays on loopback, on the
 * file's own UDP `ports` range (e.g. "43200-43299"), and every socket opened through it closed
 * before the server is.
 */
export function roomTests(ports: string, env: Record<string, string> = {}): RoomTests {
  let world: RoomWorld | undefined;
  const sockets: RoomSocket[] = [];
  beforeAll(async () => {
    world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: ports, ...env });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await world?.close();
  });
  const started = (): RoomWorld => {
    if (!world) throw new Error("the room server starts in beforeAll: use it inside a test");
    return world;
  };
  const open = async (g: Pick<GroupFixture, "sessionId">, cookie: string): Promise<RoomSocket> => {
    const s = await RoomSocket.open(started().wsUrl(g.sessionId), cookie);
    sockets.push(s);
    return s;
  };
  const admit = async (g: Pick<GroupFixture, "sessionId">, facilitator: RoomSocket, cookie: string): Promise<RoomSocket> => {
    const m = await open(g, cookie);
    facilitator.send({ type: "admit", memberId: m.memberId });
    await m.next("admitted");
    return m;
  };
  const room = async (members: number, opts?: { clinicians?: number; admit?: number }): Promise<AdmittedRoom> => {
    const g = await started().group(members, opts);
    const clinician = await open(g, g.clinician);
    const admitted: RoomSocket[] = [];
    for (const cookie of g.members.slice(0, opts?.admit ?? members)) admitted.push(await admit(g, clinician, cookie));
    return { g, clinician, members: admitted };
  };
  return {
    get world() {
      return started();
    },
    open,
    admit,
    room,
  };
}
