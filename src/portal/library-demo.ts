import { PDFDocument, StandardFonts } from "pdf-lib";
import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { addArticle, addLibraryFile, assign } from "./library.ts";

/**
 * The demo clinic's library: short articles in English, French and Spanish and a one-page PDF,
 * recommended to a group and to patients in their own language, through the library's own
 * service functions (the PDF streamed in and sealed like any upload). Reading is not tracked
 * (the clinic's default), so patients see that said on the page.
 */
const ARTICLES = [
  {
    title: "Sleep, one small step at a time",
    tags: ["sleep", "routine"],
    body: "## Why small steps\n\nSleep comes back slowly. Pick **one** change for this week.\n\n- Get up at the same time every day, even after a bad night.\n- Keep the bed for sleep: if you are awake for a long while, get up and read somewhere dim.\n- Put the phone in another room an hour before bed.\n\nMore on sleep habits: [NHS — insomnia](https://www.nhs.uk/conditions/insomnia/).",
    to: "group",
  },
  {
    title: "Riding the wave of panic",
    tags: ["anxiety", "panic", "skills"],
    body: "## A wave rises and falls\n\nPanic peaks within minutes and then eases, even when it feels endless.\n\n1. Name it: *this is panic, it will pass*.\n2. Breathe out longer than you breathe in: in for 4, out for 6.\n3. Notice five things you can see.\n\nBring what you noticed to the next group.",
    to: "group3",
  },
  {
    title: "Le sommeil, pas à pas",
    tags: ["sommeil"],
    body: "## Un seul changement cette semaine\n\n- Se lever à la même heure chaque jour.\n- Garder le lit pour dormir.\n- Poser le téléphone dans une autre pièce une heure avant le coucher.",
    to: "fr",
  },
  {
    title: "Respirar cuando sube la ansiedad",
    tags: ["ansiedad", "habilidades"],
    body: "## Una ola que sube y baja\n\nLa ansiedad llega a su punto más alto en pocos minutos y luego baja.\n\n1. Ponle nombre: *es ansiedad, va a pasar*.\n2. Exhala más largo de lo que inhalas: inhala en 4, exhala en 6.\n3. Fíjate en cinco cosas que puedes ver.",
    to: "es",
  },
] as const;

async function groundingPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  const lines = ["Grounding: 5-4-3-2-1", "", "5 things you can see", "4 things you can touch", "3 things you can hear", "2 things you can smell", "1 thing you can taste"];
  lines.forEach((line, i) => page.drawText(line, { x: 72, y: 760 - i * 28, size: i === 0 ? 22 : 14, font }));
  return doc.save();
}

export async function libraryDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const [first, , third] = clinic.groups;
  const clinician = clinic.clinicians[0]!;
  const fr = clinic.patients[1]!;
  const es = clinic.patients[2]!;
  for (const a of ARTICLES) {
    const by = a.to === "group" && first ? first.clinicianId : a.to === "group3" && third ? third.clinicianId : clinician.id;
    const id = addArticle(hearth, by, { title: a.title, body: a.body, tags: [...a.tags] });
    if (a.to === "group" && first) assign(hearth, first.clinicianId, id, { groupId: first.id });
    if (a.to === "group3" && third) assign(hearth, third.clinicianId, id, { groupId: third.id });
    if (a.to === "fr") assign(hearth, clinician.id, id, { patientId: fr.id });
    if (a.to === "es") assign(hearth, clinician.id, id, { patientId: es.id });
  }
  const pdf = await addLibraryFile(hearth, clinician.id, { title: "Grounding: 5-4-3-2-1", tags: ["anxiety", "skills"], source: new Blob([(await groundingPdf()) as Uint8Array<ArrayBuffer>]).stream() });
  if (first) assign(hearth, first.clinicianId, pdf, { groupId: first.id });
}
