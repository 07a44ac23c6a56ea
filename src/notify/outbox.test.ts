/**
 * The e-mail outbox against a real SMTP server (smtp-server) on loopback: a notification's e-mail
 * arrives once, carries only the kind's e-mail text and a link, survives the SMTP server being
 * restarted, and is delivered after SMTP was down for a while (retried with back-off, not lost).
 * The bell's count and /notifications are checked through the real server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SMTPServer } from "smtp-server";
import { freePort, startTestServer, type TestServer } from "../../tests/harness.ts";
import { sealProfile, insertPerson, newWebauthnHandle, writeContacts } from "../identity/people.ts";
import { defineStrings } from "../ui/i18n.ts";
import { defineNotice } from "./notices.ts";
import { notify, unreadCount, setPrefs } from "./notify.ts";
import { outboxOf } from "./routes.ts";
import { backoff, outboxState } from "./outbox.ts";
import { createSession } from "../identity/sessions.ts";

const received: { to: string; raw: string }[] = [];
let smtp: SMTPServer | null = null;
const smtpPort = freePort();

function startSmtp(): Promise<void> {
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
  return new Promise((resolve) => smtp!.listen(smtpPort, "127.0.0.1", () => resolve()));
}
function stopSmtp(): Promise<void> {
  return new Promise((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
}

defineNotice(
  "test.reminder",
  defineStrings(
    { title: "Session at {time}", email: "You have a session tomorrow at {time}." },
    { title: "Séance à {time}", email: "Vous avez une séance demain à {time}." },
    { title: "Sesión a las {time}", email: "Tiene una sesión mañana a las {time}." },
  ),
);

let server: TestServer;
let personId = 0;
beforeAll(async () => {
  await startSmtp();
  server = await startTestServer({ HEARTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
  const h = server.hearth;
  personId = insertPerson(h, { role: "patient", sealedProfile: await sealProfile(h, { displayName: "Secret Name", pronouns: "", language: "" }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null });
  await writeContacts(h, personId, personId, { reminderContact: "pat@example.test", emergencyContact: "", usualLocation: "" });
});
afterAll(async () => {
  await server?.close();
  await stopSmtp();
});

test("a notification's e-mail arrives once, content-free, and a repeated once-key adds nothing", async () => {
  const h = server.hearth;
  const id = notify(h, personId, { kind: "test.reminder", link: "/sessions/12", params: { time: "18:00" }, once: "reminder:12:24h" });
  expect(id).toBeNumber();
  expect(notify(h, personId, { kind: "test.reminder", link: "/sessions/12", params: { time: "18:00" }, once: "reminder:12:24h" })).toBeNull();
  expect(unreadCount(h, personId)).toBe(1);
  expect(await outboxOf(h).deliverDue()).toBe(1);
  expect(await outboxOf(h).deliverDue()).toBe(0);
  expect(received.length).toBe(1);
  expect(received[0]!.to).toBe("pat@example.test");
  expect(received[0]!.raw).toContain("You have a session tomorrow at 18:00.");
  expect(received[0]!.raw).toContain(`${h.config.publicUrl}/sessions/12`);
  expect(received[0]!.raw).not.toContain("Secret Name");
});

test("restarting the SMTP server in between sends nothing twice", async () => {
  await stopSmtp();
  await startSmtp();
  expect(await outboxOf(server.hearth).deliverDue()).toBe(0);
  expect(received.length).toBe(1);
});

test("while SMTP is down the message waits with back-off, then arrives once when it is up", async () => {
  const h = server.hearth;
  await stopSmtp();
  notify(h, personId, { kind: "test.reminder", link: "/sessions/13", params: { time: "19:00" }, once: "reminder:13:24h" });
  expect(await outboxOf(h).deliverDue()).toBe(0);
  const state = outboxState(h);
  expect(state.waiting).toBe(1);
  expect(state.failing).toBe(1);
  expect(state.lastError).not.toContain("pat@example.test");
  await startSmtp();
  // Not due yet: back-off holds it until the clock passes next_at.
  expect(await outboxOf(h).deliverDue()).toBe(0);
  server.clock.advance(backoff(1) + 1);
  expect(await outboxOf(h).deliverDue()).toBe(1);
  expect(received.length).toBe(2);
  expect(received[1]!.raw).toContain("19:00");
  expect(outboxState(h).waiting).toBe(0);
});

test("a person who turned e-mail off gets the notice in Hearth only", async () => {
  const h = server.hearth;
  setPrefs(h, personId, { email: false, remind: "1h" });
  notify(h, personId, { kind: "test.reminder", link: "/sessions/14", params: { time: "20:00" } });
  server.clock.advance(backoff(10));
  expect(await outboxOf(h).deliverDue()).toBe(0);
  expect(received.length).toBe(2);
  expect(unreadCount(h, personId)).toBe(3);
});

test("an unregistered kind or an outside link is refused", () => {
  expect(() => notify(server.hearth, personId, { kind: "nope.kind", link: "/" })).toThrow();
  expect(() => notify(server.hearth, personId, { kind: "test.reminder", link: "https://evil.example/" })).toThrow();
});

test("the admin's health page shows the outbox queue, without addresses", async () => {
  const h = server.hearth;
  setPrefs(h, personId, { email: true, remind: "24h" });
  await stopSmtp();
  notify(h, personId, { kind: "test.reminder", link: "/sessions/15", params: { time: "21:00" }, once: "reminder:15:24h" });
  await outboxOf(h).deliverDue();
  const adminId = insertPerson(h, { role: "admin", sealedProfile: await sealProfile(h, { displayName: "Ada", pronouns: "", language: "" }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null });
  const page = await (await fetch(`${server.url}/admin/health`, { headers: { cookie: `hearth_session=${createSession(h, adminId).id}` } })).text();
  expect(page).toContain("E-mail outbox");
  expect(page).toContain("1 waiting, 1 retrying after an error");
  expect(page).not.toContain("pat@example.test");
  await startSmtp();
  server.clock.advance(backoff(1) + 1);
  expect(await outboxOf(h).deliverDue()).toBe(1);
});
