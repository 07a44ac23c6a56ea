import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRoomServer, type GroupFixture, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { createSession } from "../identity/sessions.ts";
import { accept, Client } from "../identity/test-client.ts";
import { endGuestsOfEndedSessions } from "./guests.ts";

/**
 * Guests for one session: invited by the facilitator, labelled in the room, refused everything
 * else, and shut out when the session ends (their link too, if nobody used it).
 */
let world: RoomWorld;
let g: GroupFixture;
const sockets: RoomSocket[] = [];

async function as(personId: number): Promise<Client> {
  const c = new Client(world);
  c.cookies.set("hearth_session", createSession(world.hearth, personId).id);
  await c.get("/");
  return c;
}
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const linkIn = (text: string) => new URL(/value="([^"]+)"[^>]*data-invite-link/.exec(text)![1]!).pathname;
async function open(cookie: string): Promise<RoomSocket> {
  const s = await RoomSocket.open(world.wsUrl(g.sessionId), cookie);
  sockets.push(s);
  return s;
}

beforeAll(async () => {
  world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43400-43499" });
  g = await world.group(2);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await world.close();
});

describe("guests for one session", () => {
  let guest: Client;
  let guestId = 0;
  let unusedLink = "";

  test("the facilitator invites an interpreter for a named member; bad choices are refused by name", async () => {
    const clinician = await as(g.clinicianIds[0]!);
    const page = await clinician.get(`/groups/${g.groupId}/sessions/${g.sessionId}/guests`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<option value="${g.memberIds[0]}">Member 1</option>`);
    const noMember = await clinician.post(`/groups/${g.groupId}/sessions/${g.sessionId}/guests`, form({ part: "interpreter", forPersonId: "" }));
    expect(noMember.status).toBe(400);
    expect(noMember.text).toContain("Interpreting for: choose the member");
    const stranger = await clinician.post(`/groups/${g.groupId}/sessions/${g.sessionId}/guests`, form({ part: "interpreter", forPersonId: String(g.clinicianIds[0]) }));
    expect(stranger.status).toBe(400);
    const made = await clinician.post(`/groups/${g.groupId}/sessions/${g.sessionId}/guests`, form({ part: "interpreter", forPersonId: String(g.memberIds[0]) }));
    expect(made.status).toBe(201);
    guest = await accept(world, linkIn(made.text), "Ines Interpreter");
    guestId = guest.personId;
    const second = await clinician.post(`/groups/${g.groupId}/sessions/${g.sessionId}/guests`, form({ part: "family" }));
    unusedLink = linkIn(second.text);
    // Another member of the group, and a member's own account, may not invite anyone.
    expect((await (await as(g.memberIds[1]!)).post(`/groups/${g.groupId}/sessions/${g.sessionId}/guests`, form({ part: "family" }))).status).toBe(403);
  });

  test("in the room the guest is a member like the others, labelled with their role for everyone", async () => {
    const lead = await open(g.clinician);
    const ines = await open(`hearth_session=${guest.cookies.get("hearth_session")}`);
    const a = await open(g.members[0]!);
    for (const s of [ines, a]) {
      lead.send({ type: "admit", memberId: s.memberId });
      await s.next("admitted");
    }
    for (const s of [lead, a, ines]) {
      const { labels } = await s.next("guest-labels", (m) => m.labels.length === 1);
      expect(labels).toEqual([{ memberId: ines.memberId, part: "interpreter", forName: "Member 1" }]);
    }
    // The guest takes part in the chat.
    ines.send({ type: "chat-send", to: "everyone", text: "Hola a todos" });
    await a.next("chat", (c) => c.messages.some((m) => m.text === "Hola a todos"));
    // The guest's home page leads to this session while it is live.
    expect((await guest.get("/")).text).toContain(`href="/sessions/${g.sessionId}"`);
  });

  test("a guest is refused every portal, material, group and record page", async () => {
    const member = await as(g.memberIds[0]!);
    const paths = ["/portal/journal", "/portal/messages", "/portal/worksheets", `/groups/${g.groupId}`, `/groups/${g.groupId}/materials`, "/materials/1", `/groups/${g.groupId}/sessions/${g.sessionId}`, `/groups/${g.groupId}/sessions/${g.sessionId}/safety`, `/sessions/${g.sessionId}/where`];
    for (const path of paths) {
      const r = await guest.get(path);
      expect([401, 403, 404], `${path}: ${r.status}`).toContain(r.status);
    }
    // The portal is there for a member (so the guest's refusal is the policy's, not a missing page).
    expect((await member.get("/portal/journal")).status).toBe(200);
  });

  test("when the session ends, the guest's access ends and an unused link stops working", async () => {
    expect((await new Client(world).get(unusedLink)).status).toBe(200);
    const lead = sockets[0]!;
    lead.send({ type: "end" });
    await lead.next("ended");
    // The sweeper runs every few seconds; the test runs it now.
    endGuestsOfEndedSessions(world.hearth);
    const link = await new Client(world).get(unusedLink);
    expect(link.status).toBe(410);
    expect(link.text).toContain("This invitation was withdrawn");
    const after = await guest.get("/portal/journal");
    expect(after.status).toBe(401);
    const person = world.hearth.db.query<{ access_ends_at: number }, [number]>("SELECT access_ends_at FROM people WHERE id = ?").get(guestId)!;
    expect(person.access_ends_at).toBeLessThanOrEqual(world.hearth.now());
    // Signing in again does not help: the account's access is over.
    expect((await guest.signIn()).status).not.toBe(200);
  });
});
