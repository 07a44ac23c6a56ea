/**
 * Documents in a patient's space through the real server: a 25 MB file streams in sealed and
 * comes back byte-identical as an audited attachment with nosniff; the uploader's choice of who
 * sees it holds; nobody outside the care team reaches the space; wrong types, empty files,
 * missing titles and files over the limit are refused naming the field, and nothing is kept.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { createSession } from "../identity/sessions.ts";
import { DOCUMENT_MAX_BYTES } from "./documents.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let nina: Client;
let pat: Client;
let big: Uint8Array;

/** An upload as the page's script sends it: the file as the body, title and audience in headers. */
async function upload(personId: number, patientId: number, body: Uint8Array, title: string, audience = "both"): Promise<Response> {
  const s = createSession(server.hearth, personId);
  return fetch(`${server.url}/portal/patients/${patientId}/documents`, {
    method: "POST",
    headers: {
      cookie: `hearth_session=${s.id}`,
      "x-csrf-token": s.csrfToken,
      "content-type": "application/octet-stream",
      "x-document-title": encodeURIComponent(title),
      "x-document-audience": audience,
    },
    body: body as Uint8Array<ArrayBuffer>,
    redirect: "manual",
  });
}

async function download(personId: number, id: number): Promise<Response> {
  const s = createSession(server.hearth, personId);
  return fetch(`${server.url}/portal/documents/${id}`, { headers: { cookie: `hearth_session=${s.id}` } });
}

const lastId = () => server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM portal_documents").get()!.id;
const count = () => server.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM portal_documents").get()!.n;
const blobs = () => readdirSync(join(server.dataDir, "documents"));
const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  big = new Uint8Array(25 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 65536) crypto.getRandomValues(big.subarray(i, i + 65536));
  big.set(new TextEncoder().encode("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"));
});
afterAll(() => server?.close());

describe("documents", () => {
  test("a 25 MB document streams in sealed and downloads byte-identical, audited, as an attachment", async () => {
    const r = await upload(pat.personId, pat.personId, big, "Discharge summary — May");
    expect(r.status).toBe(303);
    const id = lastId();
    const res = await download(cleo.personId, id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toStartWith("attachment;");
    expect(res.headers.get("content-disposition")).toContain("filename*=UTF-8''Discharge%20summary%20%E2%80%94%20May.pdf");
    const back = new Uint8Array(await res.arrayBuffer());
    expect(back.length).toBe(big.length);
    expect(sha(back)).toBe(sha(big));
    // At rest: an age file, not the document (a random stretch of it is nowhere in the blob).
    const [blob] = blobs();
    const stored = readFileSync(join(server.dataDir, "documents", blob!));
    expect(stored.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    expect(stored.includes(Buffer.from(big.subarray(1_000_000, 1_000_064)))).toBe(false);
    const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'document.downloaded' AND subject = ?").get(`document:${id}`)!.n;
    expect(audited).toBe(1);
    expect((await pat.get(`/portal/patients/${pat.personId}/documents`)).text).toContain("Discharge summary — May");
  }, 60_000);

  test("the uploader chooses who sees it, and nobody outside the care team reaches the space", async () => {
    const note = new TextEncoder().encode("Team note: discuss the referral before telling Pat.\n");
    expect((await upload(cleo.personId, pat.personId, note, "Referral note", "team")).status).toBe(303);
    const teamOnly = lastId();
    expect((await pat.get(`/portal/patients/${pat.personId}/documents`)).text).not.toContain("Referral note");
    expect((await download(pat.personId, teamOnly)).status).toBe(404);
    expect((await download(cleo.personId, teamOnly)).status).toBe(200);
    expect((await upload(pat.personId, pat.personId, new TextEncoder().encode("my own list\n"), "Private list", "patient")).status).toBe(303);
    const patOnly = lastId();
    expect((await download(cleo.personId, patOnly)).status).toBe(404);
    expect((await cleo.get(`/portal/patients/${pat.personId}/documents`)).text).not.toContain("Private list");

    expect((await nina.get(`/portal/patients/${pat.personId}/documents`)).status).toBe(403);
    expect((await admin.get(`/portal/patients/${pat.personId}/documents`)).status).toBe(403);
    expect((await upload(nina.personId, pat.personId, note, "x")).status).toBe(403);
    expect((await download(nina.personId, teamOnly)).status).toBe(404);
    expect((await download(admin.personId, teamOnly)).status).toBe(403);
  });

  test("a wrong type, an empty file, no title or too large a file is refused naming the field; nothing is kept", async () => {
    const before = count();
    const files = blobs().length;
    const exe = await upload(pat.personId, pat.personId, new Uint8Array([0x4d, 0x5a, 0x90, 0x00, ...new Uint8Array(600)]), "Program");
    expect(exe.status).toBe(400);
    expect(await exe.text()).toContain("the File field");
    expect((await upload(pat.personId, pat.personId, new Uint8Array(0), "Nothing")).status).toBe(400);
    const untitled = await upload(pat.personId, pat.personId, new TextEncoder().encode("hello\n"), "  ");
    expect(untitled.status).toBe(400);
    expect(await untitled.text()).toContain("the Title field");
    const huge = await upload(pat.personId, pat.personId, new Uint8Array(DOCUMENT_MAX_BYTES + 1), "Too big");
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain("50 MB");
    expect(count()).toBe(before);
    expect(blobs().length).toBe(files);
  }, 60_000);
});
