import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { hideChatMessage, saveChatMessage } from "./chat.ts";
import { savePoll, savePollResults } from "./polls.ts";

const MIN = 60_000;

/**
 * The room tools' demo data, through chat's and polls' own storing functions: in each group's
 * most recent past session (attendanceDemo made them), a short chat (one private message to the
 * facilitator, one hidden message) and a closed anonymous check-in poll, so the transcript and
 * the session record show what a real session leaves behind.
 */
export async function roomToolsDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  const name = (id: number) => [...clinic.clinicians, ...clinic.patients].find((p) => p.id === id)?.name ?? "";
  for (const group of clinic.groups) {
    const session = hearth.db
      .query<{ id: number; opened_at: number }, [number]>("SELECT id, opened_at FROM group_sessions WHERE group_id = ? AND closed_at IS NOT NULL ORDER BY opened_at DESC LIMIT 1")
      .get(group.id);
    if (!session) continue;
    const [a, b, c] = group.memberIds;
    if (a === undefined || b === undefined || c === undefined) continue;
    const start = session.opened_at + 5 * MIN;
    const say = (personId: number, minute: number, text: string, to: "everyone" | "facilitators" = "everyone") =>
      saveChatMessage(hearth, { sessionId: session.id, personId, name: name(personId), fromFacilitator: personId === group.clinicianId, to, diverted: false, text, at: start + minute * MIN });
    await say(group.clinicianId, 0, "Welcome, everyone. Tonight: one skill you practised this week.");
    await say(a, 3, "I used the 5-4-3-2-1 grounding on the bus. It helped a bit.");
    await say(b, 4, "Could we talk about sleep at some point?");
    await say(c, 6, "I had a rough Thursday, can I check in with you after?", "facilitators");
    const hidden = await say(a, 9, "Shared a link to a site the group had agreed not to use.");
    hideChatMessage(hearth, session.id, hidden, group.clinicianId, a, start + 10 * MIN);
    const poll = await savePoll(hearth, {
      sessionId: session.id,
      createdBy: group.clinicianId,
      question: "How was your week, overall?",
      options: ["Calm", "Mixed", "Hard"],
      multiple: false,
      anonymous: true,
      liveResults: false,
      at: start + 12 * MIN,
    });
    const answered = group.memberIds.length - 1;
    await savePollResults(hearth, poll, [Math.ceil(answered / 3), Math.floor(answered / 2), answered - Math.ceil(answered / 3) - Math.floor(answered / 2)], answered, start + 15 * MIN);
  }
}
