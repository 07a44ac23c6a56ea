import { describe, expect, test } from "bun:test";
import { cookieFor, roomTests } from "../../tests/room-fixture.ts";
import { saveWhereabouts } from "../safety/whereabouts.ts";
import { setCodeWord } from "../safety/group-safety.ts";
import { listNotifications } from "../notify/notify.ts";
import { writeContacts } from "../identity/people.ts";
import { isSealed } from "../store/vault.ts";

/**
 * Safety in the room through the real room socket: a real server, hand-written sockets (no
 * media needed). The alert reaches the facilitators and nobody else.
 */

const rooms = roomTests("43300-43399");
const { open, admit } = rooms;

/** Two facilitators and two admitted members; member A said where they are today. */
async function room() {
  const g = await rooms.world.group(2, { clinicians: 2 });
  await saveWhereabouts(rooms.world.hearth, g.sessionId, g.memberIds[0]!, { location: "14 Rue Cartier, Montréal", phone: "514-555-0142", emergencyContact: "Sam 514 555 0199" });
  const lead = await open(g, g.clinician);
  const co = await open(g, cookieFor(rooms.world.hearth, g.clinicianIds[1]!));
  const [a, b] = [await admit(g, lead, g.members[0]!), await admit(g, lead, g.members[1]!)];
  return { g, lead, co, a, b };
}

const count = (action: string) => rooms.world.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = ?").get(action)!.n;

describe("safety in the room", () => {
  test("'I need help now' alerts every facilitator with name, today's place and phone; the member gets a quiet confirmation; another member sees nothing", async () => {
    const { g, lead, co, a, b } = await room();
    const raisedBefore = count("safety.alert_raised");
    a.send({ type: "help" });
    for (const f of [lead, co]) {
      const { alert } = await f.next("safety-alert");
      expect(alert).toMatchObject({ memberId: a.memberId, name: "Member 1", kind: "button", location: "14 Rue Cartier, Montréal", phone: "514-555-0142", emergencyContact: "Sam 514 555 0199", fromProfile: false });
    }
    await a.next("help-sent");
    expect(a.all("safety-alert")).toEqual([]);
    // Give B's socket time to receive anything that was (wrongly) sent to it.
    b.send({ type: "hand-raise" });
    await b.next("hands");
    const seenByB = JSON.stringify(b.messages);
    for (const secret of ["Rue Cartier", "514-555-0142", "Sam 514", "safety-alert", "help-sent"]) expect(seenByB).not.toContain(secret);
    // Stored sealed with the session, and audited.
    const row = rooms.world.hearth.db.query<{ detail: Uint8Array; person_id: number }, [number]>("SELECT detail, person_id FROM safety_alerts WHERE session_id = ?").get(g.sessionId)!;
    expect(isSealed(row.detail)).toBe(true);
    expect(row.person_id).toBe(g.memberIds[0]!);
    expect(count("safety.alert_raised")).toBe(raisedBefore + 1);
  });

  test("acknowledging clears it at every facilitator, once; a member cannot acknowledge; a reloaded facilitator page gets open alerts again", async () => {
    const { g, lead, co, a, b } = await room();
    a.send({ type: "help" });
    const { alert } = await lead.next("safety-alert");
    await co.next("safety-alert");
    // Pressing again while it is open reminds; it does not make a second alert.
    const markAgain = lead.mark;
    a.send({ type: "help" });
    expect((await lead.next("safety-alert", () => true, markAgain)).alert.id).toBe(alert.id);
    // A facilitator who reloads sees it again.
    co.close();
    const co2 = await open(g, cookieFor(rooms.world.hearth, g.clinicianIds[1]!));
    expect((await co2.next("safety-alert")).alert.id).toBe(alert.id);

    b.send({ type: "safety-ack", alertId: alert.id });
    expect((await b.next("error")).code).toBe("not-clinician");
    const ackBefore = count("safety.alert_acknowledged");
    lead.send({ type: "safety-ack", alertId: alert.id });
    for (const f of [lead, co2]) expect(await f.next("safety-cleared")).toMatchObject({ alertId: alert.id, by: "Clinician 1" });
    expect(count("safety.alert_acknowledged")).toBe(ackBefore + 1);
    co2.send({ type: "safety-ack", alertId: alert.id });
    expect((await co2.next("error")).code).toBe("safety-no-such-alert");
    const stored = rooms.world.hearth.db.query<{ acknowledged_by: number }, [number]>("SELECT acknowledged_by FROM safety_alerts WHERE id = ?").get(alert.id)!;
    expect(stored.acknowledged_by).toBe(g.clinicianIds[0]!);
    expect(JSON.stringify(b.messages)).not.toContain("safety-cleared");
  });

  test("without an answer for this session, the alert says so and shows the profile's place and emergency contact", async () => {
    const g = await rooms.world.group(1);
    await writeContacts(rooms.world.hearth, g.memberIds[0]!, g.memberIds[0]!, { reminderContact: "", emergencyContact: "Ana 555 0100", usualLocation: "Home, 3 Oak Lane" });
    const lead = await open(g, g.clinician);
    const m = await admit(g, lead, g.members[0]!);
    m.send({ type: "help" });
    expect((await lead.next("safety-alert")).alert).toMatchObject({ location: "Home, 3 Oak Lane", phone: "", emergencyContact: "Ana 555 0100", fromProfile: true });
  });

  test("the group's code word in chat alerts the facilitators and never reaches the group; crisis words alert without blocking the message", async () => {
    const { g, lead, co, a, b } = await room();
    await setCodeWord(rooms.world.hearth, g.clinicianIds[0]!, g.groupId, "blue heron");
    a.send({ type: "chat-send", to: "everyone", text: "Blue Heron!" });
    for (const f of [lead, co]) expect((await f.next("safety-alert")).alert).toMatchObject({ memberId: a.memberId, kind: "code-word", location: "14 Rue Cartier, Montréal" });
    await a.next("help-sent");
    // The facilitators see the words, marked as diverted; the sender sees them as sent to the facilitators only.
    expect((await lead.next("chat", (c) => c.messages.some((m) => m.text === "Blue Heron!"))).messages.find((m) => m.text === "Blue Heron!")).toMatchObject({ diverted: true });
    expect((await a.next("chat", (c) => c.messages.some((m) => m.text === "Blue Heron!"))).messages[0]).toMatchObject({ to: "facilitators" });
    // Crisis words from B: an alert, and the message is shown to everyone as usual.
    b.send({ type: "chat-send", to: "everyone", text: "honestly I want to die" });
    expect((await lead.next("safety-alert", (m) => m.alert.memberId === b.memberId)).alert).toMatchObject({ kind: "words", fromProfile: true });
    await a.next("chat", (c) => c.messages.some((m) => m.text === "honestly I want to die"));
    await b.next("chat", (c) => c.messages.some((m) => m.text === "honestly I want to die"));
    expect(b.all("help-sent")).toEqual([]);
    expect(listNotifications(rooms.world.hearth, g.clinicianIds[0]!).some((n) => n.kind === "safety.crisis_words")).toBe(true);
    // B never heard the code word, nor that A raised an alert.
    b.send({ type: "hand-raise" });
    await b.next("hands");
    expect(JSON.stringify(b.messages).toLowerCase()).not.toContain("heron");
    expect(b.all("safety-alert")).toEqual([]);
    expect(a.all("safety-alert")).toEqual([]);
  });

  test("crisis words said privately to the facilitators raise the alert too", async () => {
    const { lead, co, a, b } = await room();
    a.send({ type: "chat-send", to: "facilitators", text: "I want to die tonight" });
    for (const f of [lead, co]) expect((await f.next("safety-alert")).alert).toMatchObject({ memberId: a.memberId, kind: "words" });
    await lead.next("chat", (c) => c.messages.some((m) => m.text === "I want to die tonight"));
    b.send({ type: "hand-raise" });
    await b.next("hands");
    expect(JSON.stringify(b.messages)).not.toContain("die tonight");
    expect(b.all("safety-alert")).toEqual([]);
  });

  test("pressed while no facilitator is in the room: the bell tells the group's clinicians, and the banner waits for them", async () => {
    const g = await rooms.world.group(1);
    const lead = await open(g, g.clinician);
    const m = await admit(g, lead, g.members[0]!);
    lead.close();
    await new Promise((r) => setTimeout(r, 300));
    m.send({ type: "help" });
    await m.next("help-sent");
    expect(listNotifications(rooms.world.hearth, g.clinicianIds[0]!).map((n) => n.kind)).toContain("safety.help_asked");
    const back = await open(g, g.clinician);
    expect((await back.next("safety-alert")).alert).toMatchObject({ memberId: m.memberId, kind: "button" });
  });

  test("a member still in the waiting room cannot raise one through the room (they are not in yet)", async () => {
    const g = await rooms.world.group(1);
    const lead = await open(g, g.clinician);
    const m = await open(g, g.members[0]!);
    m.send({ type: "help" });
    expect((await m.next("error")).code).toBe("not-admitted");
    expect(lead.all("safety-alert")).toEqual([]);
  });
});
