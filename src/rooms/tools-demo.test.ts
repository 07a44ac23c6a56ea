import { afterAll, expect, test } from "bun:test";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { createDemoClinic } from "../demo/clinic.ts";
import { openHearth } from "../server.ts";
import { attendanceDemo } from "./attendance-demo.ts";
import { chatOf } from "./chat.ts";
import { roomToolsDemo } from "./tools-demo.ts";

const dir = tempDir();
afterAll(() => dir.remove());

test("the demo leaves a chat (one private, one hidden) and a closed anonymous poll in each group's last session", async () => {
  const hearth = await openHearth(testConfig(dir.path));
  const clinic = await createDemoClinic(hearth);
  await attendanceDemo(hearth, clinic);
  await roomToolsDemo(hearth, clinic);
  for (const group of clinic.groups) {
    const session = hearth.db.query<{ id: number }, [number]>("SELECT id FROM group_sessions WHERE group_id = ? AND closed_at IS NOT NULL ORDER BY opened_at DESC LIMIT 1").get(group.id)!;
    const chat = await chatOf(hearth, session.id);
    expect(chat).toHaveLength(5);
    expect(chat.filter((m) => m.to === "facilitators")).toHaveLength(1);
    expect(chat.filter((m) => m.hidden)).toHaveLength(1);
    const poll = hearth.db.query<{ anonymous: number; results: Uint8Array }, [number]>("SELECT anonymous, results FROM polls WHERE session_id = ?").get(session.id)!;
    expect(poll.anonymous).toBe(1);
    const { results, answered } = await hearth.vault.openJson<{ results: number[]; answered: number }>(poll.results);
    expect(results.reduce((a, b) => a + b, 0)).toBe(answered);
  }
  expect(hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM poll_answers").get()!.n).toBe(0);
});
