/**
 * `hearth demo` on a temp data dir: the clinic is made through the real functions (sealed names,
 * audited), every demo person gets a working one-time link, and a second run (a dir that holds
 * data) is refused without changing anything.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { openHearth } from "../server.ts";
import { invitationByToken } from "../identity/invitations.ts";
import { readGroup } from "../clinic/groups.ts";
import { DemoRefused, runDemo } from "./index.ts";
import { main } from "../cli.ts";

const dir = tempDir();
afterAll(() => dir.remove());

test("demo fills an empty dir, prints a valid link per person, and refuses a dir with data", async () => {
  const hearth = await openHearth(testConfig(dir.path));
  const lines: string[] = [];
  const clinic = await runDemo(hearth, (l) => lines.push(l));
  expect(clinic.clinicians.length).toBe(2);
  expect(clinic.groups.length).toBe(3);
  // A dozen in groups, and one newcomer whose intake waits (src/clinic/demo.ts).
  expect(clinic.patients.length).toBe(13);
  const everyone = [clinic.admin, ...clinic.clinicians, ...clinic.patients];
  for (const p of everyone) {
    expect(lines.some((l) => l.includes(p.signInUrl))).toBe(true);
    const token = p.signInUrl.split("/invite/")[1]!;
    const found = invitationByToken(hearth, token);
    expect(found.state).toBe("valid");
    expect(found.invitation!.personId).toBe(p.id);
  }
  const g = clinic.groups[0]!;
  expect((await readGroup(hearth, g.clinicianId, g.id))?.name).toBe(g.name);
  // Names are sealed at rest.
  hearth.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  expect(readFileSync(join(dir.path, "hearth.db")).includes(Buffer.from(clinic.patients[0]!.name))).toBe(false);
  const before = hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM people").get()!.n;
  await expect(runDemo(hearth, () => {})).rejects.toBeInstanceOf(DemoRefused);
  expect(hearth.db.query<{ n: number }, []>("SELECT count(*) AS n FROM people").get()!.n).toBe(before);
  hearth.db.close();
});

test("the CLI command refuses the same dir with exit code 1", async () => {
  const prev = process.env.HEARTH_DATA_DIR;
  process.env.HEARTH_DATA_DIR = dir.path;
  try {
    expect(await main(["demo"])).toBe(1);
  } finally {
    if (prev === undefined) delete process.env.HEARTH_DATA_DIR;
    else process.env.HEARTH_DATA_DIR = prev;
  }
});
