import { describe, expect, test } from "bun:test";
import { roomTests } from "../../tests/room-fixture.ts";
import type { RoomSocket } from "../../tests/room-socket.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { createSession } from "../clinic/sessions.ts";

/**
 * Recording while the group's required consent forms change under people already in the room,
 * through the real routes (the admin publishes a version, a patient withdraws or signs with a
 * passkey) and the real room socket: whoever would now be refused at the door is not recorded.
 */

const rooms = roomTests("45800-45899");
const { open, admit } = rooms;
const form = (fields: Record<string, string | number>) => new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();
const cookieOf = (c: Client) => `hearth_session=${c.cookies.get("hearth_session")}`;
let admin: Client | undefined;
let made = 0;

/** Through the real routes: a clinician, patients in a new group of theirs, and a consent form of this kind (not yet required). */
async function clinic(kind: string, patients: number) {
  const n = ++made;
  admin ??= await firstAdmin(rooms.world);
  const cleo = await accept(rooms.world, await invite(admin, "clinician"), `Cleo Clinician ${n}`);
  const people: Client[] = [];
  for (let i = 0; i < patients; i++) people.push(await accept(rooms.world, await invite(cleo, "patient"), `Patient ${n}.${i + 1}`));
  await admin.get("/admin/consent-forms");
  const created = await admin.post("/admin/consent-forms", form({ kind, title: `Form ${n}`, body: `# Form ${n}\n\nGroup sessions may be recorded.\n` }));
  const formId = Number(/consent-forms\/(\d+)/.exec(created.headers.location!)![1]);
  await cleo.get("/groups/new");
  const groupId = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: `Group ${n}` }))).headers.location!)![1]);
  for (const p of people) await cleo.post(`/groups/${groupId}/members`, form({ personId: p.personId }));
  return { admin, cleo, patients: people, formId, groupId };
}

/** The group's clinician ticks the form on the group's page: required to join from now on. */
async function requireForm(cleo: Client, groupId: number, formId: number): Promise<void> {
  await cleo.get(`/groups/${groupId}`);
  expect((await cleo.post(`/groups/${groupId}/consent-forms`, form({ [`form-${formId}`]: 1 }))).status).toBe(303);
}

async function sign(c: Client, formId: number): Promise<number> {
  const page = (await c.get(`/portal/consent/forms/${formId}`)).text;
  const versionId = /name="versionId" value="(\d+)"/.exec(page)?.[1] ?? "0";
  const o = await c.post(`/portal/consent/forms/${formId}/sign/options`, { versionId });
  return (await c.post(`/portal/consent/forms/${formId}/sign/verify`, { response: c.key.assert(o.json<{ options: never }>().options) })).status;
}

const parts = (sessionId: number) =>
  rooms.world.hearth.db
    .query<{ part: number; stopped_at: number | null }, [number]>("SELECT p.part, p.stopped_at FROM recording_parts p JOIN recording_requests r ON r.id = p.request_id WHERE r.session_id = ? ORDER BY p.id")
    .all(sessionId);
const holdingOf = (v: { holding?: { memberId: number; signFirst?: true }[] }) => (v.holding ?? []).map((h) => [h.memberId, h.signFirst ?? false]).sort();

describe("recording when the group's consent forms change mid-session", () => {
  test("a new version pauses it for everyone, those who must sign are told and cannot answer; signed and asked again, it resumes; a withdrawal pauses it again", async () => {
    const world = rooms.world;
    const { admin, cleo, patients, formId, groupId } = await clinic("recording", 2);
    const [pat, quinn] = patients as [Client, Client];
    await requireForm(cleo, groupId, formId);
    for (const p of [pat, quinn]) expect(await sign(p, formId)).toBe(200);

    const g = { sessionId: createSession(world.hearth.db, groupId) };
    const lead = await open(g, cookieOf(cleo));
    const a = await admit(g, lead, cookieOf(pat));
    const b = await admit(g, lead, cookieOf(quinn));
    lead.send({ type: "recording-ask" });
    for (const s of [a, b]) s.send({ type: "recording-consent", agree: true });
    await lead.next("recording", (v) => v.phase === "recording");
    expect(parts(g.sessionId)).toEqual([{ part: 1, stopped_at: null }]);

    // Version 2 while both are in: neither has signed it, so neither may be recorded.
    let marks = [lead.mark, a.mark, b.mark] as const;
    await admin.get(`/admin/consent-forms/${formId}`);
    await admin.post(`/admin/consent-forms/${formId}/versions`, form({ body: "# Recording\n\nGroup sessions may be recorded and kept for 30 days.\n" }));
    const paused = await lead.next("recording", (v) => v.phase === "paused" && v.pending === 2, marks[0]);
    expect(holdingOf(paused)).toEqual([[a.memberId, true], [b.memberId, true]].sort());
    expect(parts(g.sessionId)[0]!.stopped_at).not.toBeNull();
    for (const [s, mark] of [[a, marks[1]], [b, marks[2]]] as [RoomSocket, number][]) {
      expect(await s.next("recording", (v) => v.signFirst === true, mark)).toMatchObject({ phase: "paused", yours: null, question: null });
      expect((await s.next("error", (e) => e.code === "recording-sign-first", mark)).message).toContain("Consent forms page");
      // Members still never learn who holds it back.
      expect(s.all("recording", mark).some((v) => v.holding !== undefined)).toBe(false);
    }
    // An answer now is refused: what they agreed to was asked under terms that no longer hold.
    let mark = a.mark;
    a.send({ type: "recording-consent", agree: true });
    expect(await a.next("error", (e) => e.ref === "recording-consent", mark)).toMatchObject({ code: "recording-sign-first" });

    // Pat signs version 2: asked again like a newcomer; Quinn still holds it.
    mark = lead.mark;
    const aMark = a.mark;
    expect(await sign(pat, formId)).toBe(200);
    expect(await a.next("recording", (v) => v.question !== null, aMark)).toMatchObject({ phase: "paused", yours: null });
    expect(a.all("recording", aMark).at(-1)!.signFirst).toBeUndefined();
    a.send({ type: "recording-consent", agree: true });
    const onlyQuinn = await lead.next("recording", (v) => v.pending === 1 && v.holding?.[0]?.memberId === b.memberId, mark);
    expect(holdingOf(onlyQuinn)).toEqual([[b.memberId, true]]);
    expect(parts(g.sessionId)).toHaveLength(1);

    // Quinn signs and says yes: a new part.
    mark = lead.mark;
    expect(await sign(quinn, formId)).toBe(200);
    await b.next("recording", (v) => v.question !== null && v.yours === null, marks[2]);
    b.send({ type: "recording-consent", agree: true });
    await lead.next("recording", (v) => v.phase === "recording", mark);
    expect(parts(g.sessionId).map((p) => p.part)).toEqual([1, 2]);

    // Quinn withdraws the form on the portal while recording: it pauses again at once for everyone.
    marks = [lead.mark, a.mark, b.mark];
    await quinn.get(`/portal/consent/forms/${formId}`);
    expect((await quinn.post(`/portal/consent/forms/${formId}/withdraw`, "")).status).toBe(303);
    expect(holdingOf(await lead.next("recording", (v) => v.phase === "paused", marks[0]))).toEqual([[b.memberId, true]]);
    expect(await a.next("recording", (v) => v.phase === "paused", marks[1])).toMatchObject({ yours: "yes", pending: 1 });
    await b.next("error", (e) => e.code === "recording-sign-first", marks[2]);
    expect(parts(g.sessionId)[1]!.stopped_at).not.toBeNull();
    // The request itself stands (a facilitator may still stop it); nobody is recorded meanwhile.
    expect(world.hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM recording_requests WHERE session_id = ? AND ended_at IS NULL").get(g.sessionId)!.n).toBe(1);
  });

  test("a form newly required while a member is inside holds a new request until they sign it", async () => {
    const { cleo, patients, formId, groupId } = await clinic("group-confidentiality", 1);
    const pat = patients[0]!;
    const g = { sessionId: createSession(rooms.world.hearth.db, groupId) };
    const lead = await open(g, cookieOf(cleo));
    const a = await admit(g, lead, cookieOf(pat));
    await requireForm(cleo, groupId, formId);

    lead.send({ type: "recording-ask" });
    expect(holdingOf(await lead.next("recording", (v) => v.phase === "asking"))).toEqual([[a.memberId, true]]);
    expect(await a.next("recording", (v) => v.phase === "asking")).toMatchObject({ question: null, signFirst: true });
    await a.next("error", (e) => e.code === "recording-sign-first");
    expect(await sign(pat, formId)).toBe(200);
    await a.next("recording", (v) => v.question !== null);
    a.send({ type: "recording-consent", agree: true });
    await lead.next("recording", (v) => v.phase === "recording");
    expect(parts(g.sessionId)).toEqual([{ part: 1, stopped_at: null }]);
  });
});
