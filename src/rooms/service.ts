import type { Hearth } from "../context.ts";
import { findSession, sessionState, type GroupSession } from "../clinic/sessions.ts";
import type { Locale } from "../ui/i18n.ts";
import { roomRole, type RoomAccess, type RoomPerson } from "./access.ts";
import { admissionFor, type Admission } from "./admission.ts";
import { closeInterruptedVisits, startHeartbeat } from "./attendance.ts";
import { savesFinished } from "./whiteboard.ts";
import type { MediaHost, MediaLoad } from "./workers/pool.ts";
import type { RoomRole } from "./protocol.ts";
import { CLOSE, Room, type Member, type Socket } from "./room.ts";
import { roomStrings } from "./strings.ts";

/** A refused upgrade: routes.ts turns it into an HTTP status with a readable message. */
export class RoomRefusal extends Error {
  constructor(
    readonly status: 401 | 403 | 404,
    readonly reason: "notSignedIn" | "notInGroup" | "noSuchSession",
    readonly locale: Locale,
  ) {
    super(roomStrings(locale)[reason]);
  }
}

/** Who may open a socket to which room, decided before the WebSocket upgrade. */
export interface Ticket {
  person: RoomPerson;
  role: RoomRole;
  session: GroupSession;
}

export interface RoomServiceOptions {
  /** Where rooms' media runs (workers/pool.ts: SFU worker processes, or this process). */
  media: MediaHost;
  graceMs?: number;
  /** Admission control; by default from the config, the health sampler and the media's load. */
  admission?: Admission;
}

/** One member's socket, as routes.ts holds it: frames in, close out. */
export interface Connection {
  receive(raw: unknown): void;
  closed(): void;
}

/** Seconds a dropped member keeps their place: 30 s of outage, plus the page's reconnect back-off. */
export const DEFAULT_GRACE_MS = 45_000;

/**
 * The live rooms of this appliance: one Room per live session, made when its first person
 * arrives and let go when the session ends or nobody is left.
 */
export class RoomService {
  readonly #rooms = new Map<number, Room>();
  readonly #graceMs: number;
  readonly admission: Admission;
  readonly #stopHeartbeat: () => void;

  constructor(
    private readonly hearth: Hearth,
    readonly access: RoomAccess,
    private readonly options: RoomServiceOptions,
  ) {
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    const media = options.media;
    this.admission = options.admission ?? admissionFor(hearth, () => media.load().forwardedPps, media.load().cores);
    // This process holds every open visit: any still open now was cut off by a crash.
    closeInterruptedVisits(hearth.db);
    this.#stopHeartbeat = startHeartbeat(hearth.db, hearth.now);
  }

  async check(request: Request, sessionId: number, locale: Locale): Promise<Ticket> {
    const person = await this.access.authenticate(request);
    if (!person) throw new RoomRefusal(401, "notSignedIn", locale);
    const session = findSession(this.hearth.db, sessionId);
    if (!session) throw new RoomRefusal(404, "noSuchSession", person.locale);
    const role = roomRole(this.access, person, session);
    if (!role) {
      this.hearth.audit.append({ actor: `person:${person.personId}`, action: "room.join", subject: `group_session:${sessionId}`, outcome: "denied" });
      throw new RoomRefusal(403, "notInGroup", person.locale);
    }
    return { person, role, session };
  }

  /** Connects an admitted-to-upgrade socket to its room. */
  open(ticket: Ticket, socket: Socket): Connection {
    const room = this.#roomFor(ticket.session);
    const member: Member | null = room ? room.connect(ticket.person, ticket.role, socket) : null;
    if (!room || !member) {
      if (!room) {
        socket.send({ type: "error", code: "ended", message: roomStrings(ticket.person.locale).ended });
        socket.close(CLOSE.ended, "ended");
      }
      return { receive() {}, closed() {} };
    }
    return {
      receive: (raw) => void room.receive(member, socket, raw),
      closed: () => room.disconnected(member, socket),
    };
  }

  #roomFor(session: GroupSession): Room | null {
    const live = this.#rooms.get(session.id);
    if (live && !live.ended) return live;
    // Read again: the session may have been closed since the ticket was issued.
    const fresh = findSession(this.hearth.db, session.id);
    if (!fresh || sessionState(fresh) === "closed") return null;
    const room = new Room(fresh, this.hearth, {
      media: (listener) => this.options.media.place(session.id, listener),
      beside: (main, key, listener) => this.options.media.beside(main, key, listener),
      graceMs: this.#graceMs,
      admission: this.admission,
    });
    room.events.on("ended", () => this.#rooms.delete(session.id));
    room.events.on("empty", () => {
      if (this.#rooms.get(session.id) === room) {
        this.#rooms.delete(session.id);
        room.dispose();
      }
    });
    this.#rooms.set(session.id, room);
    return room;
  }

  room(sessionId: number): Room | undefined {
    return this.#rooms.get(sessionId);
  }

  /** What the SFU carries now: forwarded packets/s and each worker's share of its core. */
  load(): MediaLoad {
    return this.options.media.load();
  }

  /** Server shutdown: media stops, sockets are closed by the server; sessions stay as they are. */
  async close(): Promise<void> {
    this.#stopHeartbeat();
    for (const room of this.#rooms.values()) room.dispose();
    this.#rooms.clear();
    // Whiteboards save (sealed) as their rooms go; the database must still be open for it.
    await savesFinished();
    await this.options.media.close();
  }
}
