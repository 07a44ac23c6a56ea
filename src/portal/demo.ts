import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { sealNewEntry, sealVersion } from "../../web/portal/journal-crypto.ts";
import { addVersion, clinicIdentityOf, createClinicJournalKey, createEntry } from "./journals.ts";
import { addMessage, careTeamOf, startThread, threadById } from "./messages.ts";
import { addComment, assign, assignmentById, saveAnswers } from "./worksheets.ts";
import { createForm } from "./consent.ts";

/**
 * The demo clinic's portal: a journal and a conversation for its first patient, this week's
 * thought record for the first group (one submitted and commented on), two consent forms. A
 * passkey-protected journal can only be made in its owner's browser, from their passkey, so the
 * demo journal is protected by the clinic's key (the fallback for passkeys without PRF, labelled
 * so on the page), with a few entries and one edited entry. Everyone else sets theirs up on
 * first unlock.
 */
const ENTRIES = [
  { text: "First evening of the group. I almost stayed home, but I went, and nobody made me talk.", mood: 3, tags: ["group", "anxiety"], daysAgo: 9 },
  { text: "Tried the breathing exercise on the bus. It helped a little, for a few minutes.", mood: 2, tags: ["panic", "skills"], daysAgo: 5 },
  { text: "Walked to the park with my sister. Slept better.", mood: 4, tags: ["sleep"], daysAgo: 1 },
];

export async function portalDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  await journalDemo(hearth, clinic);
  await messagesDemo(hearth, clinic);
  await worksheetsDemo(hearth, clinic);
  await consentDemo(hearth, clinic);
}

async function journalDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const patient = clinic.patients[0]!;
  const key = await createClinicJournalKey(hearth, patient.id);
  if ((await clinicIdentityOf(hearth, patient.id)) === null) throw new Error("demo journal key was not sealed");
  const owner = [key.recipient];
  for (const e of ENTRIES) {
    const date = new Date(hearth.now() - e.daysAgo * 86_400_000).toISOString().slice(0, 10);
    const sealed = await sealNewEntry({ text: e.text, mood: e.mood, tags: e.tags, date }, owner);
    const id = createEntry(hearth, patient.id, sealed.ciphertext, sealed.wrapped);
    if (e.daysAgo === 1) addVersion(hearth, id, await sealVersion({ text: `${e.text} Woke up once, fell asleep again.`, mood: 4, tags: e.tags, date }, sealed.entryKey));
  }
}

/** A conversation between the first patient and their care team, answered by their clinician. */
export async function messagesDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const patient = clinic.patients[0]!;
  const clinician = careTeamOf(hearth, patient.id)[0];
  if (clinician === undefined) return;
  const { threadId } = await startThread(hearth, {
    patientId: patient.id,
    clinicianId: null,
    authorId: patient.id,
    subject: "Missing Thursday's group",
    body: "I have a medical appointment on Thursday evening. Can I still get the worksheet?",
  });
  await addMessage(hearth, threadById(hearth, threadId)!, clinician, "Of course. I will leave it in your portal; bring it the week after. Good luck with the appointment.");
}

/** The first group's members get this week's thought record; the first patient has already submitted theirs. */
export async function worksheetsDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const group = clinic.groups[0];
  if (!group) return;
  const dueOn = new Date(hearth.now() + 5 * 86_400_000).toISOString().slice(0, 10);
  const [first] = assign(hearth, { templateRef: "std:cbt-thought-record", patientIds: group.memberIds, groupId: group.id, by: group.clinicianId, dueOn });
  const a = assignmentById(hearth, first!);
  if (!a) return;
  await saveAnswers(hearth, a, { 0: [["Waiting for the bus, crowded", "They all think I look strange", "Anxious 80%", "Someone looked twice", "Most people were on their phones", "People are busy with their own day", "Anxious 40%"]] }, true);
  await addComment(hearth, assignmentById(hearth, first!)!, group.clinicianId, "A clear record. Notice how the anxiety halved once you looked at the evidence.");
}

/** The clinic's consent forms (signing needs each patient's own passkey, so none is signed yet). */
export async function consentDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  createForm(hearth, clinic.admin.id, "treatment", "Consent to treatment", [
    "# Consent to treatment",
    "",
    "I agree to take part in group and individual therapy at this clinic.",
    "",
    "- I can ask questions about my treatment at any time.",
    "- I can stop treatment at any time, and withdraw this consent.",
    "- What I share is confidential, except where the law requires the clinic to act to keep someone safe.",
  ].join("\n"));
  createForm(hearth, clinic.admin.id, "group-confidentiality", "Group confidentiality agreement", [
    "# Group confidentiality agreement",
    "",
    "What is said in the group stays in the group. I will not record sessions, and I will not share who takes part.",
  ].join("\n"));
}
