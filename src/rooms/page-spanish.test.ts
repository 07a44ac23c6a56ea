import { afterAll, beforeAll, expect, test } from "bun:test";
import { startRoomServer, type RoomWorld } from "../../tests/room-fixture.ts";
import { plural } from "../ui/i18n.ts";
import { sessionPageStrings } from "./page-strings.ts";

/** The session page and the room client's words in Spanish (issue 15): server shell and client plurals. */

let world: RoomWorld;
beforeAll(async () => {
  world = await startRoomServer();
});
afterAll(() => world.close());

test("a Spanish-speaking member gets the waiting room in Spanish, with no English left", async () => {
  const g = await world.group(1);
  const res = await fetch(`${world.url}/sessions/${g.sessionId}`, { headers: { cookie: g.members[0]!, "accept-language": "es-MX,es;q=0.9" } });
  expect(res.status).toBe(200);
  const page = await res.text();
  expect(page).toContain('<html lang="es"');
  const es = sessionPageStrings("es");
  const en = sessionPageStrings("en");
  for (const key of ["waitingTitle", "waitingIntro", "checkTitle", "devicesLegend", "mute", "leave"] as const) {
    expect(page).toContain(es[key]);
    expect(page).not.toContain(en[key]);
  }
});

test("the room client's counts take Spanish plural forms", () => {
  const es = sessionPageStrings("es");
  expect(plural("es", es, "moreTiles", 1)).toBe("Hay 1 persona más en la sesión. Puede oírla.");
  expect(plural("es", es, "moreTiles", 4)).toBe("Hay 4 personas más en la sesión. Puede oírlas.");
  expect(plural("es", es, "waitingCount", 1)).toBe("1 persona esperando");
  expect(plural("fr", sessionPageStrings("fr"), "waitingCount", 0)).toBe("0 personne en attente");
});
