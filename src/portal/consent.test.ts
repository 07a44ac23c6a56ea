/**
 * Consent forms through the real server with real passkey ceremonies (software authenticator):
 * the admin publishes v1 in Markdown, the patient signs it with a passkey over the SHA-256 of the
 * exact text, the stored signature verifies against the stored public key (and not against other
 * text), the signed copy is a PDF; v2 asks again and the clinician sees "pending re-consent";
 * withdrawal is recorded; only the patient and their care team reach any of it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PDFDocument } from "pdf-lib";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import { verifyStoredSignature } from "../clinic/record/signing.ts";
import { sha256Hex, signatureById, versionById } from "./consent.ts";

let server: TestServer;
let admin: Client;
let cleo: Client;
let nina: Client;
let pat: Client;
let formId = 0;
const V1 = "# Consent to treatment\n\nI agree to take part in the **Evening IOP**.\n\n<script>alert(1)</script>\n\n- I can stop at any time.\n";

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The page's signing ceremony: options, the passkey's assertion, verify. */
async function sign(c: Client, id: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const page = (await c.get(`/portal/consent/forms/${id}`)).text;
  const versionId = /name="versionId" value="(\d+)"/.exec(page)?.[1] ?? "0";
  const o = await c.post(`/portal/consent/forms/${id}/sign/options`, { versionId });
  if (o.status !== 200) return { status: o.status, body: o.json() };
  const response = c.key.assert(o.json<{ options: never }>().options);
  const v = await c.post(`/portal/consent/forms/${id}/sign/verify`, { response });
  return { status: v.status, body: v.json() };
}

const lastSignature = () => server.hearth.db.query<{ id: number }, []>("SELECT max(id) AS id FROM consent_signatures").get()!.id;

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
});
afterAll(() => server?.close());

describe("consent forms", () => {
  test("the admin publishes v1 in Markdown; field-named refusals; the text is shown sanitized", async () => {
    await admin.get("/admin/consent-forms");
    const empty = await admin.post("/admin/consent-forms", form({ kind: "treatment", title: "Consent to treatment", body: " " }));
    expect(empty.status).toBe(400);
    expect(empty.text).toContain("the Text field");
    expect((await admin.post("/admin/consent-forms", form({ kind: "nope", title: "x", body: "y" }))).text).toContain("the Kind field");
    const r = await admin.post("/admin/consent-forms", form({ kind: "treatment", title: "Consent to treatment", body: V1 }));
    expect(r.status).toBe(303);
    formId = Number(/consent-forms\/(\d+)/.exec(r.headers.location!)![1]);
    const page = (await pat.get(`/portal/consent/forms/${formId}`)).text;
    expect(page).toContain("<strong>Evening IOP</strong>");
    expect(page).not.toContain("<script>alert");
    expect(page).toContain(sha256Hex(V1.replace(/\r\n?/g, "\n").trim()));
    expect((await pat.get("/portal/consent")).text).toContain("Not signed");
  });

  test("the patient signs with a passkey; the signature verifies against the stored public key; the signed copy is a PDF", async () => {
    const r = await sign(pat, formId);
    expect(r.status).toBe(200);
    expect(r.body.redirect).toBe(`/portal/consent/forms/${formId}?done=signed`);
    const sig = signatureById(server.hearth, lastSignature())!;
    const version = versionById(server.hearth, sig.versionId)!;
    expect(sig.contentHash).toBe(sha256Hex(version.body));
    expect(await verifyStoredSignature(server.hearth, sig, version.sha256)).toBe(true);
    expect(await verifyStoredSignature(server.hearth, sig, sha256Hex(`${version.body} (changed)`))).toBe(false);
    expect((await sign(pat, formId)).status).toBe(409); // already signed

    const page = (await pat.get(`/portal/consent/forms/${formId}`)).text;
    expect(page).toContain("Signed (version 1)");
    const pdf = await fetch(`${server.url}/portal/consent/signatures/${sig.id}/pdf`, { headers: { cookie: `hearth_session=${pat.cookies.get("hearth_session")}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("content-disposition")).toStartWith("attachment;");
    const bytes = new Uint8Array(await pdf.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 5))).toBe("%PDF-");
    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBeGreaterThanOrEqual(1);
    expect(doc.getTitle()).toBe("Consent to treatment v1");
    expect((await cleo.get(`/portal/patients/${pat.personId}/consent`)).text).toContain("Signature verified against the stored passkey");
  });

  test("a new version asks again: the patient is told, the clinician sees pending re-consent", async () => {
    await admin.get(`/admin/consent-forms/${formId}`);
    expect((await admin.post(`/admin/consent-forms/${formId}/versions`, form({ body: `${V1}\n- Sessions may be held by video.\n` }))).status).toBe(303);
    expect((await pat.get(`/portal/consent/forms/${formId}`)).text).toContain("This form has a new version");
    const clinician = (await cleo.get(`/portal/patients/${pat.personId}/consent`)).text;
    expect(clinician).toContain("Pending re-consent: signed version 1, version 2 is new");
    expect(clinician).toContain('data-status="pending"');
    expect((await sign(pat, formId)).status).toBe(200);
    expect((await cleo.get(`/portal/patients/${pat.personId}/consent`)).text).toContain("Signed (version 2)");
  });

  test("withdrawal is recorded; nobody outside the care team reaches the consent or its PDF", async () => {
    await pat.get(`/portal/consent/forms/${formId}`);
    expect((await pat.post(`/portal/consent/forms/${formId}/withdraw`, form({}))).status).toBe(303);
    expect((await pat.get(`/portal/consent/forms/${formId}`)).text).toContain("Withdrawn on");
    expect((await cleo.get(`/portal/patients/${pat.personId}/consent`)).text).toContain('data-status="withdrawn"');
    const audited = server.hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log WHERE action = 'consent.withdrawn'").get()!.n;
    expect(audited).toBe(1);
    expect((await nina.get(`/portal/patients/${pat.personId}/consent`)).status).toBe(403);
    expect((await admin.get(`/portal/patients/${pat.personId}/consent`)).status).toBe(403);
    expect((await nina.get(`/portal/consent/signatures/${lastSignature()}/pdf`)).status).toBe(404);
    expect((await cleo.get("/admin/consent-forms")).status).toBe(403);
  });
});
