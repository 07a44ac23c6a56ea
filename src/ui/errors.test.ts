import { describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { errorHandling, HttpError } from "./errors.ts";
import { shellStrings } from "./strings.ts";

/** A tiny app behind the real error handling, with one route for each way a request can fail. */
const app = new Elysia()
  .use(errorHandling)
  .get("/boom", () => {
    throw new Error("deep failure with a value 1234");
  })
  .get("/big", () => {
    throw Object.assign(new Error("body too large"), { status: 413 });
  })
  .get("/forbidden", () => {
    throw new HttpError(403, shellStrings("fr").forbiddenTitle, shellStrings("fr").forbiddenBody);
  })
  .post("/form", () => "ok", { body: t.Object({ name: t.String({ minLength: 2 }) }) });

async function visit(path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const headers = { "accept-language": "fr", ...(init.headers as Record<string, string>) };
  const res = await app.handle(new Request(`http://localhost${path}`, { ...init, headers }));
  return { status: res.status, body: await res.text() };
}

const en = shellStrings("en");
const fr = shellStrings("fr");
// Every English sentence a person could read on an error page; none may leak into a French one.
const englishOnly = (Object.keys(en) as (keyof typeof en)[]).filter((k) => en[k] !== fr[k]).map((k) => en[k].split("{")[0]!);

describe("error pages in French", () => {
  const cases: [string, RequestInit, number, string][] = [
    ["/nowhere", {}, 404, fr.notFoundTitle],
    ["/boom", {}, 500, fr.errorTitle],
    ["/big", {}, 413, fr.tooLargeTitle],
    ["/forbidden", {}, 403, fr.forbiddenTitle],
    ["/form", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }, 400, fr.badRequestTitle],
    ["/form", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }, 400, fr.badRequestTitle],
  ];
  for (const [path, init, status, title] of cases) {
    test(`${init.method ?? "GET"} ${path} → ${status} "${title}", with no English left`, async () => {
      const page = await visit(path, init);
      expect(page.status).toBe(status);
      expect(page.body).toContain('lang="fr"');
      expect(page.body).toContain(`<h1>${title.replace(/'/g, "&#39;")}</h1>`);
      expect(page.body).toContain(fr.goHome.replace(/'/g, "&#39;"));
      for (const sentence of englishOnly) expect(page.body).not.toContain(sentence);
      expect(page.body).not.toContain("1234");
      expect(page.body).not.toMatch(/at .*\.ts:\d+/);
    });
  }

  test("an htmx request gets the French message as a fragment for the alert region", async () => {
    const page = await visit("/nowhere", { headers: { "hx-request": "true" } });
    expect(page.status).toBe(404);
    expect(page.body).not.toContain("<html");
    expect(page.body).toContain(fr.notFoundTitle);
  });
});
