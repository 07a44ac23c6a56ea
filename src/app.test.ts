import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../tests/harness.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("web shell", () => {
  test("/healthz answers 200 JSON without auth", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", locked: false });
  });

  test("every response carries the security headers", async () => {
    for (const path of ["/", "/healthz", "/no-such-page", "/static/hearth.css"]) {
      const res = await fetch(`${server.url}${path}`);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("permissions-policy")).toContain("camera=(self)");
      expect(res.headers.get("permissions-policy")).toContain("display-capture=(self)");
    }
  });

  test("pages have a skip link, landmarks and the local htmx", async () => {
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain('class="skip-link" href="#main"');
    expect(page).toMatch(/<main id="main"/);
    expect(page).toMatch(/<header/);
    expect(page).toMatch(/<footer/);
    const htmx = page.match(/src="(\/static\/htmx\.min\.js[^"]*)"/)?.[1];
    expect(htmx).toBeDefined();
    const res = await fetch(`${server.url}${htmx}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("htmx");
    expect(page).not.toMatch(/<script>(?!<\/script>)/);
    expect(page).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)/);
  });

  test("an unknown page is a human 404, not a stack trace", async () => {
    const res = await fetch(`${server.url}/nowhere/at/all`);
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).toContain("Page not found");
    expect(body).not.toMatch(/at .*\.ts:\d+/);
  });

  test("French is chosen from Accept-Language and from the saved preference", async () => {
    const fr = await (await fetch(`${server.url}/`, { headers: { "accept-language": "fr-CA,fr;q=0.9" } })).text();
    expect(fr).toContain('lang="fr"');
    expect(fr).toContain("Aller au contenu principal");
    const saved = await fetch(`${server.url}/preferences`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "lang=fr&text=large&theme=dark",
    });
    expect(saved.status).toBe(303);
    const cookies = saved.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const page = await (await fetch(`${server.url}/`, { headers: { cookie: cookies } })).text();
    expect(page).toContain('lang="fr" data-text="large" data-theme="dark"');
  });

  test("bad preference input gets a 400 page naming the field", async () => {
    const res = await fetch(`${server.url}/preferences`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "lang=xx&text=large&theme=dark",
    });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain("Please check what you entered");
    expect(body).toContain("lang");
  });
});
