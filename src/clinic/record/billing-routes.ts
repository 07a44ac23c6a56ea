import { Elysia, t } from "elysia";
import type { Hearth } from "../../context.ts";
import { html, htmlResponse } from "../../ui/html.ts";
import { layout } from "../../ui/page.ts";
import { pageFor } from "../../ui/request.ts";
import { fill, type Locale } from "../../ui/i18n.ts";
import { policy, type RoutePolicy } from "../../identity/policy.ts";
import { requireViewer } from "../../identity/guard.ts";
import { extendNav } from "../../identity/extensions.ts";
import { membersOf, partIn } from "../groups.ts";
import { clinicZone } from "../schedule/schedules.ts";
import {
  PAYMENT_METHODS, balanceCents, chargesOf, clinicDetails, dayIn, feeOf, formatMoney, paymentsOf, recordPayment, setClinicDetails, setFee, type PaymentMethod,
} from "./billing.ts";
import { invoicePdf } from "./invoice.ts";
import { recordStrings } from "./strings.ts";
import { billingStrings } from "./billing-strings.ts";
import { RECORD_STYLES, goTo, nameShown, okNotice, refuse } from "./views.ts";

/**
 * Billing pages: the group's fee and each member's charges, payments and balance with a PDF
 * invoice per month (for the group's clinicians), and the clinic's details printed on invoices
 * (for admins, who see no one's charges). Money is entered as received; no card data, ever.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const Group = t.Object({ id: t.Numeric({ minimum: 1 }) });

/** "85", "85.5", "85,50" → 8550; null when it is not a plain amount. */
export function parseCents(raw: string): number | null {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(raw);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "0").padEnd(2, "0"));
}

function methodLabel(locale: Locale, m: PaymentMethod): string {
  const b = billingStrings(locale);
  return { cash: b.methodCash, "card-terminal": b.methodCard, insurer: b.methodInsurer }[m];
}

export function billingRoutes(hearth: Hearth) {
  extendNav(hearth, "record-billing", (locale, role) => (role === "admin" ? [{ href: "/admin/billing", label: billingStrings(locale).billingTitle }] : []));
  return new Elysia({ name: "record-billing" })
    .get(
      "/groups/:id/record/billing",
      async ({ request, params, query }) => {
        const viewer = requireViewer(request);
        const ctx = pageFor(request);
        const s = recordStrings(ctx.locale);
        const b = billingStrings(ctx.locale);
        const fee = feeOf(hearth, params.id);
        const currency = fee?.currency ?? "USD";
        const rows = [];
        const options = [];
        for (const m of membersOf(hearth.db, params.id).filter((m) => m.role === "member")) {
          const name = await nameShown(hearth, viewer.id, m.personId);
          const charges = chargesOf(hearth, params.id, m.personId);
          const payments = await paymentsOf(hearth, viewer.id, m.personId, params.id);
          const months = [...new Set(charges.map((c) => c.date.slice(0, 7)))];
          options.push(html`<option value="${m.personId}">${name}</option>`);
          rows.push(html`<tr><th scope="row">${name}</th><td>${formatMoney(ctx.locale, charges.reduce((t, c) => t + c.cents, 0), currency)}</td>
<td>${formatMoney(ctx.locale, payments.reduce((t, p) => t + p.amountCents, 0), currency)}</td><td>${formatMoney(ctx.locale, balanceCents(charges, payments), currency)}</td>
<td>${months.map((mo) => html`<a href="/groups/${params.id}/record/members/${m.personId}/invoice/${mo}" aria-label="${fill(b.invoiceFor, { month: mo, name })}">${mo}</a> `)}</td></tr>`);
        }
        const done = query.done === "fee" ? b.feeSaved : query.done === "payment" ? b.paymentSaved : null;
        const main = html`<p><a href="/groups/${params.id}/record">${s.recordTitle}</a></p><h1>${b.billingTitle}</h1><p>${b.billingIntro}</p>${okNotice(done)}
<section class="card" aria-labelledby="fee-title"><h2 id="fee-title">${b.feeLabel}</h2>${fee ? "" : html`<p>${b.noFee}</p>`}
<form method="post" action="/groups/${params.id}/record/billing/fee" class="inline-form">
<div class="field"><label for="fee">${b.feeLabel}</label><input id="fee" name="fee" inputmode="decimal" required value="${fee ? (fee.cents / 100).toFixed(2) : ""}"></div>
<div class="field"><label for="currency">${b.currencyLabel}</label><input id="currency" name="currency" maxlength="3" required value="${currency}"></div>
<button type="submit">${b.setFee}</button></form></section>
<section class="card" aria-labelledby="balances-title"><h2 id="balances-title">${s.membersTitle}</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">${s.colMember}</th><th scope="col">${b.colCharges}</th><th scope="col">${b.colPaid}</th><th scope="col">${b.colBalance}</th><th scope="col">${b.colInvoices}</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>
<section class="card" aria-labelledby="payment-title"><h2 id="payment-title">${b.paymentTitle}</h2>
<form method="post" action="/groups/${params.id}/record/billing/payments">
<div class="field"><label for="personId">${s.colMember}</label><select id="personId" name="personId">${options}</select></div>
<div class="field"><label for="amount">${b.amountLabel}</label><input id="amount" name="amount" inputmode="decimal" required></div>
<div class="field"><label for="method">${b.methodLabel}</label><select id="method" name="method">${PAYMENT_METHODS.map((m) => html`<option value="${m}">${methodLabel(ctx.locale, m)}</option>`)}</select></div>
<div class="field"><label for="receivedOn">${b.receivedOnLabel}</label><input id="receivedOn" name="receivedOn" type="date" required value="${dayIn(clinicZone(hearth), hearth.now())}"></div>
<div class="actions"><button type="submit">${b.recordPayment}</button></div></form></section>`;
        return htmlResponse(layout(ctx, b.billingTitle, main, { styles: RECORD_STYLES }), 200, { "cache-control": "no-store" });
      },
      { params: Group, query: t.Object({ done: t.Optional(t.UnionEnum(["fee", "payment"])) }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/record/billing/fee",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const b = billingStrings(locale);
        const cents = parseCents(body.fee);
        if (cents === null) throw refuse(locale, 400, b.badFee);
        const currency = body.currency.trim().toUpperCase();
        if (!/^[A-Z]{3}$/.test(currency)) throw refuse(locale, 400, b.badCurrency);
        setFee(hearth, params.id, { cents, currency }, viewer.id);
        return goTo(request, `/groups/${params.id}/record/billing?done=fee`);
      },
      { params: Group, body: t.Object({ fee: t.String({ maxLength: 20 }), currency: t.String({ maxLength: 10 }) }, { additionalProperties: true }), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/record/billing/payments",
      async ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        const s = recordStrings(locale);
        const b = billingStrings(locale);
        const personId = Number(body.personId);
        if (!Number.isSafeInteger(personId) || partIn(hearth.db, params.id, personId) !== "member") throw refuse(locale, 400, s.badMember);
        const cents = parseCents(body.amount);
        if (!cents) throw refuse(locale, 400, b.badAmount);
        if (!(PAYMENT_METHODS as readonly string[]).includes(body.method)) throw refuse(locale, 400, b.methodLabel);
        if (!/^\d{4}-\d\d-\d\d$/.test(body.receivedOn) || Number.isNaN(Date.parse(body.receivedOn))) throw refuse(locale, 400, b.badDate);
        await recordPayment(hearth, { personId, groupId: params.id, amountCents: cents, method: body.method as PaymentMethod, receivedOn: body.receivedOn, by: viewer.id });
        return goTo(request, `/groups/${params.id}/record/billing?done=payment`);
      },
      {
        params: Group,
        body: t.Object({ personId: t.String({ maxLength: 12 }), amount: t.String({ maxLength: 20 }), method: t.String({ maxLength: 20 }), receivedOn: t.String({ maxLength: 10 }) }, { additionalProperties: true }),
        detail: policy(GROUP_CLINICIANS),
      },
    )
    .get(
      "/groups/:id/record/members/:personId/invoice/:month",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const { locale } = pageFor(request);
        if (partIn(hearth.db, params.id, params.personId) !== "member" || !/^\d{4}-(0[1-9]|1[0-2])$/.test(params.month)) throw refuse(locale, 404, recordStrings(locale).notFound);
        const charges = chargesOf(hearth, params.id, params.personId);
        const payments = await paymentsOf(hearth, viewer.id, params.personId, params.id);
        const pdf = await invoicePdf({
          locale, clinic: clinicDetails(hearth), patientName: await nameShown(hearth, viewer.id, params.personId), month: params.month,
          currency: feeOf(hearth, params.id)?.currency ?? "USD", charges, payments, balanceCents: balanceCents(charges, payments), createdAt: hearth.now(),
        });
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "billing.invoice_read", subject: `person:${params.personId}`, ownerId: params.personId, outcome: "ok" });
        return new Response(Buffer.from(pdf), { headers: { "content-type": "application/pdf", "content-disposition": `attachment; filename="invoice-${params.month}.pdf"`, "cache-control": "no-store" } });
      },
      { params: t.Object({ id: t.Numeric({ minimum: 1 }), personId: t.Numeric({ minimum: 1 }), month: t.String({ maxLength: 7 }) }), detail: policy(GROUP_CLINICIANS) },
    )
    .get(
      "/admin/billing",
      ({ request, query }) => {
        const ctx = pageFor(request);
        const b = billingStrings(ctx.locale);
        const d = clinicDetails(hearth);
        const field = (id: keyof typeof d, label: string, textarea = false) =>
          html`<div class="field"><label for="${id}">${label}</label>${textarea ? html`<textarea id="${id}" name="${id}" rows="3" maxlength="300">${d[id]}</textarea>` : html`<input id="${id}" name="${id}" maxlength="120" value="${d[id]}">`}</div>`;
        const main = html`<div class="card narrow"><h1>${b.billingTitle}</h1>${okNotice(query.done ? b.feeSaved : null)}<p>${b.pdfNoCard}</p>
<form method="post" action="/admin/billing">${field("name", b.clinicName)}${field("address", b.clinicAddress, true)}${field("phone", b.clinicPhone)}${field("taxId", b.pdfTaxId)}${field("npi", b.pdfNpi)}
<div class="actions"><button type="submit">${b.setFee}</button></div></form></div>`;
        return htmlResponse(layout(ctx, b.billingTitle, main, { styles: RECORD_STYLES }));
      },
      { query: t.Object({ done: t.Optional(t.Literal("1")) }), detail: policy({ allow: ["admin"] }) },
    )
    .post(
      "/admin/billing",
      ({ request, body }) => {
        const viewer = requireViewer(request);
        const clean = (v: string | undefined, max: number) => (v ?? "").replace(/\r\n?/g, "\n").replace(/[^\P{Cc}\n]/gu, "").trim().slice(0, max);
        setClinicDetails(hearth, { name: clean(body.name, 120), address: clean(body.address, 300), phone: clean(body.phone, 120), taxId: clean(body.taxId, 120), npi: clean(body.npi, 120) }, viewer.id);
        return goTo(request, "/admin/billing?done=1");
      },
      {
        body: t.Object({ name: t.Optional(t.String({ maxLength: 400 })), address: t.Optional(t.String({ maxLength: 1000 })), phone: t.Optional(t.String({ maxLength: 400 })), taxId: t.Optional(t.String({ maxLength: 400 })), npi: t.Optional(t.String({ maxLength: 400 })) }, { additionalProperties: true }),
        detail: policy({ allow: ["admin"] }),
      },
    );
}
