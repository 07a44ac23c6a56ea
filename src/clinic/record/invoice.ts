import type { PDFFont, PDFPage } from "pdf-lib";
import type { Locale } from "../../ui/i18n.ts";
import { CPT_GROUP_PSYCHOTHERAPY, formatMoney, type Charge, type ClinicDetails, type Payment } from "./billing.ts";
import { billingStrings } from "./billing-strings.ts";

/**
 * A member's monthly invoice (superbill) as a PDF drawn with pdf-lib: the clinic's details, the
 * patient, one line per date of service with CPT 90853, the month's charges and payments, and the
 * balance over all months. The standard Helvetica font covers Western European text; a letter it
 * cannot draw is printed as "?" rather than failing the whole invoice.
 */
export interface InvoiceInput {
  locale: Locale;
  clinic: ClinicDetails;
  patientName: string;
  /** YYYY-MM */
  month: string;
  currency: string;
  charges: readonly Charge[];
  payments: readonly Payment[];
  balanceCents: number;
  createdAt: number;
}

function drawable(font: PDFFont, text: string): string {
  return [...text.replace(/[\u00a0\u202f]/g, " ")]
    .map((ch) => {
      try {
        font.encodeText(ch);
        return ch;
      } catch {
        return "?";
      }
    })
    .join("");
}

export async function invoicePdf(inv: InvoiceInput): Promise<Uint8Array> {
  // pdf-lib is loaded when an invoice is first made, not carried by every server from start.
  const { PDFDocument, StandardFonts, rgb } = await import("pdf-lib");
  const b = billingStrings(inv.locale);
  const doc = await PDFDocument.create();
  doc.setTitle(`${b.pdfTitle} ${inv.month}`);
  doc.setProducer("Hearth");
  doc.setCreationDate(new Date(inv.createdAt));
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  let page: PDFPage = doc.addPage([612, 792]);
  let y = 740;
  const text = (t: string, x: number, size = 10, f = font) => page.drawText(drawable(f, t), { x, y, size, font: f, color: rgb(0.1, 0.12, 0.12) });
  const line = () => (y -= 16);

  text(inv.clinic.name || "—", 50, 14, bold);
  line();
  for (const part of [inv.clinic.address, inv.clinic.phone].filter(Boolean)) {
    for (const l of part.split("\n")) {
      text(l, 50);
      line();
    }
  }
  const ids = [inv.clinic.taxId && `${b.pdfTaxId}: ${inv.clinic.taxId}`, inv.clinic.npi && `${b.pdfNpi}: ${inv.clinic.npi}`].filter(Boolean).join("   ");
  if (ids) (text(ids, 50), line());
  y -= 12;
  text(b.pdfTitle, 50, 13, bold);
  line();
  text(`${b.pdfPatient}: ${inv.patientName}`, 50);
  line();
  text(`${b.pdfMonth}: ${inv.month}`, 50);
  y -= 24;

  const cols = [50, 160, 210, 380, 460];
  [b.pdfDate, b.pdfCpt, b.pdfService, b.pdfMinutes, b.pdfFee].forEach((h, i) => text(h, cols[i]!, 10, bold));
  line();
  const month = inv.charges.filter((c) => c.date.startsWith(inv.month));
  for (const c of month) {
    if (y < 80) ((page = doc.addPage([612, 792])), (y = 740));
    [c.date, CPT_GROUP_PSYCHOTHERAPY, b.pdfServiceName, String(c.minutes), formatMoney(inv.locale, c.cents, inv.currency)].forEach((v, i) => text(v, cols[i]!));
    line();
  }
  y -= 12;
  const paid = inv.payments.filter((p) => p.receivedOn.startsWith(inv.month)).reduce((t, p) => t + p.amountCents, 0);
  for (const [label, cents] of [[b.pdfTotal, month.reduce((t, c) => t + c.cents, 0)], [b.pdfPaid, paid], [b.pdfBalance, inv.balanceCents]] as const) {
    text(label, 210, 10, bold);
    text(formatMoney(inv.locale, cents, inv.currency), 460, 10, bold);
    line();
  }
  y -= 20;
  text(b.pdfNoCard, 50, 8);
  return doc.save();
}
