/**
 * The content library through the real server: articles rendered through the sanitizer, a
 * sealed video served with byte ranges (each range compared with the same slice of the
 * generated file, across age's 64 KiB chunk boundaries), who sees what (a patient only what is
 * recommended to them or their group), and reading tracked only once the admin turns it on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { createSession } from "../identity/sessions.ts";
import { renderArticle } from "./library-markdown.ts";
import { parseRange } from "./library-range.ts";
import { LIBRARY_MAX_BYTES } from "./library.ts";
import { describeAction } from "../identity/audit-words.ts";
import { decide, requestById, requestErasure } from "./erasure.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let omar: Client;
let pat: Client;
let quinn: Client;
let video: Uint8Array;
let videoId = 0;
let articleId = 0;
let groupId = 0;

async function upload(personId: number, body: Uint8Array, title: string): Promise<Response> {
  const s = createSession(server.hearth, personId);
  return fetch(`${server.url}/portal/library/files`, {
    method: "POST",
    headers: { cookie: `hearth_session=${s.id}`, "x-csrf-token": s.csrfToken, "content-type": "application/octet-stream", "x-document-title": encodeURIComponent(title) },
    body: body as Uint8Array<ArrayBuffer>,
    redirect: "manual",
  });
}

async function fetchFile(personId: number, id: number, range?: string): Promise<Response> {
  const s = createSession(server.hearth, personId);
  return fetch(`${server.url}/portal/library/${id}/file`, { headers: { cookie: `hearth_session=${s.id}`, ...(range ? { range } : {}) } });
}

/** One request written by hand on its own socket; resolves with the status and body once the response is whole. */
function rawRequest(text: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let got = "";
    const socket = connect(server.port, "127.0.0.1", () => socket.write(text));
    socket.on("data", (d) => {
      got += d.toString("utf8");
      const split = got.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(got)?.[1] ?? NaN);
      if (split > 0 && Buffer.byteLength(got.slice(split + 4)) >= length) {
        socket.destroy();
        resolve({ status: Number(got.slice(9, 12)), text: got.slice(split + 4) });
      }
    });
    socket.on("error", reject);
  });
}

const sha = (b: Uint8Array) => new Bun.CryptoHasher("sha256").update(b).digest("hex");
const idFrom = (location: string | undefined | null) => Number(/\/portal\/library\/(\d+)/.exec(location ?? "")?.[1]);

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  quinn = await accept(server, await invite(omar, "patient"), "Quinn Patient");
  await cleo.get("/groups/new");
  const made = await cleo.post("/groups", new URLSearchParams({ name: "Evening group" }).toString());
  groupId = Number(/\/groups\/(\d+)/.exec(made.headers.location ?? "")?.[1]);
  await cleo.post(`/groups/${groupId}/members`, `personId=${pat.personId}`);
  // A 3 MB "video": an MP4 file-type box, then random bytes (so every slice is distinct).
  video = new Uint8Array(3 * 1024 * 1024 + 12345);
  for (let i = 0; i < video.length; i += 65536) crypto.getRandomValues(video.subarray(i, Math.min(video.length, i + 65536)));
  video.set([0, 0, 0, 0x18, ...new TextEncoder().encode("ftypisom"), 0, 0, 2, 0, ...new TextEncoder().encode("isomiso2")]);
});
afterAll(() => server?.close());

describe("library", () => {
  test("the sanitizer keeps structure and drops scripts, handlers, javascript: links, iframes and styles", () => {
    const out = renderArticle(
      [
        "# Sleep",
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<p onclick="steal()">Calm</p>',
        "[bad](javascript:alert(1)) [good](https://example.org/sleep) <a href=\"JaVaScRiPt:alert(2)\">upper</a>",
        '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>',
      ].join("\n\n"),
    );
    expect(out).toContain("<h2>Sleep</h2>");
    expect(out).toContain("<p>Calm</p>");
    expect(out).toContain('<a href="https://example.org/sleep" rel="noopener noreferrer">good</a>');
    for (const bad of ["<script", "alert", "onerror", "onclick", "javascript:", "<img", "<iframe", "<style", "display:none"]) expect(out.toLowerCase()).not.toContain(bad.toLowerCase());
  });

  test("ranges are parsed as HTTP says", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=900-", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-100", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=990-5000", 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange("bytes=1000-", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-9", 1000)).toBeNull();
    expect(parseRange(null, 1000)).toBeNull();
  });

  test("a video streams in sealed and every range returns exactly those bytes", async () => {
    const r = await upload(cleo.personId, video, "Breathing — a guided video");
    expect(r.status).toBe(303);
    videoId = idFrom(r.headers.get("location"));
    const [blob] = readdirSync(join(server.dataDir, "library"));
    const stored = readFileSync(join(server.dataDir, "library", blob!));
    expect(stored.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    expect(stored.includes(Buffer.from(video.subarray(2_000_000, 2_000_064)))).toBe(false);

    const whole = await fetchFile(cleo.personId, videoId);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(sha(new Uint8Array(await whole.arrayBuffer()))).toBe(sha(video));

    const n = video.length;
    for (const [header, start, end] of [
      ["bytes=0-99", 0, 99],
      ["bytes=65530-65545", 65530, 65545], // across the first age chunk boundary
      ["bytes=1000000-1999999", 1_000_000, 1_999_999],
      ["bytes=3000000-", 3_000_000, n - 1],
      ["bytes=-500", n - 500, n - 1],
    ] as const) {
      const res = await fetchFile(cleo.personId, videoId, header);
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${n}`);
      // Bun sends a streamed body chunked (it drops the declared length); the range itself is in content-range.
      const got = new Uint8Array(await res.arrayBuffer());
      expect(got.length).toBe(end - start + 1);
      expect(Buffer.from(got).equals(Buffer.from(video.subarray(start, end + 1)))).toBe(true);
    }
    const past = await fetchFile(cleo.personId, videoId, `bytes=${n}-`);
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${n}`);
  }, 60_000);

  test("a wrong type or a missing title is refused naming the field, and nothing is kept", async () => {
    const before = readdirSync(join(server.dataDir, "library")).length;
    const text = await upload(cleo.personId, new TextEncoder().encode("just words\n"), "Notes");
    expect(text.status).toBe(400);
    expect(await text.text()).toContain("The File field");
    const untitled = await upload(cleo.personId, video.subarray(0, 5000), "  ");
    expect(untitled.status).toBe(400);
    expect(await untitled.text()).toContain("The Title field");
    const noBody = await cleo.post("/portal/library/articles", new URLSearchParams({ title: "Empty", body: " " }).toString());
    expect(noBody.status).toBe(400);
    expect(noBody.text).toContain("The Text field");
    // A file declared over 500 MB is refused before a byte of it is read, saying the limit (on a
    // socket of its own: the rest of the declared body never comes).
    const sess = createSession(server.hearth, cleo.personId);
    const huge = await rawRequest(
      [
        "POST /portal/library/files HTTP/1.1",
        `host: 127.0.0.1:${server.port}`,
        `cookie: hearth_session=${sess.id}`,
        `x-csrf-token: ${sess.csrfToken}`,
        "content-type: application/octet-stream",
        "x-document-title: Too%20long",
        `content-length: ${LIBRARY_MAX_BYTES + 1}`,
      ].join("\r\n") + "\r\n\r\nx",
    );
    expect(huge.status).toBe(413);
    expect(huge.text).toContain("larger than 500 MB");
    expect(readdirSync(join(server.dataDir, "library")).length).toBe(before);
  });

  test("a patient sees only what is recommended to them or their group; another patient is refused", async () => {
    await cleo.get("/portal/library");
    const made = await cleo.post(
      "/portal/library/articles",
      new URLSearchParams({ title: "Sleep hygiene", tags: "Sleep, routine, sleep", body: "## Before bed\n\n- Dim the lights\n- [More](https://example.org)\n\n<script>alert(1)</script>" }).toString(),
    );
    expect(made.status).toBe(303);
    articleId = idFrom(made.headers.location);
    expect((await cleo.get(`/portal/library/${articleId}`)).text).toContain("Tags: sleep, routine");

    // Nothing recommended yet: the patient's list is empty and the item is not theirs.
    expect((await pat.get("/portal/library")).text).not.toContain("Sleep hygiene");
    expect((await pat.get(`/portal/library/${articleId}`)).status).toBe(403);

    // Cleo recommends the article to her group and the video to Pat alone.
    expect((await cleo.post(`/portal/library/${articleId}/assign`, `groupId=${groupId}`)).status).toBe(303);
    expect((await cleo.post(`/portal/library/${videoId}/assign`, `patientId=${pat.personId}`)).status).toBe(303);
    const home = await pat.get("/");
    expect(home.text).toContain("Recommended for you");
    expect(home.text).toContain("Breathing — a guided video");
    expect((await quinn.get("/")).text).not.toContain("Recommended for you");
    const mine = await pat.get("/portal/library");
    expect(mine.text).toContain("Recommended for you");
    expect(mine.text).toContain("Sleep hygiene");
    expect(mine.text).toContain("Breathing — a guided video");
    const article = await pat.get(`/portal/library/${articleId}`);
    expect(article.status).toBe(200);
    expect(article.text).toContain("<li>Dim the lights</li>");
    expect(article.text).not.toContain("alert(1)");
    expect((await fetchFile(pat.personId, videoId, "bytes=0-9")).status).toBe(206);

    // Quinn (Omar's patient, not in the group) reaches none of it.
    expect((await quinn.get("/portal/library")).text).not.toContain("Sleep hygiene");
    expect((await quinn.get(`/portal/library/${articleId}`)).status).toBe(403);
    expect((await quinn.get("/portal/library/999999")).status).toBe(404);
    expect((await fetchFile(quinn.personId, videoId)).status).toBe(403);
    expect((await fetchFile(quinn.personId, videoId, "bytes=0-9")).status).toBe(403);

    // Omar may browse the library but not recommend to Cleo's patient or group; patients and admins write nothing.
    await omar.get("/portal/library");
    expect((await omar.post(`/portal/library/${articleId}/assign`, `patientId=${pat.personId}`)).status).toBe(403);
    expect((await omar.post(`/portal/library/${articleId}/assign`, `groupId=${groupId}`)).status).toBe(403);
    expect((await pat.post("/portal/library/articles", new URLSearchParams({ title: "Mine", body: "x" }).toString())).status).toBe(403);
    expect((await pat.post(`/portal/library/${articleId}/assign`, `patientId=${quinn.personId}`)).status).toBe(403);
    expect((await admin.get("/portal/library")).status).toBe(403);
    expect((await fetchFile(admin.personId, videoId)).status).toBe(403);
    expect((await omar.post(`/portal/library/${articleId}/unassign`, `groupId=${groupId}`)).status).toBe(403);
    expect((await pat.post(`/portal/library/${articleId}/remove`, "confirm=yes")).status).toBe(403);
  }, 30_000);

  test("a recommendation can be stopped, and a removed item reaches nobody", async () => {
    const extra = await cleo.post("/portal/library/articles", new URLSearchParams({ title: "Short-lived", body: "Soon gone." }).toString());
    const id = idFrom(extra.headers.location);
    await cleo.post(`/portal/library/${id}/assign`, `patientId=${pat.personId}`);
    expect((await pat.get(`/portal/library/${id}`)).status).toBe(200);
    expect((await cleo.get(`/portal/library/${id}`)).text).toContain("Stop recommending to Pat Patient");
    expect((await cleo.post(`/portal/library/${id}/unassign`, `patientId=${pat.personId}`)).status).toBe(303);
    expect((await pat.get(`/portal/library/${id}`)).status).toBe(403);
    expect((await pat.get("/portal/library")).text).not.toContain("Short-lived");

    await cleo.post(`/portal/library/${id}/assign`, `patientId=${pat.personId}`);
    expect((await cleo.post(`/portal/library/${id}/remove`, "")).status).toBe(400); // the box not ticked: nothing removed
    expect((await pat.get(`/portal/library/${id}`)).status).toBe(200);
    expect((await cleo.post(`/portal/library/${id}/remove`, "confirm=yes")).status).toBe(303);
    expect((await pat.get(`/portal/library/${id}`)).status).toBe(404);
    expect((await cleo.get(`/portal/library/${id}`)).status).toBe(404);
    expect((await pat.get("/portal/library")).text).not.toContain("Short-lived");
  });

  test("reading is recorded only once the admin turns it on, and the patient is told", async () => {
    const reads = () => server.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM library_reads").get()!.n;
    const page = await pat.get(`/portal/library/${articleId}`);
    expect(page.text).toContain("The clinic does not record what you open here.");
    expect(reads()).toBe(0);
    expect((await cleo.get(`/portal/library/${articleId}`)).text).toContain("The clinic does not record reading");

    expect((await cleo.post("/admin/library", "tracked=on")).status).toBe(403);
    await admin.get("/admin/library");
    expect((await admin.post("/admin/library", "tracked=on")).status).toBe(303);
    const told = await pat.get(`/portal/library/${articleId}`);
    expect(told.text).toContain("The clinic records which items you open and when");
    expect((await pat.get("/portal/library")).text).toContain("The clinic records which items you open and when");
    expect(reads()).toBe(1);
    expect((await cleo.get(`/portal/library/${articleId}`)).text).toContain("Pat Patient: 1 times");

    expect((await admin.post("/admin/library", "")).status).toBe(303);
    await pat.get(`/portal/library/${articleId}`);
    expect(server.hearth.db.query<{ times: number }, []>("SELECT times FROM library_reads").get()!.times).toBe(1);

    // "Who has seen my data" names each library row about Pat in words.
    const actions = server.hearth.db.query<{ action: string }, [number]>("SELECT DISTINCT action FROM audit_log WHERE owner_id = ? AND action LIKE 'library.%'").all(pat.personId).map((r) => r.action).sort();
    expect(actions).toEqual(["library.assigned", "library.listed", "library.reads_listed", "library.recommendation_removed"]);
    expect(actions.map((a) => describeAction("en", a))).toEqual(["Content library: added", "Content library: viewed", "Content library: viewed", "Content library: withdrawn or closed"]);
    expect(describeAction("fr", "library.listed")).toBe("Bibliothèque de contenus : consulté");
    expect(describeAction("es", "library.listed")).toBe("Biblioteca de contenidos: consultado");

    // An erasure the admin grants takes the reading record with it; the recommendations stay.
    expect(decide(server.hearth, admin.personId, requestById(server.hearth, requestErasure(server.hearth, pat.personId))!, "erased", "")).toBe(true);
    expect(reads()).toBe(0);
    expect((await pat.get("/portal/library")).text).toContain("Sleep hygiene");
  });
});
