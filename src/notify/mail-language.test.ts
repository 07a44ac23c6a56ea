/**
 * E-mails follow the reader's language: a patient whose profile says Spanish gets the e-mail in
 * Spanish, one who says French gets French, through the real outbox and a real SMTP server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SMTPServer } from "smtp-server";
import { freePort, startTestServer, type TestServer } from "../../tests/harness.ts";
import { insertPerson, newWebauthnHandle, sealProfile, writeContacts } from "../identity/people.ts";
import { defineStrings, type Locale } from "../ui/i18n.ts";
import { defineNotice } from "./notices.ts";
import { notify } from "./notify.ts";
import { outboxOf } from "./routes.ts";

const received: { to: string; raw: string }[] = [];
const smtpPort = freePort();
const smtp = new SMTPServer({
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

defineNotice(
  "test.language",
  defineStrings(
    { title: "Your group meets at {time}", email: "Your group meets tomorrow at {time}." },
    { title: "Votre groupe se réunit à {time}", email: "Votre groupe se reunit demain a {time}." },
    { title: "Su grupo se reúne a las {time}", email: "Su grupo se reune manana a las {time}." },
  ),
);

/** Quoted-printable soft breaks and =XX escapes undone, so the text can be searched. */
const decoded = (raw: string) => raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

let server: TestServer;
async function patient(language: Locale, address: string): Promise<number> {
  const h = server.hearth;
  const id = insertPerson(h, { role: "patient", sealedProfile: await sealProfile(h, { displayName: "P", pronouns: "", language }), webauthnHandle: newWebauthnHandle(), invitedBy: null, accessEndsAt: null });
  await writeContacts(h, id, id, { reminderContact: address, emergencyContact: "", usualLocation: "" });
  return id;
}

beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(smtpPort, "127.0.0.1", () => resolve()));
  server = await startTestServer({ HEARTH_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

test("a Spanish-speaking patient's e-mail is in Spanish, a French-speaking one's in French", async () => {
  const h = server.hearth;
  const es = await patient("es", "lucia@example.test");
  const fr = await patient("fr", "julie@example.test");
  notify(h, es, { kind: "test.language", link: "/sessions/3", params: { time: "18:00" } });
  notify(h, fr, { kind: "test.language", link: "/sessions/3", params: { time: "18:00" } });
  expect(await outboxOf(h).deliverDue()).toBe(2);
  const mail = (to: string) => decoded(received.find((r) => r.to === to)!.raw);
  const spanish = mail("lucia@example.test");
  expect(spanish).toContain("Su grupo se reune manana a las 18:00.");
  expect(spanish).toContain("Abra Hearth para verlo:");
  expect(spanish).toContain("Subject: Hearth: algo le espera");
  expect(spanish).not.toContain("Your group meets");
  const french = mail("julie@example.test");
  expect(french).toContain("Votre groupe se reunit demain a 18:00.");
  expect(french).toContain("Ouvrez Hearth pour le voir");
});
