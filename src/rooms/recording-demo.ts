import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { fill } from "../ui/i18n.ts";
import { endRequest, openRequest, saveAnswer, startPart } from "./recording-record.ts";
import { recordingStrings } from "./recording-strings.ts";

const MIN = 60_000;

/**
 * A consent record in the first group's most recent past session (attendanceDemo made it),
 * through the real record functions: the facilitator asked ten minutes in, everyone agreed but one
 * member who answered a few minutes later (so it began then), and half an hour on a member
 * withdrew and it stopped. No media file: recordings come only from a live room's real media
 * (recorder.ts); a demo has none to record.
 */
export async function recordingDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const group = clinic.groups[0];
  if (!group) return;
  const session = hearth.db
    .query<{ id: number; opened_at: number }, [number]>("SELECT id, opened_at FROM group_sessions WHERE group_id = ? AND closed_at IS NOT NULL ORDER BY opened_at DESC LIMIT 1")
    .get(group.id);
  if (!session) return;
  const nameOf = (id: number) => [...clinic.clinicians, ...clinic.patients].find((p) => p.id === id)?.name ?? "";
  const lead = nameOf(group.clinicianId);
  const terms = (id: number) => ({ name: nameOf(id), locale: "en", text: fill(recordingStrings("en").question, { name: lead }) });
  const asked = session.opened_at + 10 * MIN;
  const request = openRequest(hearth, session.id, group.clinicianId, asked);
  await saveAnswer(hearth, request, group.clinicianId, "yes", asked, terms(group.clinicianId));
  const members = group.memberIds;
  for (const [i, id] of members.entries()) await saveAnswer(hearth, request, id, "yes", asked + (i === members.length - 1 ? 4 * MIN : MIN), terms(id));
  startPart(hearth, request, 1, asked + 4 * MIN);
  const withdrew = members[0];
  if (withdrew === undefined) return;
  await saveAnswer(hearth, request, withdrew, "withdrawn", asked + 34 * MIN, terms(withdrew));
  endRequest(hearth, request, "withdrawn", asked + 34 * MIN, withdrew);
}
