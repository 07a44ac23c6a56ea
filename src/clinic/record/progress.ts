import type { Hearth } from "../../context.ts";
import { html, type Html } from "../../ui/html.ts";
import type { Locale } from "../../ui/i18n.ts";
import { INSTRUMENTS, instrument, type InstrumentId } from "./instruments.ts";
import { assignmentsOfGroup, historyOf, isDue, type MeasureResponse } from "./measures.ts";
import { heldSessions, presence, type HeldSession } from "./attendance.ts";
import { attendanceInsights, baselineOf, changeInsights, type Baseline, type Insight } from "./insights.ts";
import { insightText, recordStrings } from "./strings.ts";

/** One member's progress in one group: their answers there, their attendance, and the insights. */
export interface MemberProgress {
  personId: number;
  history: MeasureResponse[];
  attendance: { at: number; sessionId: number; present: boolean }[];
  insights: Insight[];
}

export async function baselines(hearth: Hearth): Promise<Partial<Record<InstrumentId, Baseline>>> {
  const out: Partial<Record<InstrumentId, Baseline>> = {};
  for (const id of INSTRUMENTS) out[id] = await baselineOf(hearth, id);
  return out;
}

/** Opens (and audits, as one read by `actorId`) a member's answers in this group. */
export async function memberProgress(
  hearth: Hearth,
  actorId: number,
  groupId: number,
  personId: number,
  ctx: { sessions?: HeldSession[]; sd0?: Partial<Record<InstrumentId, Baseline>>; endsOnly?: boolean } = {},
): Promise<MemberProgress> {
  const history = await historyOf(hearth, actorId, personId, { groupIds: [groupId], endsOnly: ctx.endsOnly });
  const attendance = presence(hearth.db, ctx.sessions ?? heldSessions(hearth.db, groupId), personId);
  const insights = [...changeInsights(history, ctx.sd0 ?? (await baselines(hearth))), ...attendanceInsights(attendance)];
  for (const a of assignmentsOfGroup(hearth, groupId)) {
    if ((a.personId === null || a.personId === personId) && isDue(hearth, a, personId)) {
      insights.push({ rule: "not-answered", tone: "info", params: { measure: instrument(a.instrument).short } });
    }
  }
  return { personId, history, attendance, insights };
}

export function insightList(locale: Locale, insights: readonly Insight[]): Html {
  const s = recordStrings(locale);
  if (!insights.length) return html`<p class="muted">${s.noInsights}</p>`;
  return html`<ul class="insights">${insights.map((i) => {
    const { text, rule } = insightText(locale, i);
    return html`<li class="insight insight-${i.tone}" data-rule="${i.rule}">${text} <span class="rule">${recordStrings(locale).ruleLabel.replace("{rule}", rule)}</span></li>`;
  })}</ul>`;
}
