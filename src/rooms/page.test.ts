import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { addPerson, cookieFor, startRoomServer, type RoomWorld } from "../../tests/room-fixture.ts";
import { closeSession, openSession } from "../clinic/sessions.ts";
import { describeHeadroom } from "../../web/room/headroom.ts";
import { sessionPageStrings } from "./page-strings.ts";

/**
 * The session page (GET /sessions/:id): who may open it is the room's own decision, refusals
 * are kind pages, and the shell it renders is what web/room/ needs (and nothing it must not carry).
 */

let world: RoomWorld;
beforeAll(async () => {
  world = await startRoomServer();
});
afterAll(() => world.close());

function get(path: string, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${world.url}${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers }, redirect: "manual" });
}

describe("the session page", () => {
  test("a member gets the waiting room and room shell, which loads the room client and no idle countdown", async () => {
    const g = await world.group(1);
    const res = await get(`/sessions/${g.sessionId}`, g.members[0]);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain(`data-session-id="${g.sessionId}" data-role="member" data-keep-alive="900"`);
    expect(page).toMatch(/<script src="\/static\/room\.js\?v=[\w-]+" defer><\/script>/);
    expect(page).toMatch(/<link rel="stylesheet" href="\/static\/room\.css\?v=[\w-]+">/);
    // A live call is activity: the page keeps the sign-in alive instead of counting down.
    expect(page).not.toContain("session.js");
    expect(page).not.toContain('id="idle-warning"');
    // Members get no clinician controls; every toggle is a button with aria-pressed.
    expect(page).not.toContain('id="waiting-panel"');
    for (const id of ["btn-mic", "btn-camera", "btn-share", "btn-audio-only", "btn-low"]) expect(page).toMatch(new RegExp(`<button type="button" id="${id}" class="toggle secondary" aria-pressed="false"`));
    expect(page).toContain('role="status"');
    expect(page).not.toMatch(/style="/);
    // The place where the box's "sound only for now" is explained; no clinician's headroom.
    expect(page).toMatch(/<div id="capacity-notice" class="notice notice-info" role="note" aria-labelledby="capacity-title" hidden>/);
    expect(page).not.toContain('id="headroom-panel"');
  });

  test("the group's clinician gets the clinician's panels; French when the browser asks for it", async () => {
    const g = await world.group(1);
    const res = await get(`/sessions/${g.sessionId}`, g.clinician, { "accept-language": "fr-FR,fr;q=0.9" });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('data-role="clinician"');
    expect(page).toContain('id="waiting-panel"');
    // The box's headroom: a heading, a meter named by it, the words beside it (shown once the room says).
    expect(page).toContain('<section id="headroom-panel" class="side-panel" aria-labelledby="headroom-title" hidden>');
    expect(page).toContain("Place pour la vidéo sur l&#39;appareil");
    expect(page).toMatch(/<meter id="headroom-meter"[^>]* aria-labelledby="headroom-title" aria-describedby="headroom-text">/);
    expect(page).not.toContain('id="capacity-notice"');
    expect(page).toContain('<html lang="fr"');
    expect(page).toContain("Salle d&#39;attente");
    expect(page).toContain("Terminer la séance pour tout le monde");
  });

  test("people outside the group, and admins, get a kind refusal; nobody signed in is asked to sign in", async () => {
    const g = await world.group(1);
    const other = await world.group(1);
    const admin = cookieFor(world.hearth, await addPerson(world.hearth, "admin", "Ada Admin"));
    for (const cookie of [other.members[0]!, other.clinician, admin]) {
      const res = await get(`/sessions/${g.sessionId}`, cookie);
      expect(res.status).toBe(403);
      const page = await res.text();
      expect(page).toContain("You cannot join this session");
      expect(page).toContain("You are not a member of this group");
      expect(page).not.toContain("room.js");
    }
    const anonymous = await get(`/sessions/${g.sessionId}`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("room.js");
  });

  test("an unknown or malformed session is not found; an ended one says so", async () => {
    const g = await world.group(1);
    for (const path of ["/sessions/999999", "/sessions/abc", "/sessions/0", `/sessions/${"9".repeat(30)}`]) {
      const res = await get(path, g.members[0]);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain("There is no such session.");
    }
    const now = world.hearth.now();
    openSession(world.hearth.db, g.sessionId, g.clinicianIds[0]!, now);
    closeSession(world.hearth.db, g.sessionId, now);
    const ended = await get(`/sessions/${g.sessionId}`, g.members[0]);
    expect(ended.status).toBe(410);
    expect(await ended.text()).toContain("This session has ended.");
  });
});

describe("the clinician's headroom, in words", () => {
  const en = sessionPageStrings("en");
  test("the level comes first, then the share free and who else could come with video", () => {
    expect(describeHeadroom(en, { level: "ample", percentFree: 62, videoJoinsLeft: 4 })).toBe("Ample: 62% free. About 4 more people can join this session with video.");
    expect(describeHeadroom(en, { level: "limited", percentFree: 12, videoJoinsLeft: 1 })).toBe("Limited: 12% free. One more person can join this session with video.");
    expect(describeHeadroom(en, { level: "ample", percentFree: 97, videoJoinsLeft: 64 })).toBe("Ample: 97% free. Many more people can join this session with video.");
    expect(describeHeadroom(en, { level: "limited", percentFree: 20 })).toBe("Limited: 20% free.");
    expect(describeHeadroom(en, { level: "full", percentFree: 0, videoJoinsLeft: 0 })).toContain("New members join with sound only");
    expect(describeHeadroom(sessionPageStrings("fr"), { level: "ample", percentFree: 50, videoJoinsLeft: 3 })).toBe(
      "Large : 50 % libre. Environ 3 personnes de plus peuvent rejoindre cette séance avec la vidéo.",
    );
  });
});
