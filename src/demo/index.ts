import type { Hearth } from "../context.ts";
import { createDemoClinic, type DemoClinic } from "./clinic.ts";
import { scheduleDemo } from "../clinic/demo.ts";
import { safetyDemo } from "../safety/demo.ts";
import { attendanceDemo } from "../rooms/attendance-demo.ts";
import { whiteboardDemo } from "../rooms/whiteboard-demo.ts";
import { roomToolsDemo } from "../rooms/tools-demo.ts";
import { recordingDemo } from "../rooms/recording-demo.ts";
import { portalDemo } from "../portal/demo.ts";
import { libraryDemo } from "../portal/library-demo.ts";
import { vitalsDemo } from "../vitals/demo.ts";
import { recordDemo } from "../clinic/record/demo.ts";
import { comfortDemo } from "../rooms/comfort.ts";

/**
 * `hearth demo`: fills an empty data dir with a demo clinic (src/demo/clinic.ts: an admin, two
 * clinicians, three groups, a dozen patients) and then lets every capability add its own data.
 *
 * Extension point: append ONE import and ONE entry to `contributors` below, e.g.
 *   import { portalDemo } from "../portal/demo.ts";
 *   ...,  { name: "portal", run: portalDemo },
 * where `portalDemo(hearth: Hearth, clinic: DemoClinic): Promise<void>` creates its data through
 * the capability's real service functions (sealed, audited), using the people and groups in
 * `clinic` (ids, names, roles). Contributors run in this order, after the clinic exists.
 */
export type DemoContributor = (hearth: Hearth, clinic: DemoClinic) => Promise<void>;

export const contributors: { name: string; run: DemoContributor }[] = [
  // Capabilities append here.
  { name: "schedules, sessions, materials and reminders", run: scheduleDemo },
  { name: "safety", run: safetyDemo },
  { name: "attendance", run: attendanceDemo },
  { name: "whiteboards", run: whiteboardDemo },
  { name: "room chat and polls", run: roomToolsDemo },
  { name: "recording consent", run: recordingDemo },
  { name: "portal", run: portalDemo },
  { name: "content library", run: libraryDemo },
  { name: "vitals", run: vitalsDemo },
  { name: "clinical record (measures, notes)", run: recordDemo },
  { name: "comfort effects (blur, noise suppression)", run: comfortDemo },
];

export class DemoRefused extends Error {}

/** A data dir with anyone in it holds a clinic's real data (or an earlier demo): never touched. */
export function assertEmpty(hearth: Hearth): void {
  const people = hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM people").get()!.n;
  const groups = hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM groups").get()!.n;
  if (people > 0 || groups > 0) {
    throw new DemoRefused(
      `hearth demo fills an EMPTY data dir only; ${hearth.config.dataDir} already holds ${people} people and ${groups} groups. Nothing was changed. Point HEARTH_DATA_DIR at a new folder.`,
    );
  }
  if (!hearth.vault.unlocked) throw new DemoRefused("The vault is locked: set HEARTH_KEY_PASSPHRASE so the demo can seal its data.");
}

export async function runDemo(hearth: Hearth, log: (line: string) => void = console.log): Promise<DemoClinic> {
  assertEmpty(hearth);
  const clinic = await createDemoClinic(hearth);
  for (const c of contributors) {
    await c.run(hearth, clinic);
    log(`  added ${c.name} demo data`);
  }
  log("");
  log("Demo clinic ready. Start it with `hearth serve`, then open a link to register that person's passkey:");
  for (const p of [clinic.admin, ...clinic.clinicians, ...clinic.patients]) log(`  ${p.role.padEnd(9)} ${p.name.padEnd(20)} ${p.signInUrl}`);
  log("(Links work once each and expire in 7 days; use a separate browser profile per person.)");
  return clinic;
}
