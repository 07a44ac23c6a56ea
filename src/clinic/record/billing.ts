import type { Hearth } from "../../context.ts";
import { clinicZone } from "../schedule/schedules.ts";
import { heldSessions, sessionPresence } from "./attendance.ts";

/**
 * Billing for group psychotherapy (CPT 90853): a fee per session per group, a charge for each
 * session a member attended (dates of service from the room's attendance), payments recorded as
 * received (cash, the clinic's own card terminal, an insurer), and a balance. Hearth never takes
 * a card: the box may have no internet, and card data must not pass through it.
 */
export const CPT_GROUP_PSYCHOTHERAPY = "90853";
export const PAYMENT_METHODS = ["cash", "card-terminal", "insurer"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface Fee {
  cents: number;
  currency: string;
}

export interface Payment {
  id: number;
  amountCents: number;
  method: PaymentMethod;
  receivedOn: string;
  createdAt: number;
}

export interface Charge {
  sessionId: number;
  /** The day of service in the clinic's time zone, YYYY-MM-DD. */
  date: string;
  minutes: number;
  cents: number;
}

export interface ClinicDetails {
  name: string;
  address: string;
  phone: string;
  taxId: string;
  npi: string;
}

export function feeOf(hearth: Hearth, groupId: number): Fee | null {
  const r = hearth.db.query<{ cents: number; currency: string }, [number]>("SELECT fee_cents AS cents, currency FROM group_fees WHERE group_id = ?").get(groupId);
  return r ?? null;
}

export function setFee(hearth: Hearth, groupId: number, fee: Fee, by: number): void {
  hearth.db
    .query(
      `INSERT INTO group_fees (group_id, fee_cents, currency, set_by, set_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (group_id) DO UPDATE SET fee_cents = excluded.fee_cents, currency = excluded.currency, set_by = excluded.set_by, set_at = excluded.set_at`,
    )
    .run(groupId, fee.cents, fee.currency, by, hearth.now());
  hearth.audit.append({ actor: `person:${by}`, action: "billing.fee_set", subject: `group:${groupId}`, outcome: "ok" });
}

/** YYYY-MM-DD of an instant in the clinic's zone. */
export function dayIn(zone: string, ms: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
}

/** One charge per held session of the group this person attended, at the group's fee. */
export function chargesOf(hearth: Hearth, groupId: number, personId: number): Charge[] {
  const fee = feeOf(hearth, groupId);
  const zone = clinicZone(hearth);
  const out: Charge[] = [];
  for (const s of heldSessions(hearth.db, groupId)) {
    const p = sessionPresence(hearth.db, s.id, hearth.now()).get(personId);
    if (p) out.push({ sessionId: s.id, date: dayIn(zone, p.from), minutes: p.minutes, cents: fee?.cents ?? 0 });
  }
  return out;
}

export async function recordPayment(hearth: Hearth, p: { personId: number; groupId: number; amountCents: number; method: PaymentMethod; receivedOn: string; by: number }): Promise<number> {
  const sealed = await hearth.vault.seal(JSON.stringify({ amountCents: p.amountCents, method: p.method, receivedOn: p.receivedOn }));
  return hearth.db.transaction(() => {
    const id = hearth.db
      .query<{ id: number }, [number, number, Uint8Array, number, number]>("INSERT INTO payments (person_id, group_id, content, recorded_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id")
      .get(p.personId, p.groupId, sealed, p.by, hearth.now())!.id;
    hearth.audit.append({ actor: `person:${p.by}`, action: "billing.payment_recorded", subject: `payment:${id}`, ownerId: p.personId, outcome: "ok" });
    return id;
  }).immediate();
}

/** A member's payments for this group, opened and audited as one read. */
export async function paymentsOf(hearth: Hearth, actorId: number, personId: number, groupId: number): Promise<Payment[]> {
  const rows = hearth.db
    .query<{ id: number; content: Uint8Array; createdAt: number }, [number, number]>("SELECT id, content, created_at AS createdAt FROM payments WHERE person_id = ? AND group_id = ? ORDER BY id")
    .all(personId, groupId);
  const out: Payment[] = [];
  for (const r of rows) out.push({ id: r.id, createdAt: r.createdAt, ...(await hearth.vault.openJson<Omit<Payment, "id" | "createdAt">>(r.content)) });
  hearth.audit.append({ actor: `person:${actorId}`, action: "billing.payments_read", subject: `person:${personId}`, ownerId: personId, outcome: "ok" });
  return out;
}

export function balanceCents(charges: readonly Charge[], payments: readonly Payment[]): number {
  return charges.reduce((s, c) => s + c.cents, 0) - payments.reduce((s, p) => s + p.amountCents, 0);
}

export function clinicDetails(hearth: Hearth): ClinicDetails {
  return (
    hearth.db.query<ClinicDetails, []>("SELECT name, address, phone, tax_id AS taxId, npi FROM clinic_details WHERE id = 1").get() ?? { name: "", address: "", phone: "", taxId: "", npi: "" }
  );
}

export function setClinicDetails(hearth: Hearth, d: ClinicDetails, by: number): void {
  hearth.db
    .query(
      `INSERT INTO clinic_details (id, name, address, phone, tax_id, npi, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, phone = excluded.phone, tax_id = excluded.tax_id, npi = excluded.npi, updated_at = excluded.updated_at`,
    )
    .run(d.name, d.address, d.phone, d.taxId, d.npi, hearth.now());
  hearth.audit.append({ actor: `person:${by}`, action: "billing.clinic_details_set", subject: "clinic", outcome: "ok" });
}

export function formatMoney(locale: string, cents: number, currency: string): string {
  return new Intl.NumberFormat(locale === "fr" ? "fr-FR" : locale === "es" ? "es-ES" : "en-US", { style: "currency", currency }).format(cents / 100);
}
