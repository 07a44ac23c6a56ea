import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { sealNewEntry, sealVersion } from "../../web/portal/journal-crypto.ts";
import { addVersion, clinicIdentityOf, createClinicJournalKey, createEntry } from "./journals.ts";

/**
 * The demo clinic's journals. A passkey-protected journal can only be made in its owner's
 * browser, from their passkey, so the demo gives its first patient a journal protected by the
 * clinic's key (the fallback for passkeys without PRF, labelled so on their page), with a few
 * entries and one edited entry. Everyone else sets theirs up on first unlock.
 */
const ENTRIES = [
  { text: "First evening of the group. I almost stayed home, but I went, and nobody made me talk.", mood: 3, tags: ["group", "anxiety"], daysAgo: 9 },
  { text: "Tried the breathing exercise on the bus. It helped a little, for a few minutes.", mood: 2, tags: ["panic", "skills"], daysAgo: 5 },
  { text: "Walked to the park with my sister. Slept better.", mood: 4, tags: ["sleep"], daysAgo: 1 },
];

export async function portalDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
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
