/**
 * Materials on a real server: a clinician uploads a worksheet as a streamed body; it is sealed
 * at rest (no plaintext in data/materials), typed from its content, listed for the group's
 * patient and downloaded as an attachment with nosniff, each download audited. A file too large,
 * of a wrong type or empty is refused in words naming the field, leaving nothing behind; someone
 * outside the group is refused.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../identity/test-client.ts";
import { addFile, MAX_BYTES, MaterialError } from "./store.ts";

let server: TestServer;
let cleo: Client;
let pat: Client;
let quinn: Client;
let groupId = 0;
const MARKER = `Thought record ${crypto.randomUUID()}`;
const PDF = new TextEncoder().encode(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${MARKER}\n${"x".repeat(200_000)}\n%%EOF\n`);

function upload(c: Client, body: BodyInit, title: string, target = "group") {
  return fetch(`${server.url}/groups/${groupId}/materials`, {
    method: "POST",
    body,
    headers: {
      cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      "x-csrf-token": c.csrf,
      "content-type": "application/octet-stream",
      "x-material-title": encodeURIComponent(title),
      "x-material-for": target,
      "hx-request": "true",
    },
  });
}
const blobs = () => readdirSync(join(server.dataDir, "materials"));
const audits = (action: string) => server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = ?").get(action)!.n;

beforeAll(async () => {
  server = await startTestServer();
  const admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  quinn = await accept(server, await invite(cleo, "patient"), "Quinn Other");
  await cleo.get("/groups/new");
  const made = await cleo.post("/groups", new URLSearchParams({ name: "Evening group" }).toString());
  groupId = Number(/\/groups\/(\d+)/.exec(made.headers.location ?? "")![1]);
  await cleo.get(`/groups/${groupId}`);
  await cleo.post(`/groups/${groupId}/members`, `personId=${pat.personId}`);
});
afterAll(() => server?.close());

test("a worksheet is uploaded streamed, sealed at rest, and downloaded by a member as an audited attachment", async () => {
  const page = await cleo.get(`/calendar/groups/${groupId}`);
  expect(page.text).toContain('id="material-upload"');
  expect(page.text).toContain("upload.js");
  const r = await upload(cleo, PDF, "Worksheet: thought record");
  expect(r.status).toBe(204);
  expect(r.headers.get("hx-redirect")).toBe(`/calendar/groups/${groupId}`);
  const files = blobs();
  expect(files.length).toBe(1);
  const raw = readFileSync(join(server.dataDir, "materials", files[0]!));
  expect(raw.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
  expect(raw.includes(Buffer.from(MARKER))).toBe(false);
  expect(raw.includes(Buffer.from("%PDF"))).toBe(false);

  const list = await pat.get(`/calendar/groups/${groupId}`);
  expect(list.status).toBe(200);
  expect(list.text).toContain("Worksheet: thought record");
  expect(list.text).not.toContain('id="material-upload"');
  const id = Number(/href="\/materials\/(\d+)"/.exec(list.text)![1]);
  const before = audits("material.downloaded");
  const dl = await fetch(`${server.url}/materials/${id}`, { headers: { cookie: [...pat.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } });
  expect(dl.status).toBe(200);
  expect(dl.headers.get("content-type")).toBe("application/pdf");
  expect(dl.headers.get("content-disposition")).toStartWith('attachment; filename="Worksheet_ thought record.pdf"');
  expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
  expect(new Uint8Array(await dl.arrayBuffer())).toEqual(PDF);
  expect(audits("material.downloaded")).toBe(before + 1);

  // Someone outside the group sees neither the list nor the file.
  expect((await quinn.get(`/calendar/groups/${groupId}`)).status).toBe(403);
  expect((await quinn.get(`/materials/${id}`)).status).toBe(403);
});

test("a file of a wrong type, an empty one, or one without a title is refused naming the field; nothing is kept", async () => {
  const count = blobs().length;
  const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(200).fill(0)]);
  const wrong = await upload(cleo, elf, "Program");
  expect(wrong.status).toBe(415);
  expect(await wrong.text()).toContain("File: this kind of file cannot be attached.");
  const empty = await upload(cleo, new Uint8Array(0), "Nothing");
  expect(empty.status).toBe(400);
  expect(await empty.text()).toContain("File: the file is empty.");
  const untitled = await upload(cleo, PDF, "   ");
  expect(untitled.status).toBe(400);
  expect(await untitled.text()).toContain("Title:");
  const badTarget = await upload(cleo, PDF, "Somewhere", "99:123");
  expect(await badTarget.text()).toContain("Attach to:");
  expect(blobs().length).toBe(count);
  // Patients do not upload.
  expect((await upload(pat, PDF, "Mine")).status).toBe(403);
});

test("a file larger than the limit is refused with the limit named, before or while it streams", async () => {
  const count = blobs().length;
  // Declared too large: refused before a byte is read.
  const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: server.port,
        method: "POST",
        path: `/groups/${groupId}/materials`,
        headers: {
          cookie: [...cleo.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
          "x-csrf-token": cleo.csrf,
          "content-type": "application/octet-stream",
          "content-length": String(MAX_BYTES + 1),
          "x-material-title": "Big",
          "hx-request": "true",
        },
      },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.write(Buffer.alloc(1024));
  });
  expect(declared.status).toBe(413);
  expect(declared.body).toContain("File: it is larger than 50 MB.");
  // Streamed past the limit (no length given): stopped, and the partial file removed.
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += 64 * 1024;
      c.enqueue(new Uint8Array(64 * 1024).fill(65));
    },
  });
  const err = await addFile(server.hearth, cleo.personId, { groupId, scheduleId: null, wall: null }, "Too long", endless, 1024 * 1024).catch((e) => e);
  expect(err).toBeInstanceOf(MaterialError);
  expect((err as MaterialError).reason).toBe("too-large");
  expect(sent).toBeLessThan(2 * 1024 * 1024);
  expect(blobs().length).toBe(count);
});

test("a link is added for one group and opened from the list", async () => {
  const r = await cleo.post(`/groups/${groupId}/links`, new URLSearchParams({ title: "Breathing audio", link: "https://example.org/breathe", for: "group" }).toString(), { "hx-request": "true" });
  expect(r.status).toBe(204);
  const bad = await cleo.post(`/groups/${groupId}/links`, new URLSearchParams({ title: "Bad", link: "javascript:alert(1)", for: "group" }).toString(), { "hx-request": "true" });
  expect(bad.status).toBe(400);
  expect(bad.text).toContain("Address:");
  const list = await pat.get(`/calendar/groups/${groupId}`);
  expect(list.text).toContain('href="https://example.org/breathe" rel="noopener noreferrer"');
});
