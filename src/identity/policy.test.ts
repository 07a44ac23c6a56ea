/** The item-level decisions later capabilities use: owners, carers, groups, shares, and what admins do not see. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestServer, type TestServer } from "../../tests/harness.ts";
import { isCarerOf, isSharedWith, mayReadItem, provideGroupMembership, shareItem, unshareItem, type Role } from "./policy.ts";

let server: TestServer;
const ids = {} as Record<"admin" | "clinician" | "other" | "patient" | "patient2" | "guest", { id: number; role: Role }>;

beforeAll(async () => {
  server = await startTestServer();
  const db = server.hearth.db;
  const add = (role: Role, invitedBy: number | null) =>
    db.query<{ id: number }, [string, number | null, number]>("INSERT INTO people (role, profile, invited_by, created_at) VALUES (?, x'00', ?, ?) RETURNING id").get(role, invitedBy, Date.now())!.id;
  ids.admin = { id: add("admin", null), role: "admin" };
  ids.clinician = { id: add("clinician", ids.admin.id), role: "clinician" };
  ids.other = { id: add("clinician", ids.admin.id), role: "clinician" };
  ids.patient = { id: add("patient", ids.clinician.id), role: "patient" };
  ids.patient2 = { id: add("patient", ids.other.id), role: "patient" };
  ids.guest = { id: add("guest", ids.clinician.id), role: "guest" };
  provideGroupMembership(server.hearth, {
    groupsOf: (id) =>
      id === ids.other.id ? [{ groupId: 5, role: "clinician" }] : id === ids.patient.id ? [{ groupId: 5, role: "member" }] : id === ids.guest.id ? [{ groupId: 5, role: "guest" }] : [],
  });
});
afterAll(() => server?.close());

describe("item access", () => {
  test("a patient's own item: the owner and the clinicians caring for them; not another patient, not the admin", () => {
    const journal = { kind: "journal", id: 1, ownerId: ids.patient.id };
    expect(mayReadItem(server.hearth, ids.patient, journal)).toBe(true);
    expect(mayReadItem(server.hearth, ids.clinician, journal)).toBe(true); // invited them
    expect(mayReadItem(server.hearth, ids.other, journal)).toBe(true); // runs their group
    expect(mayReadItem(server.hearth, ids.patient2, journal)).toBe(false);
    expect(mayReadItem(server.hearth, ids.admin, journal)).toBe(false);
    expect(mayReadItem(server.hearth, ids.guest, journal)).toBe(false);
  });

  test("a group item: its clinicians and members; a guest only when it is shared with them, until the share ends", () => {
    const session = { kind: "session", id: 9, groupId: 5 };
    expect(mayReadItem(server.hearth, ids.other, session)).toBe(true);
    expect(mayReadItem(server.hearth, ids.patient, session)).toBe(true);
    expect(mayReadItem(server.hearth, ids.clinician, session)).toBe(false);
    expect(mayReadItem(server.hearth, ids.guest, session)).toBe(false);
    shareItem(server.hearth, session, ids.guest.id, ids.other.id, server.clock.now + 60_000);
    expect(isSharedWith(server.hearth, session, ids.guest.id)).toBe(true);
    expect(mayReadItem(server.hearth, ids.guest, session)).toBe(true);
    server.clock.advance(60_001);
    expect(mayReadItem(server.hearth, ids.guest, session)).toBe(false);
    shareItem(server.hearth, session, ids.guest.id, ids.other.id);
    expect(mayReadItem(server.hearth, ids.guest, session)).toBe(true);
    unshareItem(server.hearth, session, ids.guest.id);
    expect(mayReadItem(server.hearth, ids.guest, session)).toBe(false);
  });

  test("carers: only clinicians, only for patients and guests", () => {
    expect(isCarerOf(server.hearth, ids.clinician.id, ids.patient.id)).toBe(true);
    expect(isCarerOf(server.hearth, ids.clinician.id, ids.patient2.id)).toBe(false);
    expect(isCarerOf(server.hearth, ids.admin.id, ids.clinician.id)).toBe(false);
    expect(isCarerOf(server.hearth, ids.clinician.id, ids.other.id)).toBe(false);
  });
});
