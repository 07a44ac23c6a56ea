import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { PARSED_BODY_MAX_BYTES } from "./body-limit.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const url = (path: string) => `${server.hearth.config.publicUrl}${path}`;
const big = () => "a=" + "x".repeat(PARSED_BODY_MAX_BYTES);

test("a form route refuses a body over the limit before reading it, with the readable 413 page", async () => {
  const res = await fetch(url("/account/profile"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: big() });
  expect(res.status).toBe(413);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(await res.text()).not.toContain("at <anonymous>");
});

test("small forms and streamed uploads pass this check (they meet their own: here, not signed in)", async () => {
  const small = await fetch(url("/account/profile"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=b" });
  expect(small.status).not.toBe(413);
  const upload = await fetch(url("/groups/1/materials"), { method: "POST", headers: { "content-type": "application/pdf" }, body: big() });
  expect(upload.status).not.toBe(413);
});

test("a form route refuses a body of undeclared length (chunked) before reading it, with a readable page", async () => {
  // A stream body makes fetch send it chunked, with no content-length.
  const body = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode("a=b"));
      c.close();
    },
  });
  const res = await fetch(url("/account/profile"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  expect(res.status).toBe(411);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(await res.text()).toContain("size is declared first");
});
