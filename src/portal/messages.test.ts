/**
 * Secure messaging through the real server (real sign-ins, real SQLite, real vault) with a real
 * SMTP server (smtp-server) on loopback: a thread works both ways with unread counts on the nav
 * and read state per person; the e-mail says only "You have a new message"; a patient can write
 * only to their own care team (never to another patient or a clinician outside it); a clinician
 * closes a thread; bodies are sealed; a message in crisis language alerts the care team and shows
 * the patient the crisis resources.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { freePort, startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { writeContacts } from "../identity/people.ts";
import { outboxOf } from "../notify/routes.ts";
import { createSession } from "../identity/sessions.ts";

const received: { to: string; raw: string }[] = [];
let smtp: SMTPServer;
const smtpPort = freePort();

let server: TestServer;
let admin: Client;
let cleo: Client; // Pat's clinician
let nina: Client; // another clinician, Quinn's
let pat: Client;
let quinn: Client;
let threadId = 0;
const SECRET = `My sleep got worse after the new dose ${crypto.randomUUID().slice(0, 8)}`;
const SUBJECT = `About the new dose ${crypto.randomUUID().slice(0, 8)}`;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function dbHolds(needle: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  return ["hearth.db", "hearth.db-wal"].some((f) => {
    const p = join(server.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(Buffer.from(needle, "utf8"));
  });
}

/** The "Messages" item of the nav as this person sees it on their home page. */
async function navLabel(c: Client): Promise<string> {
  const page = (await c.get("/")).text;
  return /<a href="\/portal\/messages"[^>]*>([^<]+)<\/a>/.exec(page)?.[1] ?? "";
}

async function write(c: Client, path: string, fields: Record<string, string>) {
  await c.get("/portal/messages");
  return c.post(path, form(fields));
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    onData(stream, session, done) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString("utf8")));
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address).join(","), raw });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", () => resolve()));
  server = await startTestServer({ HEARTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  quinn = await accept(server, await invite(nina, "patient"), "Quinn Patient");
  await writeContacts(server.hearth, cleo.personId, cleo.personId, { reminderContact: "cleo@clinic.test", emergencyContact: "", usualLocation: "" });
  await writeContacts(server.hearth, pat.personId, pat.personId, { reminderContact: "pat@home.test", emergencyContact: "", usualLocation: "" });
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe("secure messaging", () => {
  test("the patient's page names who reads messages, that they are not watched around the clock, and the retention policy", async () => {
    const page = (await pat.get("/portal/messages")).text;
    expect(page).toContain("My whole care team");
    expect(page).toContain("Cleo Clinician");
    expect(page).not.toContain("Nina Clinician");
    expect(page).toContain("not watched around the clock");
    expect(page).toContain('href="/crisis"');
    expect(page).toContain("Retention:");
    expect(await navLabel(pat)).toBe("Messages");
  });

  test("a thread works both ways with unread counts, read state per person, and a content-free e-mail", async () => {
    const r = await write(pat, "/portal/messages", { to: "team", subject: SUBJECT, body: SECRET });
    expect(r.status).toBe(303);
    threadId = Number(/\/portal\/messages\/(\d+)\?sent=1$/.exec(r.headers.location ?? "")?.[1]);
    expect(threadId).toBeGreaterThan(0);

    expect(await navLabel(cleo)).toBe("Messages (1 unread)");
    expect(await navLabel(pat)).toBe("Messages");
    expect(await navLabel(nina)).toBe("Messages");
    const list = (await cleo.get("/portal/messages")).text;
    expect(list).toContain(SUBJECT);
    expect(list).toContain("Pat Patient");

    // The e-mail: to Cleo, saying only that there is a message.
    expect(await outboxOf(server.hearth).deliverDue()).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toBe("cleo@clinic.test");
    expect(received[0]!.raw).toContain("You have a new message.");
    for (const leak of [SECRET, SUBJECT, "Pat Patient", "dose"]) expect(received[0]!.raw).not.toContain(leak);

    const thread = await cleo.get(`/portal/messages/${threadId}`);
    expect(thread.text).toContain(SECRET);
    expect(await navLabel(cleo)).toBe("Messages");
    expect((await write(cleo, `/portal/messages/${threadId}`, { body: "Thank you for telling me. Let us talk on Tuesday." })).status).toBe(303);
    expect(await navLabel(pat)).toBe("Messages (1 unread)");
    expect(await navLabel(cleo)).toBe("Messages");
    const back = await pat.get(`/portal/messages/${threadId}`);
    expect(back.text).toContain("Let us talk on Tuesday.");
    expect(back.text).toContain("Cleo Clinician");
    expect(await navLabel(pat)).toBe("Messages");

    // Pat is told by e-mail too; a second message before reading adds no second e-mail.
    expect(await outboxOf(server.hearth).deliverDue()).toBe(1);
    expect(received.at(-1)!.to).toBe("pat@home.test");
    await write(pat, `/portal/messages/${threadId}`, { body: "See you Tuesday." });
    await write(pat, `/portal/messages/${threadId}`, { body: "And thank you." });
    expect(await navLabel(cleo)).toBe("Messages (2 unread)");
    expect(await outboxOf(server.hearth).deliverDue()).toBe(1);
    expect(received).toHaveLength(3);

    expect(dbHolds(SECRET)).toBe(false);
    expect(dbHolds(SUBJECT)).toBe(false);
    const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'message.thread_read' AND subject = ?").get(`thread:${threadId}`)!.n;
    expect(audited).toBe(2);
  });

  test("nobody outside the thread reaches it, and patients can never write to patients", async () => {
    for (const c of [nina, quinn]) {
      expect((await c.get(`/portal/messages/${threadId}`)).status).toBe(404);
      expect((await write(c, `/portal/messages/${threadId}`, { body: "hello" })).status).toBe(404);
    }
    expect((await admin.get(`/portal/messages/${threadId}`)).status).toBe(403);
    expect((await nina.get("/portal/messages")).text).not.toContain(SUBJECT);

    const toPatient = await write(pat, "/portal/messages", { to: String(quinn.personId), subject: "Hi", body: "Hi Quinn" });
    expect(toPatient.status).toBe(400);
    expect(toPatient.text).toContain("not in your care team");
    expect((await write(pat, "/portal/messages", { to: String(nina.personId), subject: "Hi", body: "Hi" })).status).toBe(400);
    expect((await write(nina, "/portal/messages", { to: String(pat.personId), subject: "Hi", body: "Hi" })).status).toBe(400);
    const empty = await write(pat, "/portal/messages", { to: "team", subject: "Something", body: "   " });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain("the Message field is empty");
  });

  test("a clinician's thread to one patient is theirs alone; a clinician closes a thread and nobody can write in it", async () => {
    const r = await write(cleo, "/portal/messages", { to: String(pat.personId), subject: "Before Tuesday", body: "Please bring your diary card." });
    expect(r.status).toBe(303);
    const own = Number(/(\d+)\?sent/.exec(r.headers.location!)![1]);
    expect((await pat.get(`/portal/messages/${own}`)).text).toContain("Please bring your diary card.");

    expect((await write(pat, `/portal/messages/${threadId}/close`, {})).status).toBe(403);
    expect((await write(cleo, `/portal/messages/${threadId}/close`, {})).status).toBe(303);
    const closed = await pat.get(`/portal/messages/${threadId}`);
    expect(closed.text).toContain("This conversation was closed on");
    expect(closed.text).not.toContain('name="body"');
    const refused = await write(pat, `/portal/messages/${threadId}`, { body: "One more thing" });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain("This conversation is closed.");
  });

  test("crisis language alerts the care team and shows the patient the crisis resources", async () => {
    const r = await write(pat, "/portal/messages", { to: "team", subject: "Tonight", body: "Some nights I want to die." });
    expect(r.status).toBe(303);
    expect(r.headers.location).toEndWith("?sent=crisis");
    const page = (await pat.get(r.headers.location!)).text;
    expect(page).toContain("your care team has been told");
    expect(page).toContain('href="/crisis"');
    const alerts = server.hearth.db
      .query<{ n: number }, [number]>("SELECT count(*) AS n FROM notifications WHERE person_id = ? AND kind = 'safety.crisis_words'")
      .get(cleo.personId)!.n;
    expect(alerts).toBe(1);
  });

  test("an attachment follows the documents' rules: streamed, sealed, typed, an audited attachment download", async () => {
    const r = await write(pat, "/portal/messages", { to: "team", subject: "My sleep diary", body: "Attached below." });
    const id = Number(/(\d+)\?sent/.exec(r.headers.location!)![1]);
    const file = new TextEncoder().encode("Mon 5h\nTue 6h\nWed 7h\n");
    const s = createSession(server.hearth, pat.personId);
    const send = (body: Uint8Array) =>
      fetch(`${server.url}/portal/messages/${id}/attachments`, {
        method: "POST",
        headers: { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken, "content-type": "application/octet-stream", "x-document-title": "Sleep diary" },
        body: body as Uint8Array<ArrayBuffer>,
        redirect: "manual",
      });
    expect((await send(new Uint8Array([0x4d, 0x5a, 0, 0, ...new Uint8Array(300)]))).status).toBe(400);
    expect((await send(file)).status).toBe(303);
    const page = (await cleo.get(`/portal/messages/${id}`)).text;
    const docId = Number(/href="\/portal\/documents\/(\d+)" download>Attachment: Sleep diary/.exec(page)![1]);
    const dl = await fetch(`${server.url}/portal/documents/${docId}`, { headers: { cookie: `hearth_session=${createSession(server.hearth, cleo.personId).id}` } });
    expect(dl.headers.get("content-disposition")).toStartWith("attachment;");
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(file);
    expect((await fetch(`${server.url}/portal/documents/${docId}`, { headers: { cookie: `hearth_session=${createSession(server.hearth, nina.personId).id}` } })).status).toBe(404);
  });
});
