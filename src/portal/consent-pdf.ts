import type { PDFFont } from "pdf-lib";
import { fill, formatDateTime, type Locale } from "../ui/i18n.ts";
import { consentStrings } from "./consent-strings.ts";
import type { Signature, Version } from "./consent.ts";

/**
 * The signed copy a patient downloads: the exact version text (as its Markdown source, so what is
 * printed is what was hashed), then who signed, when, the SHA-256 signed over and the passkey
 * assertion itself, enough for anyone to check it again against the stored public key.
 */
const PAGE = { width: 595, height: 842, margin: 50 };

/** Standard fonts carry WinAnsi only: any other character is drawn as "?". */
function drawable(font: PDFFont, text: string): string {
  return [...text.replace(/[\u00a0\u202f]/g, " ").replace(/[‘’]/g, "'").replace(/[“”]/g, '"')]
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

function wrap(font: PDFFont, size: number, text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/(\s+)/)) {
      const next = line + word;
      if (font.widthOfTextAtSize(drawable(font, next), size) <= width) line = next;
      else if (!line.trim()) {
        // One word wider than the line (a base64 signature): cut it.
        let rest = word;
        while (font.widthOfTextAtSize(drawable(font, rest), size) > width) {
          let n = rest.length;
          while (n > 1 && font.widthOfTextAtSize(drawable(font, rest.slice(0, n)), size) > width) n--;
          lines.push(rest.slice(0, n));
          rest = rest.slice(n);
        }
        line = rest;
      } else {
        lines.push(line.trimEnd());
        line = word.trimStart();
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

export async function signedConsentPdf(
  locale: Locale,
  input: { title: string; version: Version; signature: Signature; signerName: string; credentialId: string },
): Promise<Uint8Array> {
  // pdf-lib is loaded when a consent PDF is first made, not carried by every server from start.
  const { PDFDocument, StandardFonts, rgb } = await import("pdf-lib");
  const s = consentStrings(locale);
  const doc = await PDFDocument.create();
  doc.setTitle(`${input.title} v${input.version.version}`);
  doc.setCreator("Hearth");
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const mono = await doc.embedFont(StandardFonts.Courier);
  let page = doc.addPage([PAGE.width, PAGE.height]);
  let y = PAGE.height - PAGE.margin;
  const width = PAGE.width - 2 * PAGE.margin;
  const write = (text: string, size = 10, f = font, gap = 4) => {
    for (const line of wrap(f, size, text, width)) {
      if (y < PAGE.margin + size) {
        page = doc.addPage([PAGE.width, PAGE.height]);
        y = PAGE.height - PAGE.margin;
      }
      page.drawText(drawable(f, line), { x: PAGE.margin, y: y - size, size, font: f, color: rgb(0.1, 0.12, 0.12) });
      y -= size + gap;
    }
  };
  write(input.title, 16, bold, 8);
  write(fill(s.pdfVersion, { n: input.version.version, when: formatDateTime(locale, input.version.publishedAt) }), 10, font, 10);
  write(input.version.body, 10, font, 3);
  y -= 12;
  write(s.pdfSignedTitle, 12, bold, 6);
  write(fill(s.pdfSignedBy, { name: input.signerName, when: formatDateTime(locale, input.signature.signedAt) }));
  if (input.signature.withdrawnAt) write(fill(s.pdfWithdrawn, { when: formatDateTime(locale, input.signature.withdrawnAt) }), 10, bold);
  write(`${s.pdfHash}: ${input.signature.contentHash}`, 8, mono);
  write(`${s.pdfCredential}: ${input.credentialId}`, 8, mono);
  write(`challenge: ${input.signature.challenge}`, 8, mono);
  write(`clientDataJSON: ${input.signature.clientDataJSON}`, 8, mono);
  write(`authenticatorData: ${input.signature.authenticatorData}`, 8, mono);
  write(`signature: ${input.signature.signature}`, 8, mono);
  return doc.save();
}
