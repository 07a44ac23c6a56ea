import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { requireViewer } from "../identity/guard.ts";
import { policy, type RoutePolicy } from "../identity/policy.ts";
import { HttpError } from "../ui/errors.ts";
import { fill } from "../ui/i18n.ts";
import { pageFor } from "../ui/request.ts";
import { indexRecording, streamRange } from "./recording-file.ts";
import { MAX_RETENTION_DAYS, checkRetention, deleteRecording, keptRecording, recordingPath, setRetention, startRecordingSweeper } from "./recording-keeping.ts";
import { recordingStrings } from "./recording-strings.ts";
import { provideRecordingConsentExport } from "./recording-fhir.ts";

/**
 * A session's recordings for its facilitators (the clinicians of its group): played from the
 * sealed file, each requested range opened in memory frame by frame (recording-file.ts) so a
 * player can seek, every request audited; deleted by hand; kept for the group's retention.
 */
const GROUP_CLINICIANS: RoutePolicy = { allow: ["clinician"], item: { kind: "group", param: "id" } };
const FileParams = t.Object({ id: t.Numeric({ minimum: 1 }), sessionId: t.Numeric({ minimum: 1 }), fileId: t.Numeric({ minimum: 1 }) });

export const recordingFilePath = (groupId: number, sessionId: number, fileId: number) => `/groups/${groupId}/sessions/${sessionId}/recordings/${fileId}`;
export const retentionPath = (groupId: number) => `/groups/${groupId}/recordings/retention`;
const recordPath = (groupId: number, sessionId: number) => `/groups/${groupId}/sessions/${sessionId}/safety#recordings`;

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` within `size`; null when unsatisfiable. */
export function parseRange(header: string | null, size: number): { start: number; end: number } | "whole" | null {
  if (!header) return "whole";
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}

export function recordingRoutes(hearth: Hearth) {
  startRecordingSweeper(hearth);
  provideRecordingConsentExport(hearth);
  return new Elysia({ name: "recording-routes" })
    .get(
      "/groups/:id/sessions/:sessionId/recordings/:fileId",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = recordingStrings(pageFor(request).locale);
        const r = keptRecording(hearth, params.id, params.sessionId, params.fileId);
        if (!r) throw new HttpError(404, s.filesTitle, s.noRecording);
        const path = recordingPath(hearth, r);
        const { frames, size } = await indexRecording(path);
        const range = parseRange(request.headers.get("range"), size);
        const headers: Record<string, string> = { "content-type": "video/webm", "accept-ranges": "bytes", "cache-control": "no-store" };
        if (range === null) return new Response(s.badRange, { status: 416, headers: { ...headers, "content-type": "text/plain; charset=utf-8", "content-range": `bytes */${size}` } });
        const { start, end } = range === "whole" ? { start: 0, end: size - 1 } : range;
        hearth.audit.append({ actor: `person:${viewer.id}`, action: "recording.played", subject: `recording_file:${r.id}`, ownerId: r.personId, outcome: "ok" });
        headers["content-length"] = String(end - start + 1);
        if (range !== "whole") headers["content-range"] = `bytes ${start}-${end}/${size}`;
        return new Response(streamRange(hearth.vault, path, frames, start, end), { status: range === "whole" ? 200 : 206, headers });
      },
      { params: FileParams, detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/sessions/:sessionId/recordings/:fileId/delete",
      async ({ request, params }) => {
        const viewer = requireViewer(request);
        const s = recordingStrings(pageFor(request).locale);
        const r = keptRecording(hearth, params.id, params.sessionId, params.fileId);
        if (!r) throw new HttpError(404, s.filesTitle, s.noRecording);
        await deleteRecording(hearth, r, viewer.id);
        return new Response(null, { status: 303, headers: { location: recordPath(params.id, params.sessionId) } });
      },
      { params: FileParams, body: t.Optional(t.Object({ _csrf: t.Optional(t.String({ maxLength: 200 })) })), detail: policy(GROUP_CLINICIANS) },
    )
    .post(
      "/groups/:id/recordings/retention",
      ({ request, params, body }) => {
        const viewer = requireViewer(request);
        const s = recordingStrings(pageFor(request).locale);
        const days = checkRetention(body?.days ?? "");
        if (days === null) throw new HttpError(400, s.retentionTitle, fill(s.retentionInvalid, { max: MAX_RETENTION_DAYS }));
        setRetention(hearth, viewer.id, params.id, days);
        const back = body?.session && /^[0-9]{1,12}$/.test(body.session) ? recordPath(params.id, Number(body.session)) : `/groups/${params.id}`;
        return new Response(null, { status: 303, headers: { location: back } });
      },
      {
        params: t.Object({ id: t.Numeric({ minimum: 1 }) }),
        // Generous bounds; the one people are told about is checked above, in words.
        body: t.Optional(t.Object({ days: t.Optional(t.String({ maxLength: 100 })), session: t.Optional(t.String({ maxLength: 12 })), _csrf: t.Optional(t.String({ maxLength: 200 })) })),
        detail: policy(GROUP_CLINICIANS),
      },
    );
}
