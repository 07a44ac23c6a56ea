import { Elysia } from "elysia";
import type { ServerWebSocket } from "bun";
import type { Hearth } from "../context.ts";
import { HttpError } from "../ui/errors.ts";
import { pageFor } from "../ui/request.ts";
import { EVERYONE, policy } from "../identity/policy.ts";
import { MAX_SDP, type ServerMessage } from "./protocol.ts";
import type { Socket } from "./room.ts";
import { RoomRefusal, type Connection, type RoomService, type Ticket } from "./service.ts";
import { roomStrings } from "./strings.ts";
import { mustSayWhere } from "../safety/where-routes.ts";
import { whereStrings } from "../safety/where-strings.ts";
import { formsToSign } from "../portal/group-consent.ts";
import { groupConsentStrings } from "../portal/group-consent-strings.ts";

/**
 * The signaling route: one WebSocket per member at /rooms/:sessionId/ws. Who is asking and
 * whether they may enter is settled before the upgrade (a refused request gets an HTTP error
 * and no socket); everything after is the room's business.
 */

/** A browser page from another site must not open a room socket with this person's cookie. */
function sameOrigin(request: Request, publicUrl: string): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true; // not a browser page: it has no ambient cookie to abuse
  const host = request.headers.get("host");
  const own = new URL(request.url);
  return origin === new URL(publicUrl).origin || (host !== null && origin === `${own.protocol}//${host}`);
}

function adapt(raw: ServerWebSocket<unknown>): Socket {
  return {
    send(message: ServerMessage) {
      if (raw.readyState === 1) raw.send(JSON.stringify(message));
    },
    close(code: number, reason: string) {
      if (raw.readyState === 1) raw.close(code, reason);
    },
  };
}

export function roomRoutes(hearth: Hearth, rooms: RoomService) {
  const tickets = new WeakMap<Request, Ticket>();
  const connections = new WeakMap<object, Connection>();
  return new Elysia({ name: "rooms" }).ws("/rooms/:sessionId/ws", {
    // Signed-in people only (identity's guard); whether this one may enter this room is decided below.
    detail: policy({ allow: EVERYONE }),
    // Seconds without a frame (Bun pings idle sockets) before a silent, dead link counts as closed.
    idleTimeout: 30,
    maxPayloadLength: 2 * MAX_SDP,
    async upgrade({ request, params }) {
      const { locale } = pageFor(request);
      const s = roomStrings(locale);
      if (!sameOrigin(request, hearth.config.publicUrl)) throw new HttpError(403, s.refusedTitle, s.otherOrigin);
      const raw = params.sessionId ?? "";
      const id = /^\d{1,12}$/.test(raw) ? Number(raw) : 0;
      if (!id) throw new HttpError(404, s.refusedTitle, s.noSuchSession);
      try {
        const ticket = await rooms.check(request, id, locale);
        // A group that requires "where are you today" lets nobody knock without it (src/safety).
        if (ticket.role === "member" && mustSayWhere(hearth, ticket.session, ticket.person.personId)) throw new HttpError(409, s.refusedTitle, whereStrings(locale).answerFirst);
        // Nor without the group's required consent forms signed in their latest version (src/portal).
        if (ticket.role === "member" && formsToSign(hearth, ticket.session, ticket.person.personId).length > 0) throw new HttpError(409, s.refusedTitle, groupConsentStrings(locale).signFirst);
        tickets.set(request, ticket);
      } catch (err) {
        if (err instanceof RoomRefusal) throw new HttpError(err.status, roomStrings(err.locale).refusedTitle, err.message);
        throw err;
      }
    },
    open(ws) {
      const ticket = tickets.get(ws.data.request);
      const socket = adapt(ws.raw as ServerWebSocket<unknown>);
      if (!ticket) return socket.close(1011, "no-ticket");
      connections.set(ws.raw, rooms.open(ticket, socket));
    },
    message(ws, message) {
      connections.get(ws.raw)?.receive(message);
    },
    close(ws) {
      connections.get(ws.raw)?.closed();
      connections.delete(ws.raw);
    },
  });
}
