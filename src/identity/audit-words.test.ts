import { expect, test } from "bun:test";
import { describeAction } from "./audit-words.ts";

test("each capability's audit actions read as what was touched and what was done, in three languages", () => {
  expect(describeAction("en", "journal.listed")).toBe("Journal: viewed");
  expect(describeAction("en", "message.thread_read")).toBe("Messages: viewed");
  expect(describeAction("en", "consent.pdf_downloaded")).toBe("Consent forms: downloaded");
  expect(describeAction("en", "clinical_note.signed")).toBe("Session notes: signed");
  expect(describeAction("en", "worksheet.assigned")).toBe("Worksheets: added");
  expect(describeAction("en", "vitals.device_assigned")).toBe("Vital signs: added");
  expect(describeAction("en", "journal.shared")).toBe("Journal: shared");
  expect(describeAction("en", "journal.unshared")).toBe("Journal: withdrawn or closed");
  expect(describeAction("en", "recording.withdrawn")).toBe("Session recording: withdrawn or closed");
  expect(describeAction("en", "worksheet.draft_saved")).toBe("Worksheets: added");
  expect(describeAction("en", "vitals.threshold_set")).toBe("Vital signs: changed");
  expect(describeAction("fr", "journal.listed")).toBe("Journal : consulté");
  expect(describeAction("es", "measure.read")).toBe("Cuestionarios (PHQ-9, GAD-7): consultado");
});

test("an action of no known capability is shown as it is, not guessed", () => {
  expect(describeAction("en", "mystery.read")).toBe("mystery.read");
  expect(describeAction("en", "viewed.read")).toBe("viewed.read");
  expect(describeAction("en", "nodot")).toBe("nodot");
});
