import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { addPerson, startRoomServer, type RoomWorld } from "../../tests/room-fixture.ts";
import { createSession as signIn } from "../identity/sessions.ts";
import { comfortDemo, comfortOf } from "./comfort.ts";

/** The comfort switches (GET/POST /rooms/comfort): each person's own, off until chosen, kept by the box. */

let world: RoomWorld;
beforeAll(async () => {
  world = await startRoomServer();
});
afterAll(() => world.close());

function as(personId: number) {
  const s = signIn(world.hearth, personId);
  const headers = { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken, origin: world.hearth.config.publicUrl };
  return {
    get: () => fetch(`${world.url}/rooms/comfort`, { headers }),
    post: (body: string, extra: Record<string, string> = {}) =>
      fetch(`${world.url}/rooms/comfort`, { method: "POST", headers: { ...headers, "content-type": "application/json", ...extra }, body }),
  };
}

describe("comfort settings", () => {
  test("off by default; a change keeps the other switch; each person has their own; a new sign-in finds them", async () => {
    const [ana, ben] = [await addPerson(world.hearth, "patient", "Ana"), await addPerson(world.hearth, "clinician", "Ben")];
    expect(await (await as(ana).get()).json()).toEqual({ blur: false, noise: false });
    const res = await as(ana).post(JSON.stringify({ blur: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ blur: true, noise: false });
    expect(await (await as(ana).post(JSON.stringify({ noise: true }))).json()).toEqual({ blur: true, noise: true });
    // Another sign-in (another device) reads the same; another person is untouched.
    expect(await (await as(ana).get()).json()).toEqual({ blur: true, noise: true });
    expect(await (await as(ben).get()).json()).toEqual({ blur: false, noise: false });
    expect(comfortOf(world.hearth, ben)).toEqual({ blur: false, noise: false });
  });

  test("refused: not signed in, no CSRF token, a value that is not true or false; nothing stored changes", async () => {
    const ana = await addPerson(world.hearth, "patient", "Ana");
    await as(ana).post(JSON.stringify({ noise: true }));
    expect((await fetch(`${world.url}/rooms/comfort`)).status).toBe(401);
    const s = signIn(world.hearth, ana);
    const noToken = await fetch(`${world.url}/rooms/comfort`, {
      method: "POST",
      headers: { cookie: `hearth_session=${s.id}`, "content-type": "application/json", origin: world.hearth.config.publicUrl },
      body: JSON.stringify({ noise: false }),
    });
    expect(noToken.status).toBe(403);
    const bad = await as(ana).post(JSON.stringify({ blur: "yes please" }), { accept: "text/html" });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(await bad.text()).toContain("blur");
    expect(comfortOf(world.hearth, ana)).toEqual({ blur: false, noise: true });
  });

  test("the demo: one patient blurs, another reduces noise, the rest never chose", async () => {
    const ids = [await addPerson(world.hearth, "patient", "A"), await addPerson(world.hearth, "patient", "B"), await addPerson(world.hearth, "patient", "C")];
    await comfortDemo(world.hearth, { patients: ids.map((id) => ({ id })) });
    expect(ids.map((id) => comfortOf(world.hearth, id))).toEqual([
      { blur: true, noise: false },
      { blur: false, noise: true },
      { blur: false, noise: false },
    ]);
  });
});
