import type { Hearth } from "../context.ts";
import { log } from "../log.ts";
import { defineNotice } from "../notify/notices.ts";
import { notify } from "../notify/notify.ts";
import { defineStrings } from "../ui/i18n.ts";
import { lexiconFor } from "./lexicon.ts";

/**
 * Screening text a patient wrote for crisis language (docs/security.md, "Crisis language").
 * Other capabilities call `screenText` with what was written: room chat, a journal entry the
 * patient chose to share, a portal message. A match sends a private in-app notification to the
 * people who look after the writer; it never blocks, changes or delays what was written, never
 * reaches the group, and nothing leaves the box. The notification and the audit row name no
 * words: only that something the person wrote deserves a look, and where.
 */
export const CRISIS_WORDS_NOTICE = "safety.crisis_words";

const noticeText = defineStrings(
  {
    title: "Something a person in your care wrote may need your attention now",
    email: "Something a person in your care wrote may need your attention. Open Hearth to see it.",
  },
  {
    title: "Un écrit d'une personne que vous suivez pourrait demander votre attention maintenant",
    email: "Un écrit d'une personne que vous suivez pourrait demander votre attention. Ouvrez Hearth pour le voir.",
  },
  {
    title: "Algo que escribió una persona a su cargo puede requerir su atención ahora",
    email: "Algo que escribió una persona a su cargo puede requerir su atención. Abra Hearth para verlo.",
  },
);
defineNotice(CRISIS_WORDS_NOTICE, noticeText);

/** "I need help now" pressed while no facilitator was in the room to see the banner. */
export const HELP_NOTICE = "safety.help_asked";
const helpText = defineStrings(
  {
    title: "A member asked for help in a live session while no facilitator was in the room",
    email: "A member asked for help in a live session. Open Hearth now.",
  },
  {
    title: "Un membre a demandé de l'aide pendant une séance en direct, sans animateur dans la salle",
    email: "Un membre a demandé de l'aide pendant une séance en direct. Ouvrez Hearth maintenant.",
  },
  {
    title: "Un miembro pidió ayuda en una sesión en directo sin nadie que facilite en la sala",
    email: "Un miembro pidió ayuda en una sesión en directo. Abra Hearth ahora.",
  },
);
defineNotice(HELP_NOTICE, helpText);

export interface Written {
  /** Who wrote it (a patient or guest). */
  authorId: number;
  text: string;
  /** Where it was written: chat in a session, a shared journal entry, a portal message. */
  source: "chat" | "journal" | "message";
  /** The group it was written in, when there is one: its clinicians are told. */
  groupId?: number | null;
  /** Where the facilitator should look (a path inside Hearth); never carries the words. */
  link: string;
}

/**
 * Who is told: the clinicians of the group it was written in; outside a group, every clinician
 * who cares for the writer (who invited them, or leads a group they are in).
 */
export function facilitatorsFor(hearth: Hearth, authorId: number, groupId: number | null | undefined): number[] {
  const rows =
    groupId != null
      ? hearth.db
          .query<{ id: number }, [number]>(
            `SELECT gm.person_id AS id FROM group_members gm JOIN people p ON p.id = gm.person_id
             WHERE gm.group_id = ? AND gm.role = 'clinician' AND gm.left_at IS NULL AND p.status = 'active'`,
          )
          .all(groupId)
      : hearth.db
          .query<{ id: number }, [number, number]>(
            `SELECT p.id FROM people p WHERE p.role = 'clinician' AND p.status = 'active' AND (
               p.id = (SELECT invited_by FROM people WHERE id = ?)
               OR p.id IN (SELECT c.person_id FROM group_members m JOIN group_members c ON c.group_id = m.group_id
                           WHERE m.person_id = ? AND m.role != 'clinician' AND m.left_at IS NULL AND c.role = 'clinician' AND c.left_at IS NULL))`,
          )
          .all(authorId, authorId);
  return [...new Set(rows.map((r) => r.id))].filter((id) => id !== authorId);
}

/** True when the text matched (and the facilitators were told). Never throws. */
export function screenText(hearth: Hearth, written: Written): boolean {
  try {
    if (!lexiconFor(hearth.config.dataDir).matches(written.text)) return false;
    const told = facilitatorsFor(hearth, written.authorId, written.groupId);
    for (const id of told) notify(hearth, id, { kind: CRISIS_WORDS_NOTICE, link: written.link });
    hearth.audit.append({
      actor: "system",
      action: "safety.crisis_words",
      subject: `person:${written.authorId}`,
      ownerId: written.authorId,
      outcome: told.length ? "ok" : "failed",
    });
    return true;
  } catch (err) {
    // The writer's message goes on regardless; the log names the failure, never the text.
    log.error("crisis-language screening failed", { source: written.source, kind: (err as Error).name });
    return false;
  }
}
