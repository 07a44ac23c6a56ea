/**
 * E2E-encrypted journals through the real server (real database, real passkey sign-ins from the
 * software authenticator) with the browser's own crypto code (web/portal/journal-crypto.ts). The
 * PRF output is stood in for by random bytes per passkey (the software authenticator has no PRF;
 * tests/e2e/portal.test.ts runs the real one in Chromium). The server only ever sees what these
 * requests carry, and the test checks that neither the request bodies nor the database file hold
 * the plaintext or any identity.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { accept, firstAdmin, invite, type Client } from "../identity/test-client.ts";
import {
  fromBase64,
  newIdentity,
  openEntry,
  passkeyIdentity,
  recipientOf,
  sealNewEntry,
  sealVersion,
  toBase64,
  unwrapKey,
  wrapKey,
} from "../../web/portal/journal-crypto.ts";
import { activePasskeys, revokePasskey } from "../identity/passkeys.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { portalDemo } from "./demo.ts";
import { threadsOf } from "./messages.ts";

let server: TestServer;
let admin: Client;
let cleo: Client; // the patient's clinician (invited them)
let nina: Client; // a clinician outside the care team
let pat: Client;
const sent: string[] = [];

type Json = any; // replies of the journal API, read field by field below

const SECRET = `I felt the panic rising at the bus stop ${crypto.randomUUID()}`;
const prf = new Map<number, Uint8Array>(); // by person: the same passkey in every session
const journal = new Map<Client, string>();
let recovery = "";
let entryId = 0;

async function post(c: Client, path: string, body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  sent.push(text);
  return c.post(path, text, { "content-type": "application/json" });
}

async function get(c: Client, path: string): Promise<Json> {
  const r = await c.get(path);
  expect(r.status).toBe(200);
  return r.json<Json>();
}

function dbHolds(needle: string): boolean {
  server.hearth.db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  const bytes = Buffer.from(needle, "utf8");
  return ["hearth.db", "hearth.db-wal"].some((f) => {
    const p = join(server.dataDir, f);
    return existsSync(p) && readFileSync(p).includes(bytes);
  });
}

const credentialOf = (c: Client) => activePasskeys(server.hearth, c.personId).at(-1)!.credentialId;

/** What the page does on the first unlock: a journal identity, wrapped to the passkey's PRF identity (and a recovery key). */
async function setUp(c: Client, withRecovery = false) {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  prf.set(c.personId, secret);
  const identity = await newIdentity();
  journal.set(c, identity);
  const wraps = [{ credentialId: credentialOf(c), wrapped: toBase64(await wrapKey(identity, [await recipientOf(passkeyIdentity(secret))])) }];
  if (withRecovery) wraps.push({ credentialId: "recovery", wrapped: toBase64(await wrapKey(identity, [await recipientOf(recovery)])) });
  const r = await post(c, "/portal/journal/key", { recipient: await recipientOf(identity), wraps });
  expect(r.status).toBe(200);
}

/** What the page does on a later unlock: the wrap for this passkey, opened with its PRF identity. */
async function unlock(c: Client, secret = prf.get(c.personId)!): Promise<string> {
  const { wraps } = await get(c, "/portal/journal/key");
  const wrap = wraps.find((w: { credentialId: string }) => w.credentialId === credentialOf(c));
  return unwrapKey(fromBase64(wrap.wrapped), passkeyIdentity(secret));
}

beforeAll(async () => {
  server = await startTestServer();
  admin = await firstAdmin(server);
  cleo = await accept(server, await invite(admin, "clinician"), "Cleo Clinician");
  nina = await accept(server, await invite(admin, "clinician"), "Nina Clinician");
  pat = await accept(server, await invite(cleo, "patient"), "Pat Patient");
  recovery = await newIdentity();
  await setUp(pat, true);
  await setUp(cleo);
  await setUp(nina);
});
afterAll(() => server?.close());

describe("journals", () => {
  test("a private entry: only ciphertext is stored, and the patient reads it back after signing in again", async () => {
    const notAge = await post(pat, "/portal/journal/entries", { ciphertext: "aGVsbG8=", wrapped: "aGVsbG8=" });
    expect(notAge.status).toBe(400); // not an age file: refused in words, nothing stored
    expect(notAge.text).toContain("age-encrypted");
    expect((await post(pat, "/portal/journal/key", { recipient: await recipientOf(recovery), wraps: [{ credentialId: "recovery", wrapped: "aGVsbG8=" }] })).status).toBe(400);

    const sealed = await sealNewEntry({ text: SECRET, mood: 3, tags: ["panic", "bus"], date: "2026-12-05" }, [await recipientOf(journal.get(pat)!)]);
    const r = await post(pat, "/portal/journal/entries", { ciphertext: toBase64(sealed.ciphertext), wrapped: toBase64(sealed.wrapped) });
    expect(r.status).toBe(200);
    entryId = r.json<Json>().id;

    // Signed out and in again: nothing kept but the passkey, whose PRF gives the same identity.
    const again = await pat.again();
    const identity = await unlock(again);
    const list = await again.get("/portal/journal/entries");
    const [e] = list.json<Json>().entries;
    const key = await unwrapKey(fromBase64(e.wrapped), identity);
    expect((await openEntry(fromBase64(e.ciphertext), key)).text).toBe(SECRET);
    expect(list.text.includes(SECRET)).toBe(false);

    expect(sent.some((b) => b.includes(SECRET) || b.includes(key) || b.includes(recovery) || b.includes(identity))).toBe(false);
    expect(dbHolds(SECRET)).toBe(false);
    expect(dbHolds("AGE-SECRET-KEY")).toBe(false);
    // The page that frames the journal carries no entry either.
    expect((await pat.get("/portal/journal")).text).not.toContain(SECRET);
  });

  test("a second key is refused, so another browser cannot replace the one every entry is wrapped to", async () => {
    const other = await newIdentity();
    const r = await post(pat, "/portal/journal/key", { recipient: await recipientOf(other), wraps: [{ credentialId: credentialOf(pat), wrapped: toBase64(await wrapKey(other, [await recipientOf(other)])) }] });
    expect(r.status).toBe(409);
    expect(await unlock(pat)).toBe(journal.get(pat)!);
  });

  test("edits keep versions", async () => {
    const list = (await get(pat, "/portal/journal/entries")).entries;
    const key = await unwrapKey(fromBase64(list[0].wrapped), journal.get(pat)!);
    const v2 = await sealVersion({ text: `${SECRET} (later: it passed)`, mood: 5, tags: ["panic"], date: "2026-12-05" }, key);
    expect((await post(pat, `/portal/journal/entries/${entryId}/versions`, { ciphertext: toBase64(v2) })).json<Json>().version).toBe(2);
    const versions = (await get(pat, `/portal/journal/entries/${entryId}/versions`)).versions;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect((await openEntry(fromBase64(versions[0].ciphertext), key)).text).toBe(SECRET);
    expect((await post(cleo, `/portal/journal/entries/${entryId}/versions`, { ciphertext: toBase64(v2) })).status).toBe(403);
  });

  test("the clinician sees nothing until shared; shared with Cleo, she reads it and Nina cannot; unshared, Cleo cannot", async () => {
    expect((await get(cleo, `/portal/journal/shared/${pat.personId}`)).entries).toEqual([]);
    expect((await nina.get(`/portal/journal/shared/${pat.personId}`)).status).toBe(403);
    expect((await admin.get(`/portal/journal/shared/${pat.personId}`)).status).toBe(403);
    expect((await nina.get(`/portal/shared-journals/${pat.personId}`)).status).toBe(403);

    const team = (await get(pat, "/portal/journal/care-team")).clinicians as { personId: number; recipient: string; name: string }[];
    expect(team.map((c) => [c.personId, c.name])).toEqual([[cleo.personId, "Cleo Clinician"]]);

    const mine = (await get(pat, "/portal/journal/entries")).entries[0];
    const key = await unwrapKey(fromBase64(mine.wrapped), journal.get(pat)!);
    const toNina = await post(pat, `/portal/journal/entries/${entryId}/shares`, { personId: nina.personId, wrapped: toBase64(await wrapKey(key, [await recipientOf(journal.get(nina)!)])) });
    expect(toNina.status).toBe(400);
    const r = await post(pat, `/portal/journal/entries/${entryId}/shares`, { personId: cleo.personId, wrapped: toBase64(await wrapKey(key, [team[0]!.recipient])) });
    expect(r.status).toBe(200);

    const shared = (await get(cleo, `/portal/journal/shared/${pat.personId}`)).entries;
    expect(shared).toHaveLength(1);
    expect(shared[0].sharedAt).toBeGreaterThan(0);
    const cleoKey = await unwrapKey(fromBase64(shared[0].wrapped), await unlock(cleo));
    expect((await openEntry(fromBase64(shared[0].ciphertext), cleoKey)).mood).toBe(5);
    await expect(unwrapKey(fromBase64(shared[0].wrapped), journal.get(nina)!)).rejects.toThrow();
    const audited = server.hearth.db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM audit_log WHERE action = 'journal.read' AND subject = ?").get(`journal:${entryId}`)!.n;
    expect(audited).toBe(1);
    expect((await cleo.get("/portal/shared-journals")).text).toContain("Pat Patient");

    expect((await post(pat, `/portal/journal/entries/${entryId}/unshare`, { personId: cleo.personId })).status).toBe(200);
    expect((await get(cleo, `/portal/journal/shared/${pat.personId}`)).entries).toEqual([]);
    // The owner's own wrap cannot be removed.
    expect((await post(pat, `/portal/journal/entries/${entryId}/unshare`, { personId: pat.personId })).status).toBe(200);
    expect((await get(pat, "/portal/journal/entries")).entries).toHaveLength(1);
  });

  test("with the recovery key and a new passkey, after the old one is revoked, the patient reads the old entries", async () => {
    const old = activePasskeys(server.hearth, pat.personId)[0]!;
    expect((await pat.register("/account/passkeys", { name: "New phone" })).status).toBe(200);
    revokePasskey(server.hearth, old.id);
    const phone = await pat.again();
    const { wraps } = await get(phone, "/portal/journal/key");
    // The revoked passkey's wrap is no longer offered; the new passkey has none yet.
    expect(wraps.map((w: { credentialId: string }) => w.credentialId)).toEqual(["recovery"]);
    const identity = await unwrapKey(fromBase64(wraps[0].wrapped), recovery);
    const newPrf = crypto.getRandomValues(new Uint8Array(32));
    const add = await post(phone, "/portal/journal/key/wraps", { credentialId: credentialOf(phone), wrapped: toBase64(await wrapKey(identity, [await recipientOf(passkeyIdentity(newPrf))])) });
    expect(add.status).toBe(200);
    // A wrap for someone else's passkey is refused.
    expect((await post(phone, "/portal/journal/key/wraps", { credentialId: credentialOf(cleo), wrapped: add.text ? toBase64(await wrapKey(identity, [await recipientOf(identity)])) : "" })).status).toBe(400);

    const [e] = (await get(phone, "/portal/journal/entries")).entries;
    const key = await unwrapKey(fromBase64(e.wrapped), await unlock(phone, newPrf));
    expect((await openEntry(fromBase64(e.ciphertext), key)).text).toContain(SECRET);
  });

  test("without PRF, the clinic's key protects the journal, and the page says so", async () => {
    const quinn = await accept(server, await invite(cleo, "patient"), "Quinn Patient");
    expect((await quinn.get("/portal/journal")).text).toContain("not set up yet");
    expect((await post(quinn, "/portal/journal/key/clinic", {})).status).toBe(200);
    const info = await get(quinn, "/portal/journal/key");
    expect(info.key.protection).toBe("clinic");
    expect(info.identity).toMatch(/^AGE-SECRET-KEY-1/);
    expect(await recipientOf(info.identity)).toBe(info.key.recipient);
    expect(dbHolds(info.identity)).toBe(false); // sealed by the vault
    expect((await quinn.get("/portal/journal")).text).toContain("Protected by the clinic&#39;s key");
    expect((await get(pat, "/portal/journal/key")).identity).toBeUndefined();
  });

  test("another patient reaches nothing of Pat's journal", async () => {
    const other = await accept(server, await invite(nina, "patient"), "Other Patient");
    expect((await other.get(`/portal/journal/entries/${entryId}/versions`)).status).toBe(404);
    expect((await post(other, `/portal/journal/entries/${entryId}/unshare`, { personId: pat.personId })).status).toBe(404);
    expect((await other.get(`/portal/journal/shared/${pat.personId}`)).status).toBe(403);
    expect((await get(other, "/portal/journal/entries")).entries).toEqual([]);
  });

  test("the demo gives its first patient a clinic-protected journal they can read", async () => {
    const alex = await accept(server, await invite(cleo, "patient"), "Alex Demo");
    await portalDemo(server.hearth, { admin: { id: 1 }, patients: [{ id: alex.personId }], groups: [] } as unknown as DemoClinic);
    const { key, identity } = await get(alex, "/portal/journal/key");
    expect(key.protection).toBe("clinic");
    const { entries } = await get(alex, "/portal/journal/entries");
    expect(entries).toHaveLength(3);
    const texts = await Promise.all(entries.map(async (e: Json) => (await openEntry(fromBase64(e.ciphertext), await unwrapKey(fromBase64(e.wrapped), identity))).text));
    expect(texts[0]).toContain("Woke up once");
    expect(entries[0].version).toBe(2);
    // And a conversation with their care team, answered by Cleo.
    const [thread] = threadsOf(server.hearth, { id: alex.personId, role: "patient" });
    expect(thread!.unread).toBe(1);
    expect((await alex.get(`/portal/messages/${thread!.id}`)).text).toContain("Cleo Clinician");
  });
});
