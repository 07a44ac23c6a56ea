import type { Hearth } from "../context.ts";
import { readProfile } from "../identity/people.ts";
import type { Locale } from "../ui/i18n.ts";
import { entriesFor, sharedWith, versionsOf } from "./journals.ts";
import { messagesOf, subjectOf, threadsOf } from "./messages.ts";
import { answersOf, assignmentsOfPatient, commentsOf, templateBody } from "./worksheets.ts";
import { documentsOf, openDocument } from "./documents.ts";
import { forms, statusOf, versionById } from "./consent.ts";
import { signedConsentPdf } from "./consent-pdf.ts";
import { passkeyById } from "../identity/passkeys.ts";
import { checkInsOf, goalsOf } from "./goals.ts";
import { exportPatient } from "../clinic/record/export.ts";
import { groupIdsOf } from "../clinic/groups.ts";
import { libraryRecordOf } from "./library.ts";

/**
 * "My data": everything the portal holds about a patient, as a zip streamed to them (fflate):
 * JSON for their profile, messages, worksheets, consents and what the content library keeps about
 * them (recommendations, and their reading while the clinic records it), their documents and
 * signed consent PDFs as files, and their journal as it is stored (age files: only their passkey
 * or recovery key opens it; the journal page exports it decrypted in their own browser), and
 * their clinical record as the same FHIR R4 Bundle the record's own export builds (audited there
 * as "record.exported", with the patient as the actor).
 */
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const strToU8 = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => strToU8(JSON.stringify(value, null, 2));

/** File names inside the zip: no path separators or control characters. */
function safeName(name: string): string {
  return name.replace(/[\p{Cc}/\\:*?"<>|]+/gu, "_").slice(0, 100) || "file";
}

export function myDataZip(hearth: Hearth, patientId: number, locale: Locale): ReadableStream<Uint8Array> {
  const viewer = { id: patientId, role: "patient" as const };
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      // fflate loads with the first export, not with every server at start.
      const { Zip, ZipDeflate, ZipPassThrough } = await import("fflate");
      const zip = new Zip((err, chunk, final) => {
        if (err) return controller.error(err);
        controller.enqueue(chunk);
        if (final) controller.close();
      });
      const add = (name: string, data: Uint8Array) => {
        const f = new ZipDeflate(name, { level: 6 });
        zip.add(f);
        f.push(data, true);
      };
      try {
        add("README.txt", strToU8(README));
        add("profile.json", json(await readProfile(hearth, patientId, patientId)));

        const threads = [];
        for (const t of threadsOf(hearth, viewer)) threads.push({ ...t, subject: await subjectOf(hearth, t.id), messages: await messagesOf(hearth, t.id) });
        add("messages.json", json(threads));

        const worksheets = [];
        for (const a of assignmentsOfPatient(hearth, patientId)) {
          const template = await templateBody(hearth, a.templateRef, locale);
          worksheets.push({ ...a, template, answers: await answersOf(hearth, a.id), comments: await commentsOf(hearth, a.id) });
        }
        add("worksheets.json", json(worksheets));

        const goals = [];
        for (const g of await goalsOf(hearth, patientId)) goals.push({ ...g, checkIns: await checkInsOf(hearth, g.id) });
        add("goals.json", json(goals));

        add("library.json", json(libraryRecordOf(hearth, patientId)));

        const journal = entriesFor(hearth, patientId, patientId).map((e) => ({
          id: e.id,
          createdAt: e.createdAt,
          updatedAt: e.updatedAt,
          wrappedKey: b64(e.wrapped),
          versions: versionsOf(hearth, e.id).map((v) => ({ version: v.version, createdAt: v.createdAt, ciphertext: b64(v.ciphertext) })),
          sharedWith: sharedWith(hearth, e.id),
        }));
        add("journal-encrypted.json", json(journal));

        const consents = [];
        for (const f of forms(hearth)) {
          const st = statusOf(hearth, patientId, f);
          consents.push({ form: f.title, kind: f.kind, latestVersion: f.latest.version, status: st.status, signature: st.signature });
          if (st.signature) {
            const version = versionById(hearth, st.signature.versionId)!;
            const pdf = await signedConsentPdf(locale, {
              title: f.title,
              version,
              signature: st.signature,
              signerName: "",
              credentialId: passkeyById(hearth, st.signature.passkeyId)?.credentialId ?? "",
            });
            add(`consents/${safeName(f.title)}-v${version.version}.pdf`, pdf);
          }
        }
        add("consents.json", json(consents));

        add("record-fhir.json", json(await exportPatient(hearth, patientId, patientId, groupIdsOf(hearth.db, patientId, ["member"]))));

        const docs = await documentsOf(hearth, viewer, patientId);
        add("documents.json", json(docs));
        for (const d of docs) {
          const file = await openDocument(hearth, viewer, d.id);
          if (!file) continue;
          // Documents go in as they are (most are compressed already), streamed chunk by chunk.
          const entry = new ZipPassThrough(`documents/${d.id}-${safeName(file.filename)}`);
          zip.add(entry);
          const reader = file.stream.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            entry.push(value);
          }
          entry.push(new Uint8Array(0), true);
        }
        hearth.audit.append({ actor: `person:${patientId}`, action: "mydata.exported", subject: `person:${patientId}`, ownerId: patientId, outcome: "ok" });
        zip.end();
      } catch (err) {
        zip.terminate();
        controller.error(err);
      }
    },
  });
}

const README = `Everything the clinic's Hearth holds for you in the portal, as of this download.

profile.json            your name, pronouns and language
messages.json           your conversations with your care team
worksheets.json         the worksheets you were given, your answers and the comments
goals.json              your goals, their steps and your check-ins
library.json            the content library's items recommended to you or your group and, while
                        the clinic records reading, which ones you opened, when, how often
consents.json           each consent form and where you stand with it
consents/*.pdf          your signed copies
documents.json          the documents in your space you can see
documents/*             the documents themselves
record-fhir.json        your clinical record (sessions attended, questionnaires, released notes,
                        consents) as a FHIR R4 Bundle, the standard other providers can import
journal-encrypted.json  your journal as it is stored: encrypted with age. Only your passkey or
                        your recovery key opens it: use "Export my journal" on the Journal page
                        to save it decrypted, in your own browser.
`;
