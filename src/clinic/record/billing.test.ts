/**
 * Billing on a real server: a group's fee, charges from the room's attendance, payments as
 * received, and a monthly PDF invoice that poppler's pdftotext reads back with CPT 90853 and the
 * dates of service matching attendance. Bad amounts are refused in words; another group's
 * clinician and the admin get no invoice.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, tempDir, type TestServer } from "../../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../../identity/test-client.ts";
import { endVisit, markAdmitted, startVisit } from "../../rooms/attendance.ts";
import { closeSession, createSession, openSession } from "../sessions.ts";
import { chargesOf } from "./billing.ts";
import { parseCents } from "./billing-routes.ts";

let server: TestServer;
let admin: Client, cleo: Client, omar: Client, pat: Client;
let groupId = 0;
const out = tempDir("hearth-invoice-");

function form(fields: Record<string, string | number>): string {
  return new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]))).toString();
}

/** A session on a given UTC day at 18:00 that Pat attended (or not). */
function session(day: string, attended: boolean): void {
  const db = server.hearth.db;
  const t0 = Date.parse(`${day}T18:00:00Z`);
  const id = createSession(db, groupId, t0);
  openSession(db, id, cleo.personId, t0 - 5 * 60_000);
  if (attended) {
    const v = startVisit(db, id, pat.personId, t0);
    markAdmitted(db, v, cleo.personId, t0 + 60_000);
    endVisit(db, v, "ended", t0 + 91 * 60_000);
  }
  closeSession(db, id, t0 + 95 * 60_000);
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  omar = await accept(server, await invite(admin, "clinician"), "Omar Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  await cleo.get("/groups/new");
  groupId = Number(/\/groups\/(\d+)/.exec((await cleo.post("/groups", form({ name: "Group A" }))).headers.location!)![1]);
  await cleo.post(`/groups/${groupId}/members`, form({ personId: pat.personId }));
  session("2026-03-03", true);
  session("2026-03-10", false);
  session("2026-03-17", true);
  session("2026-04-07", true);
});
afterAll(async () => {
  await server?.close();
  out.remove();
});

test("amounts are read as a person writes them", () => {
  expect([parseCents("85"), parseCents("85.5"), parseCents("85,50"), parseCents(" 1200.05 ")]).toEqual([8500, 8550, 8550, 120005]);
  expect([parseCents("-5"), parseCents("abc"), parseCents("1.234")]).toEqual([null, null, null]);
});

test("fee, payment and a March invoice whose CPT code and dates of service match attendance", async () => {
  await admin.get("/admin/billing");
  expect((await admin.post("/admin/billing", form({ name: "Maple Street Counselling", address: "12 Maple Street\nSpringfield", phone: "555-0100", taxId: "12-3456789", npi: "1234567893" }))).status).toBe(303);
  await cleo.get(`/groups/${groupId}/record/billing`);
  const bad = await cleo.post(`/groups/${groupId}/record/billing/fee`, form({ fee: "eighty", currency: "USD" }));
  expect(bad.status).toBe(400);
  expect(bad.text).toContain("Write the fee as an amount");
  expect((await cleo.post(`/groups/${groupId}/record/billing/fee`, form({ fee: "85.00", currency: "usd" }))).status).toBe(303);
  expect((await cleo.post(`/groups/${groupId}/record/billing/payments`, form({ personId: pat.personId, amount: "0", method: "cash", receivedOn: "2026-03-20" }))).status).toBe(400);
  expect((await cleo.post(`/groups/${groupId}/record/billing/payments`, form({ personId: pat.personId, amount: "100", method: "card-terminal", receivedOn: "2026-03-20" }))).status).toBe(303);

  const page = await cleo.get(`/groups/${groupId}/record/billing`);
  expect(page.text).toContain("$255.00"); // three sessions attended
  expect(page.text).toContain("$155.00"); // balance after $100
  const attended = chargesOf(server.hearth, groupId, pat.personId).map((c) => c.date);
  expect(attended).toEqual(["2026-03-03", "2026-03-17", "2026-04-07"]);

  const pdf = await cleo.send("GET", `/groups/${groupId}/record/members/${pat.personId}/invoice/2026-03`);
  expect(pdf.status).toBe(200);
  expect(pdf.headers["content-type"]).toBe("application/pdf");
  expect(pdf.headers["content-disposition"]).toBe('attachment; filename="invoice-2026-03.pdf"');
  const bytes = await (await fetch(`${server.url}/groups/${groupId}/record/members/${pat.personId}/invoice/2026-03`, { headers: { cookie: [...cleo.cookies].map(([k, v]) => `${k}=${v}`).join("; ") } })).arrayBuffer();
  const file = join(out.path, "march.pdf");
  writeFileSync(file, Buffer.from(bytes));
  const proc = Bun.spawnSync(["pdftotext", "-layout", file, "-"]);
  expect(proc.exitCode).toBe(0);
  const text = proc.stdout.toString();
  expect(text).toContain("Maple Street Counselling");
  expect(text).toContain("Pat Patient");
  const lines = text.split("\n").filter((l) => l.includes("90853"));
  expect(lines.map((l) => /(\d{4}-\d\d-\d\d)/.exec(l)![1])).toEqual(["2026-03-03", "2026-03-17"]);
  expect(text).not.toContain("2026-03-10");
  expect(text).toMatch(/Charges this month\s+\$170\.00/);
  expect(text).toMatch(/Payments received this month\s+\$100\.00/);
  expect(text).toMatch(/Balance due \(all months\)\s+\$155\.00/);
  const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'billing.invoice_read' AND subject = ?").get(`person:${pat.personId}`)!;
  expect(audited.n).toBe(2);
});

test("another group's clinician and the admin get no invoice and no balances", async () => {
  expect((await omar.get(`/groups/${groupId}/record/members/${pat.personId}/invoice/2026-03`)).status).toBe(403);
  expect((await admin.get(`/groups/${groupId}/record/members/${pat.personId}/invoice/2026-03`)).status).toBe(403);
  expect((await admin.get(`/groups/${groupId}/record/billing`)).status).toBe(403);
  expect((await cleo.get(`/groups/${groupId}/record/members/${pat.personId}/invoice/2026-13`)).status).toBe(404);
  expect((await cleo.get("/admin/billing")).status).toBe(403);
});
