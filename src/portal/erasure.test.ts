/**
 * Erasure: a patient asks; the admin's queue names them by number only; "kept" needs a reason the
 * patient then reads; "erased" removes the patient's journal, goals, worksheet answers and the
 * documents they uploaded (files too), and keeps messages and what others uploaded.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { createSession } from "../identity/sessions.ts";
import { createClinicJournalKey, createEntry } from "./journals.ts";
import { sealNewEntry } from "../../web/portal/journal-crypto.ts";
import { addMessage, threadById } from "./messages.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let pat: Client;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const n = (sql: string, ...args: number[]) => server.hearth.db.query<{ n: number }, number[]>(sql).get(...args)!.n;

async function upload(personId: number, title: string) {
  const s = createSession(server.hearth, personId);
  return fetch(`${server.url}/portal/patients/${pat.personId}/documents`, {
    method: "POST",
    headers: { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken, "content-type": "application/octet-stream", "x-document-title": title },
    body: new TextEncoder().encode(`${title}\n`),
    redirect: "manual",
  });
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
});
afterAll(() => server?.close());

test("asked, refused with a reason, asked again, erased: the patient's own portal data goes, the record stays", async () => {
  const h = server.hearth;
  const key = await createClinicJournalKey(h, pat.personId);
  const sealed = await sealNewEntry({ text: "to be erased", mood: null, tags: [], date: "2026-12-06" }, [key.recipient]);
  createEntry(h, pat.personId, sealed.ciphertext, sealed.wrapped);
  await pat.get(`/portal/patients/${pat.personId}/goals`);
  await pat.post(`/portal/patients/${pat.personId}/goals`, form({ specific: "Walk", measurable: "3x", achievable: "near", relevant: "sleep", by: "2099-01-01" }));
  await pat.get("/portal/messages");
  await pat.post("/portal/messages", form({ to: "team", subject: "Hello", body: "kept in the record" }));
  expect((await upload(pat.personId, "Mine")).status).toBe(303);
  // "Mine" also went out as a message's attachment.
  const thread = threadById(h, 1)!;
  await addMessage(h, thread, pat.personId, "Mine", h.db.query<{ id: number }, []>("SELECT max(id) AS id FROM portal_documents").get()!.id);
  expect((await upload(cleo.personId, "From Cleo")).status).toBe(303);

  await pat.get("/portal/my-data");
  expect((await pat.post("/portal/my-data/erasure", form({}))).status).toBe(303);
  expect((await pat.get("/portal/my-data")).text).toContain("waiting for the clinic");
  const queue = (await admin.get("/admin/erasure-requests")).text;
  expect(queue).toContain(`Patient #${pat.personId}`);
  expect(queue).not.toContain("Pat Patient");
  expect((await cleo.get("/admin/erasure-requests")).status).toBe(403);

  const noReason = await admin.post("/admin/erasure-requests/1", form({ outcome: "kept", reason: "" }));
  expect(noReason.status).toBe(400);
  expect(noReason.text).toContain("the Reason field");
  expect((await admin.post("/admin/erasure-requests/1", form({ outcome: "kept", reason: "Records are kept 7 years after the last visit." }))).status).toBe(303);
  expect((await pat.get("/portal/my-data")).text).toContain("Records are kept 7 years after the last visit.");
  expect(n("SELECT count(*) AS n FROM journal_entries WHERE owner_id = ?", pat.personId)).toBe(1);

  await pat.get("/portal/my-data");
  await pat.post("/portal/my-data/erasure", form({}));
  await admin.get("/admin/erasure-requests");
  expect((await admin.post("/admin/erasure-requests/2", form({ outcome: "erased" }))).status).toBe(303);
  expect((await pat.get("/portal/my-data")).text).toContain("erased on");
  expect(n("SELECT count(*) AS n FROM journal_entries WHERE owner_id = ?", pat.personId)).toBe(0);
  expect(n("SELECT count(*) AS n FROM journal_keys WHERE person_id = ?", pat.personId)).toBe(0);
  expect(n("SELECT count(*) AS n FROM goals WHERE patient_id = ?", pat.personId)).toBe(0);
  expect(n("SELECT count(*) AS n FROM portal_documents WHERE patient_id = ?", pat.personId)).toBe(1); // Cleo's stays
  expect(readdirSync(join(server.dataDir, "documents"))).toHaveLength(1);
  expect(n("SELECT count(*) AS n FROM messages WHERE author_id = ?", pat.personId)).toBe(2);
  expect(n("SELECT count(*) AS n FROM messages WHERE document_id IS NOT NULL")).toBe(0);
  expect((await admin.post("/admin/erasure-requests/2", form({ outcome: "erased" }))).status).toBe(404);
});
