import type { Hearth } from "../context.ts";
import type { DemoClinic } from "../demo/clinic.ts";
import { addResource, checkResource } from "./resources.ts";
import { setCodeWord, setLocationRequired } from "./group-safety.ts";

/**
 * The demo clinic's crisis lines (the two national lines of its patients' countries and a local
 * one) and its groups' safety settings, through the real service functions.
 */
const LINES = [
  { name: "988 Suicide & Crisis Lifeline (US)", phone: "988", textLine: "Text 988", hours: "24/7", language: "" },
  { name: "Talk Suicide Canada", phone: "1-833-456-4566", textLine: "Text 45645 (4 pm–midnight ET) or 988", hours: "24/7", language: "" },
  { name: "Ligne d'écoute locale (Montréal)", phone: "514-723-4000", textLine: "", hours: "24 h/24", language: "fr" },
];

export async function safetyDemo(hearth: Hearth, clinic: DemoClinic): Promise<void> {
  for (const line of LINES) {
    const checked = checkResource(line);
    if (!checked.ok) throw new Error(`demo crisis line ${line.name}: ${checked.problem}`);
    addResource(hearth, clinic.admin.id, checked.value);
  }
  // The first group agreed on a code word; the second asks where members are before they join.
  const [first, second] = clinic.groups;
  if (first) await setCodeWord(hearth, first.clinicianId, first.id, "blue heron");
  if (second) setLocationRequired(hearth, second.clinicianId, second.id, true);
}
