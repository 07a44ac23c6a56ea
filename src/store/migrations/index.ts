// Migrations are embedded in the binary (bun build --compile) by importing them as text.
// Ranges keep capabilities from colliding: 0001-0009 core, 0010 identity,
// 0020 clinic, 0030 rooms, 0040 portal, 0050 vitals.
import core from "./0001_core.sql" with { type: "text" };
import identity from "./0010_identity.sql" with { type: "text" };
import clinic from "./0020_clinic.sql" with { type: "text" };
import clinicSealedGroups from "./0021_clinic_sealed_groups.sql" with { type: "text" };
import notify from "./0022_notify.sql" with { type: "text" };
import schedules from "./0023_schedules.sql" with { type: "text" };
import materials from "./0024_materials.sql" with { type: "text" };
import calendarFeeds from "./0025_calendar_feeds.sql" with { type: "text" };
import intake from "./0026_intake.sql" with { type: "text" };
import rooms from "./0030_rooms.sql" with { type: "text" };
import chat from "./0031_chat.sql" with { type: "text" };
import polls from "./0032_polls.sql" with { type: "text" };
import attendancePresence from "./0035_attendance_presence.sql" with { type: "text" };
import whiteboards from "./0036_whiteboards.sql" with { type: "text" };
import portalJournals from "./0040_portal_journals.sql" with { type: "text" };
import portalMessages from "./0041_portal_messages.sql" with { type: "text" };
import portalWorksheets from "./0042_portal_worksheets.sql" with { type: "text" };
import portalDocuments from "./0043_portal_documents.sql" with { type: "text" };
import portalConsent from "./0044_portal_consent.sql" with { type: "text" };
import portalGoals from "./0045_portal_goals.sql" with { type: "text" };
import portalErasure from "./0046_portal_erasure.sql" with { type: "text" };
import portalMessageAttachments from "./0047_portal_message_attachments.sql" with { type: "text" };
import portalLibrary from "./0048_portal_library.sql" with { type: "text" };
import portalGroupConsent from "./0049_portal_group_consent.sql" with { type: "text" };
import vitals from "./0050_vitals.sql" with { type: "text" };
import vitalsCare from "./0051_vitals_care.sql" with { type: "text" };
import safetyResources from "./0060_safety_resources.sql" with { type: "text" };
import safetyRoom from "./0061_safety_room.sql" with { type: "text" };
import safetyGuests from "./0062_safety_guests.sql" with { type: "text" };
import recordingConsent from "./0063_recording_consent.sql" with { type: "text" };
import recordingFiles from "./0064_recording_files.sql" with { type: "text" };
import recordingKeeping from "./0065_recording_keeping.sql" with { type: "text" };
import recordingUnfinished from "./0066_recording_unfinished.sql" with { type: "text" };
import recordMeasures from "./0070_record_measures.sql" with { type: "text" };
import recordNotes from "./0071_record_notes.sql" with { type: "text" };
import recordBilling from "./0072_record_billing.sql" with { type: "text" };
import recordNoteTemplates from "./0073_record_note_templates.sql" with { type: "text" };
import roomComfort from "./0085_room_comfort.sql" with { type: "text" };

export interface Migration {
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  { name: "0001_core", sql: core },
  { name: "0010_identity", sql: identity },
  { name: "0020_clinic", sql: clinic },
  { name: "0021_clinic_sealed_groups", sql: clinicSealedGroups },
  { name: "0022_notify", sql: notify },
  { name: "0023_schedules", sql: schedules },
  { name: "0024_materials", sql: materials },
  { name: "0025_calendar_feeds", sql: calendarFeeds },
  { name: "0026_intake", sql: intake },
  { name: "0030_rooms", sql: rooms },
  { name: "0031_chat", sql: chat },
  { name: "0032_polls", sql: polls },
  { name: "0035_attendance_presence", sql: attendancePresence },
  { name: "0036_whiteboards", sql: whiteboards },
  { name: "0040_portal_journals", sql: portalJournals },
  { name: "0041_portal_messages", sql: portalMessages },
  { name: "0042_portal_worksheets", sql: portalWorksheets },
  { name: "0043_portal_documents", sql: portalDocuments },
  { name: "0044_portal_consent", sql: portalConsent },
  { name: "0045_portal_goals", sql: portalGoals },
  { name: "0046_portal_erasure", sql: portalErasure },
  { name: "0047_portal_message_attachments", sql: portalMessageAttachments },
  { name: "0048_portal_library", sql: portalLibrary },
  { name: "0049_portal_group_consent", sql: portalGroupConsent },
  { name: "0050_vitals", sql: vitals },
  { name: "0051_vitals_care", sql: vitalsCare },
  { name: "0060_safety_resources", sql: safetyResources },
  { name: "0061_safety_room", sql: safetyRoom },
  { name: "0062_safety_guests", sql: safetyGuests },
  { name: "0063_recording_consent", sql: recordingConsent },
  { name: "0064_recording_files", sql: recordingFiles },
  { name: "0065_recording_keeping", sql: recordingKeeping },
  { name: "0066_recording_unfinished", sql: recordingUnfinished },
  { name: "0070_record_measures", sql: recordMeasures },
  { name: "0071_record_notes", sql: recordNotes },
  { name: "0072_record_billing", sql: recordBilling },
  { name: "0073_record_note_templates", sql: recordNoteTemplates },
  { name: "0085_room_comfort", sql: roomComfort },
];
