/** The demo library, made through the real service on a temp data dir: each article reaches the people it is recommended to, and only them. */
import { afterAll, expect, test } from "bun:test";
import { tempDir, testConfig } from "../../tests/harness.ts";
import { openHearth } from "../server.ts";
import { createDemoClinic } from "../demo/clinic.ts";
import { libraryDemo } from "./library-demo.ts";
import { libraryItems, mayOpen, recommendedFor } from "./library.ts";

const dir = tempDir();
afterAll(() => dir.remove());

test("the demo library holds articles in three languages and a PDF, each recommended to its readers", async () => {
  const hearth = await openHearth(testConfig(dir.path));
  const clinic = await createDemoClinic(hearth);
  await libraryDemo(hearth, clinic);
  const titles = libraryItems(hearth).map((i) => i.title);
  expect(titles).toContain("Le sommeil, pas à pas");
  expect(titles).toContain("Respirar cuando sube la ansiedad");
  expect(libraryItems(hearth).find((i) => i.kind === "file")?.mime).toBe("application/pdf");
  const titlesFor = (id: number) => recommendedFor(hearth, id, id).map((i) => i.title);
  const [alex, beatrice, carlos] = clinic.patients;
  expect(titlesFor(alex!.id)).toEqual(["Grounding: 5-4-3-2-1", "Sleep, one small step at a time"]);
  expect(titlesFor(beatrice!.id)).toContain("Le sommeil, pas à pas");
  expect(titlesFor(carlos!.id)).toContain("Respirar cuando sube la ansiedad");
  const french = libraryItems(hearth).find((i) => i.title === "Le sommeil, pas à pas")!;
  expect(mayOpen(hearth, { id: carlos!.id, role: "patient" }, french.id)).toBe(false);
  // The last group's members get the panic article; the first group's do not.
  const last = clinic.groups.at(-1)!;
  expect(titlesFor(last.memberIds[0]!)).toContain("Riding the wave of panic");
  expect(titlesFor(alex!.id)).not.toContain("Riding the wave of panic");
});
