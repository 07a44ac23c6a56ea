import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, Client, firstAdmin, invite } from "../identity/test-client.ts";
import { listResources } from "./resources.ts";

let server: TestServer;
let admin: Client;
let clinician: Client;
let patient: Client;

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  clinician = await accept(server, await invite(admin, "clinician"), "Cleo");
  patient = await accept(server, await invite(clinician, "patient"), "Pat");
  await admin.get("/admin/crisis-resources");
});
afterAll(() => server?.close());

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("crisis resources", () => {
  test("the public page answers without sign-in, and says what to do when the clinic listed nothing", async () => {
    const r = await new Client(server).get("/crisis");
    expect(r.status).toBe(200);
    expect(r.text).toContain("call your local emergency number");
    expect(r.text).toContain("has not listed any crisis lines yet");
  });

  test("an admin lists a line; anyone sees it with a tap-to-call link, signed in or not", async () => {
    const r = await admin.post("/admin/crisis-resources", form({ name: "988 Suicide & Crisis Lifeline", phone: "988", textLine: "Text 988", hours: "24/7", language: "" }));
    expect(r.status).toBe(303);
    const page = await new Client(server).get("/crisis");
    expect(page.text).toContain("988 Suicide &amp; Crisis Lifeline");
    expect(page.text).toContain('href="tel:988"');
    expect(page.text).toContain('href="sms:988"');
    expect(page.text).toContain("Hours: 24/7");
    const audited = server.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log WHERE action = 'crisis_resource.added'").get()!.n;
    expect(audited).toBe(1);
  });

  test("every page links to it, for anonymous visitors and for patients, in a new tab", async () => {
    for (const [who, path] of [[new Client(server), "/"], [new Client(server), "/preferences"], [patient, "/"], [patient, "/account"]] as const) {
      const r = await who.get(path);
      expect(r.text).toMatch(/<a class="crisis-link" href="\/crisis" target="_blank" rel="noopener">Crisis help/);
    }
    const fr = await new Client(server).send("GET", "/", undefined, { "accept-language": "fr" });
    expect(fr.text).toContain("Aide en cas de crise");
  });

  test("a line in the reader's language comes first", async () => {
    await admin.post("/admin/crisis-resources", form({ name: "Ligne locale", phone: "514-723-4000", language: "fr" }));
    const fr = await new Client(server).send("GET", "/crisis", undefined, { "accept-language": "fr" });
    expect(fr.text.indexOf("Ligne locale")).toBeLessThan(fr.text.indexOf("988 Suicide"));
    const en = await new Client(server).get("/crisis");
    expect(en.text.indexOf("988 Suicide")).toBeLessThan(en.text.indexOf("Ligne locale"));
  });

  test("bad input gets a message naming the field, and nothing stored is lost", async () => {
    const before = listResources(server.hearth);
    const cases: [Record<string, string>, string][] = [
      [{ name: "Line", phone: "call me maybe" }, "Phone number: use digits"],
      [{ name: "Line", phone: "12+34" }, "Phone number: use digits"],
      [{ name: "x".repeat(81), phone: "988" }, "Name: at most 80 characters"],
      [{ name: "  ", phone: "988" }, "Name: give the line a name"],
      [{ name: "Line" }, "give a phone number or a text line"],
      [{ name: "Line", phone: "988", hours: "h".repeat(81) }, "Hours: at most 80"],
      [{ name: "Line", phone: "988", language: "de" }, "Language: choose one"],
    ];
    for (const [fields, message] of cases) {
      const r = await admin.post("/admin/crisis-resources", form(fields));
      expect(r.status).toBe(400);
      expect(r.text).toContain(message);
    }
    const huge = await admin.post("/admin/crisis-resources", form({ name: "x".repeat(5000), phone: "988" }));
    expect(huge.status).toBe(400);
    expect(listResources(server.hearth)).toEqual(before);
  });

  test("only admins change the list; a line removed is gone from the public page", async () => {
    const [first] = listResources(server.hearth);
    expect((await patient.post("/admin/crisis-resources", form({ name: "Mine", phone: "988" }))).status).toBe(403);
    expect((await clinician.post(`/admin/crisis-resources/${first!.id}/delete`)).status).toBe(403);
    expect((await patient.get("/admin/crisis-resources")).status).toBe(403);
    expect((await admin.post(`/admin/crisis-resources/${first!.id}/delete`)).status).toBe(303);
    expect((await admin.post(`/admin/crisis-resources/${first!.id}/delete`)).status).toBe(404);
    expect((await new Client(server).get("/crisis")).text).not.toContain("988 Suicide");
  });
});
