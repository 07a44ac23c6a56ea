import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { addFile, MaterialError } from "../clinic/materials/store.ts";
import { policy } from "../identity/policy.ts";
import { HttpError } from "../ui/errors.ts";
import { fill, formatDateTime } from "../ui/i18n.ts";
import { pageFor } from "../ui/request.ts";
import { RoomRefusal, type RoomService } from "./service.ts";
import { roomStrings } from "./strings.ts";
import { formatBytes, whiteboardStrings } from "./whiteboard-strings.ts";

/** A picture of a 1600 x 900 board is a few hundred KB; anything near this is not one. */
export const BOARD_PNG_MAX_BYTES = 8 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Passes the stream on only if it starts as a PNG does; errors otherwise (nothing is kept). */
function pngOnly(): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      for (let i = 0; seen < PNG_SIGNATURE.length && i < chunk.length; i++, seen++) {
        if (chunk[i] !== PNG_SIGNATURE[seen]) return controller.error(new MaterialError("file", "type"));
      }
      controller.enqueue(chunk);
    },
  });
}

/**
 * "Save as picture": the facilitator's page renders the board to PNG and posts it here; it goes,
 * streamed and sealed, into the session's materials (the materials of its scheduled occurrence, or
 * the group's for a session held on the spot), where the group's members find it. Who may is the
 * room's own decision (RoomService.check): a clinician of this session's group.
 */
export function whiteboardRoutes(hearth: Hearth, rooms: RoomService) {
  return new Elysia({ name: "whiteboard" }).post(
    "/rooms/:sessionId/board.png",
    async ({ request, params }) => {
      const { locale } = pageFor(request);
      const s = whiteboardStrings(locale);
      const refused = roomStrings(locale);
      let ticket;
      try {
        ticket = await rooms.check(request, params.sessionId, locale);
      } catch (err) {
        if (err instanceof RoomRefusal) throw new HttpError(err.status, refused.refusedTitle, err.message);
        throw err;
      }
      if (ticket.role !== "clinician") throw new HttpError(403, s.title, s.notFacilitator);
      const tooLarge = fill(s.pngTooLarge, { max: formatBytes(BOARD_PNG_MAX_BYTES) });
      if (Number(request.headers.get("content-length") ?? "0") > BOARD_PNG_MAX_BYTES) throw new HttpError(413, s.title, tooLarge);
      if (!request.body) throw new HttpError(400, s.title, s.pngNotPng);
      const occurrence = hearth.db
        .query<{ scheduleId: number | null; wall: number | null }, [number]>("SELECT schedule_id AS scheduleId, wall FROM group_sessions WHERE id = ?")
        .get(ticket.session.id);
      const title = fill(s.pictureTitle, { when: formatDateTime(locale, hearth.now()) });
      let id: number;
      try {
        id = await addFile(
          hearth,
          ticket.person.personId,
          { groupId: ticket.session.groupId, scheduleId: occurrence?.scheduleId ?? null, wall: occurrence?.scheduleId ? occurrence.wall : null },
          title,
          request.body.pipeThrough(pngOnly()),
          BOARD_PNG_MAX_BYTES,
        );
      } catch (err) {
        if (err instanceof MaterialError) throw new HttpError(err.reason === "too-large" ? 413 : 400, s.title, err.reason === "too-large" ? tooLarge : s.pngNotPng);
        throw err;
      }
      hearth.audit.append({ actor: `person:${ticket.person.personId}`, action: "whiteboard.exported", subject: `group_session:${ticket.session.id}`, outcome: "ok" });
      return Response.json({ materialId: id, message: s.exported }, { status: 201 });
    },
    {
      // The body is the picture itself, streamed into the materials: never parsed, never buffered.
      parse: "none",
      params: t.Object({ sessionId: t.Numeric({ minimum: 1 }) }),
      // Clinicians only; whether this one runs this session is the room's decision above.
      detail: policy({ allow: ["clinician"] }),
    },
  );
}
