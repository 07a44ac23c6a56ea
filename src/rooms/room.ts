import type { Hearth } from "../context.ts";
import { closeSession, openSession, type GroupSession } from "../clinic/sessions.ts";
import { log } from "../log.ts";
import type { Locale } from "../ui/i18n.ts";
import type { RoomPerson } from "./access.ts";
import { headroomView, type Admission, type RoomShape } from "./admission.ts";
import { endVisit, markAdmitted, markAway, markBack, startVisit, type VisitOutcome } from "./attendance.ts";
import { Emitter } from "./events.ts";
import { FeatureHost, type FeatureFactory, type LeftBecause } from "./feature.ts";
import { roomFeatures } from "./features.ts";
import type { MediaChoices, MediaListener, MemberMediaStats, RoomMedia } from "./media.ts";
import { MAIN, Placement, type OpenBeside, type PlaceListener } from "./placement.ts";
import type { RecordTarget } from "./recorder.ts";
import type { Offer } from "./peer.ts";
import { ProtocolError } from "./peer.ts";
import {
  CLINICIAN_ONLY,
  WAITING_ALLOWED,
  parseClientMessage,
  type ClientMessage,
  type ClientMessageOf,
  type ErrorCode,
  type HeadroomView,
  type MemberState,
  type MemberView,
  type RoomRole,
  type ServerMessage,
} from "./protocol.ts";
import { roomStrings } from "./strings.ts";
import { relayFor } from "./relay.ts";

/** The room's side of one member's WebSocket (routes.ts adapts Elysia's). */
export interface Socket {
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}

/** WebSocket close codes the client acts on (see docs/room-protocol.md). */
export const CLOSE = { left: 1000, declined: 4403, removed: 4403, replaced: 4409, ended: 4410, locked: 4423, flood: 4429 } as const;

/** How often the clinician's view of the box's headroom is refreshed when nothing else changes. */
const HEADROOM_EVERY_MS = 2000;
/** Message budget per socket: a burst of 40, then 20 a second. */
const BURST = 40;
const PER_SECOND = 20;

export interface RoomEvents extends Record<string, unknown> {
  changed: { sessionId: number };
  speaking: { sessionId: number; memberId: number; speaking: boolean };
  /** The room has nobody left in it (the session itself may still be live). */
  empty: { sessionId: number };
  ended: { sessionId: number };
}

export interface RoomOptions {
  /** Where this room's media runs: in this process, or in an SFU worker (service.ts decides). */
  media: (listener: MediaListener) => RoomMedia;
  /** A breakout's media on the same worker as the main room's (placement.ts); in process when absent. */
  beside?: OpenBeside;
  /** How long a member whose connection dropped keeps their place (admitted, not re-knocking). */
  graceMs: number;
  /**
   * The appliance's admission control, shared by every room (src/rooms/admission.ts); RoomService
   * always passes it. Without one (a Room built by hand in a test) everyone gets video.
   */
  admission?: Admission;
  /** The room's tools (feature.ts); every room gets those of features.ts unless a test says otherwise. */
  features?: readonly FeatureFactory[];
}

class Member {
  state: MemberState = "waiting";
  socket: Socket | null = null;
  /** The room's media has a peer connection for them (admitted, with a socket). */
  inMedia = false;
  visitId = 0;
  /** When the current admission began: what a feature may catch them up on starts here. */
  admittedAt = 0;
  mic = true;
  camera = true;
  audioOnly = false;
  /** Audio-only because the box was at capacity, not by their choice: they still want video. */
  heldAudioOnly = false;
  lowBandwidth = false;
  sharing = false;
  awayTimer: ReturnType<typeof setTimeout> | null = null;
  tokens = BURST;
  tokensAt = 0;

  constructor(
    readonly id: number,
    readonly personId: number,
    readonly name: string,
    readonly role: RoomRole,
    public locale: Locale,
  ) {}
}

/**
 * One live session: the single owner of its members, waiting room, media routing and
 * clinician controls. Every change goes through a method here; sockets and peers only report.
 */
export class Room {
  readonly events = new Emitter<RoomEvents>();
  locked = false;
  screensAllowed = false;
  #ended = false;
  #disposed = false;
  readonly #members = new Map<number, Member>();
  readonly #byPerson = new Map<number, Member>();
  readonly #removed = new Set<number>();
  #nextId = 1;
  /** Members whose audio says they are speaking (from the media's speaking reports). */
  readonly #speakingNow = new Set<number>();
  /** Which media (the main room's or a breakout's) carries each member (placement.ts). */
  readonly #placement: Placement;
  /** What the clinicians were last told of the box's headroom (level, share in steps of 5, joins left). */
  #headroomSent = "";
  readonly #headroomTick: ReturnType<typeof setInterval>;
  readonly #features: FeatureHost<Member>;

  constructor(
    readonly session: GroupSession,
    private readonly hearth: Hearth,
    private readonly options: RoomOptions,
  ) {
    this.#placement = new Placement(session.id, options.media, options.beside ?? ((_main, _key, l) => options.media(l)), this.#mediaListener);
    this.#headroomTick = setInterval(() => this.#refreshHeadroom(), HEADROOM_EVERY_MS);
    const room = {
      members: () => this.#members.values(),
      send: (m: Member, msg: ServerMessage) => this.#send(m, msg),
      record: (target: RecordTarget | null) => this.#placement.main.record(target),
      readyToRecord: () => this.#placement.main.readyToRecord(),
      places: {
        placeOf: (memberId: number) => this.#placement.placeOf(memberId),
        move: (memberId: number, place: number) => this.#move(memberId, place),
        closeBreakouts: () => this.#placement.closeBreakouts(),
      },
    };
    this.#features = new FeatureHost(session.id, hearth, room, options.features ?? roomFeatures);
  }

  /** What the media of every place reports, for members the room still counts as in. */
  readonly #mediaListener: PlaceListener = {
    offer: (memberId: number, offer: Offer) => {
      const m = this.#members.get(memberId);
      // Only members in media (admitted) get offers, so only they get a relay credential.
      if (m?.inMedia) this.#send(m, { type: "offer", ...offer, ...(offer.fresh ? relayFor(this.hearth) : {}) });
    },
    speaking: (memberId: number, speaking: boolean) => {
      const m = this.#members.get(memberId);
      if (speaking && (!m?.inMedia || !m.mic)) return;
      if (speaking === this.#speakingNow.has(memberId)) return;
      if (speaking) this.#speakingNow.add(memberId);
      else this.#speakingNow.delete(memberId);
      this.#broadcast({ type: "speaking", memberId, speaking });
    },
    restarted: (place: number) => {
      // The worker that carried this place's media died and a new one took over: everyone in
      // it gets a fresh connection (their page answers it on a new RTCPeerConnection).
      for (const m of this.#members.values()) {
        if (this.#placement.placeOf(m.id) !== place) continue;
        this.#speakingNow.delete(m.id);
        if (m.inMedia) this.#mediaOf(m).start(m.id, this.#choices(m));
      }
      if (place === MAIN) this.#features.mediaRestarted();
    },
    recorded: (file) => this.#features.recorded(file),
  };

  get id(): number {
    return this.session.id;
  }

  get ended(): boolean {
    return this.#ended;
  }

  // ---- arriving and leaving ----------------------------------------------------------------

  /** A person's socket opened. Returns the member, or null when the room refused them. */
  connect(person: RoomPerson, role: RoomRole, socket: Socket): Member | null {
    if (this.#ended || this.#disposed) return this.#refuse(socket, person.locale, "ended", CLOSE.ended);
    if (this.#removed.has(person.personId)) return this.#refuse(socket, person.locale, "removed", CLOSE.removed);
    const existing = this.#byPerson.get(person.personId);
    if (existing) return this.#resume(existing, person, socket);
    if (role === "member" && this.locked) return this.#refuse(socket, person.locale, "locked", CLOSE.locked);
    const member = new Member(this.#nextId++, person.personId, person.displayName, role, person.locale);
    member.socket = socket;
    this.#members.set(member.id, member);
    this.#byPerson.set(person.personId, member);
    const now = this.hearth.now();
    member.visitId = startVisit(this.hearth.db, this.id, person.personId, now);
    if (role === "clinician") {
      if (openSession(this.hearth.db, this.id, person.personId, now)) {
        this.session.openedAt = now;
        this.#audit(member, "session.opened", null);
      }
      this.#send(member, { type: "welcome", memberId: member.id, role, state: "admitted", resumed: false });
      this.#admit(member, member);
    } else {
      this.#send(member, { type: "welcome", memberId: member.id, role, state: "waiting", resumed: false });
      this.#send(member, { type: "waiting", reason: "knocked" });
      this.#changed();
    }
    return member;
  }

  /** The same person again: a new tab, or back after a dropped connection. No new knock. */
  #resume(member: Member, person: RoomPerson, socket: Socket): Member {
    const old = member.socket;
    member.socket = socket;
    member.locale = person.locale;
    if (old) {
      old.send(this.#error(member, "replaced"));
      old.close(CLOSE.replaced, "replaced");
    }
    if (member.awayTimer) clearTimeout(member.awayTimer);
    member.awayTimer = null;
    this.#send(member, { type: "welcome", memberId: member.id, role: member.role, state: member.state === "away" ? "admitted" : member.state, resumed: true });
    if (member.state === "waiting") {
      this.#send(member, { type: "waiting", reason: "knocked" });
      return member;
    }
    // The page is new (or its connection is): media starts over on a fresh peer connection.
    this.#stopMedia(member);
    member.state = "admitted";
    markBack(this.hearth.db, member.visitId);
    this.#send(member, { type: "admitted" });
    // Their place (with video or without) was kept; a new page must hear why it is sound only.
    if (member.heldAudioOnly) this.#tellHeld(member);
    this.#startMedia(member);
    this.#changed();
    this.#features.admitted(member, true);
    return member;
  }

  /** A socket closed. A member who was in keeps their place for the grace period. */
  disconnected(member: Member, socket: Socket): void {
    if (member.socket !== socket || this.#disposed) return; // an old, replaced socket, or shutdown
    member.socket = null;
    if (member.state === "waiting") return this.#forget(member, "left");
    this.#stopMedia(member);
    member.state = "away";
    markAway(this.hearth.db, member.visitId, this.hearth.now());
    member.awayTimer = setTimeout(() => this.#forget(member, "dropped"), this.options.graceMs);
    this.#changed();
  }

  #forget(member: Member, outcome: VisitOutcome): void {
    if (member.awayTimer) clearTimeout(member.awayTimer);
    member.awayTimer = null;
    this.#stopMedia(member);
    this.#placement.forget(member.id);
    endVisit(this.hearth.db, member.visitId, outcome, this.hearth.now());
    this.#members.delete(member.id);
    this.#byPerson.delete(member.personId);
    if (member.state !== "waiting") this.#features.left(member, outcome as LeftBecause);
    this.#changed();
    if (this.#members.size === 0) this.events.emit("empty", { sessionId: this.id });
  }

  /** Closes a member's socket; detached first, so its close event is not taken for a drop-out. */
  #hangUp(member: Member, code: number, reason: string): void {
    const socket = member.socket;
    member.socket = null;
    socket?.close(code, reason);
  }

  #refuse(socket: Socket, locale: Locale, code: ErrorCode, close: number): null {
    socket.send({ type: "error", code, message: roomStrings(locale)[code] });
    socket.close(close, code);
    return null;
  }

  // ---- messages ----------------------------------------------------------------------------

  /** One frame from a member's socket. Never throws: bad input gets an error message back. */
  async receive(member: Member, socket: Socket, raw: unknown): Promise<void> {
    if (member.socket !== socket || this.#ended || this.#disposed) return;
    if (!this.#withinBudget(member)) {
      this.#send(member, this.#error(member, "too-many-messages"));
      socket.close(CLOSE.flood, "too-many-messages");
      return;
    }
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) return this.#send(member, this.#error(member, parsed.code, parsed.type));
    const msg = parsed.message;
    if (CLINICIAN_ONLY.has(msg.type) && member.role !== "clinician") return this.#send(member, this.#error(member, "not-clinician", msg.type));
    if (member.state !== "admitted" && !WAITING_ALLOWED.has(msg.type)) return this.#send(member, this.#error(member, "not-admitted", msg.type));
    try {
      await this.#dispatch(member, msg);
    } catch (err) {
      if (err instanceof ProtocolError) return this.#send(member, this.#error(member, err.code as ErrorCode, msg.type));
      log.error("room message failed", { session: this.id, type: msg.type, kind: (err as Error).name });
    }
  }

  #withinBudget(member: Member): boolean {
    const now = performance.now();
    member.tokens = Math.min(BURST, member.tokens + ((now - member.tokensAt) / 1000) * PER_SECOND);
    member.tokensAt = now;
    if (member.tokens < 1) return false;
    member.tokens -= 1;
    return true;
  }

  async #dispatch(member: Member, msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case "answer":
        return this.#mediaReply(member, msg.type, member.inMedia ? this.#mediaOf(member).answer(member.id, msg.seq, msg.sdp) : null);
      case "candidate":
        return this.#mediaReply(member, msg.type, member.inMedia ? this.#mediaOf(member).candidate(member.id, msg.candidate, msg.sdpMid, msg.sdpMLineIndex) : null);
      case "restart-media":
        if (member.inMedia) this.#mediaOf(member).restart(member.id);
        return;
      case "mic":
        return this.#setMic(member, msg.on);
      case "camera":
        return this.#setCamera(member, msg.on);
      case "share":
        return this.#setSharing(member, msg.on);
      case "mode":
        return this.#setMode(member, msg);
      case "view":
        if (member.inMedia) this.#mediaOf(member).view(member.id, msg.tiles.map((t) => [`${t.memberId}:${t.source}`, t.width]));
        return;
      case "leave":
        this.#hangUp(member, CLOSE.left, "left");
        return this.#forget(member, "left");
      default:
        if (this.#features.handles(msg.type)) return this.#features.receive(member, msg);
        return this.#clinicianAction(member, msg);
    }
  }

  async #mediaReply(member: Member, ref: string, reply: Promise<ErrorCode | null> | null): Promise<void> {
    const code = await reply;
    if (code) this.#send(member, this.#error(member, code, ref));
  }

  #clinicianAction(clinician: Member, msg: ClientMessage): void {
    switch (msg.type) {
      case "admit-all":
        for (const m of this.#members.values()) if (m.state === "waiting") this.#admit(m, clinician);
        return;
      case "lock":
        this.locked = msg.locked;
        this.#audit(clinician, msg.locked ? "room.locked" : "room.unlocked", null);
        return this.#changed();
      case "allow-screens":
        this.screensAllowed = msg.allowed;
        if (!msg.allowed) for (const m of this.#members.values()) if (m.role === "member" && m.sharing) this.#setSharing(m, false);
        return this.#changed();
      case "end":
        return this.end(clinician);
      case "admit":
      case "decline":
      case "mute":
      case "to-waiting":
      case "remove":
        return this.#onMember(clinician, msg);
    }
  }

  #onMember(clinician: Member, msg: ClientMessageOf<"admit" | "decline" | "mute" | "to-waiting" | "remove">): void {
    const target = this.#members.get(msg.memberId);
    const waitingOnly = msg.type === "admit" || msg.type === "decline";
    if (!target || target.role !== "member" || (waitingOnly ? target.state !== "waiting" : target.state === "waiting")) {
      return this.#send(clinician, this.#error(clinician, "no-such-member", msg.type));
    }
    switch (msg.type) {
      case "admit":
        return this.#admit(target, clinician);
      case "decline":
        this.#audit(clinician, "room.declined", target);
        this.#send(target, { type: "declined" });
        this.#hangUp(target, CLOSE.declined, "declined");
        return this.#forget(target, "declined");
      case "mute":
        this.#audit(clinician, "room.muted", target);
        this.#send(target, { type: "muted" });
        return this.#setMic(target, false);
      case "to-waiting":
        return this.#sendBack(target, clinician);
      case "remove":
        this.#audit(clinician, "room.removed", target);
        this.#removed.add(target.personId);
        this.#stopMedia(target);
        this.#send(target, { type: "removed" });
        this.#hangUp(target, CLOSE.removed, "removed");
        return this.#forget(target, "removed");
    }
  }

  #admit(member: Member, by: Member): void {
    member.state = "admitted";
    member.admittedAt = this.hearth.now();
    markAdmitted(this.hearth.db, member.visitId, by.personId, member.admittedAt);
    if (by !== member) this.#audit(by, "room.admitted", member);
    this.#send(member, { type: "admitted" });
    this.#weigh(member);
    this.#startMedia(member);
    this.#changed();
    this.#features.admitted(member, false);
  }

  /**
   * Admission control, before the first offer: a member whose video would push the box past its
   * safe load comes in with sound only and is told why. Clinicians always get video.
   */
  #weigh(member: Member): void {
    const admission = this.options.admission;
    if (!admission) return;
    const shape = this.#shape(member);
    if (member.role === "clinician") {
      admission.consider(shape, { clinician: true });
      return;
    }
    const decision = admission.consider(shape, { wantsVideo: !member.audioOnly || member.heldAudioOnly });
    member.heldAudioOnly = decision.reason === "capacity" || decision.reason === "cpu";
    if (member.heldAudioOnly) {
      member.audioOnly = true;
      member.sharing = false;
      this.#tellHeld(member);
    } else if (decision.reason === "fits") {
      member.audioOnly = false;
    }
  }

  #tellHeld(member: Member): void {
    this.#send(member, { type: "audio-only", reason: "capacity", message: roomStrings(member.locale)["at-capacity"] });
  }

  /** The room as a newcomer (`joiner`, or anyone) would find it: who sends and receives what. */
  #shape(joiner: Member | null): RoomShape {
    const shape = { videoSenders: 0, audioSenders: 0, receivers: 0, videoReceivers: 0 };
    for (const m of this.#members.values()) {
      if (m === joiner || !m.inMedia) continue;
      shape.receivers++;
      shape.audioSenders++;
      if (!m.audioOnly) {
        shape.videoReceivers++;
        shape.videoSenders += (m.camera ? 1 : 0) + (m.sharing ? 1 : 0);
      }
    }
    return shape;
  }

  #sendBack(member: Member, clinician: Member): void {
    this.#audit(clinician, "room.sent_to_waiting", member);
    this.#stopMedia(member);
    this.#placement.forget(member.id);
    const now = this.hearth.now();
    endVisit(this.hearth.db, member.visitId, "sent-back", now);
    member.visitId = startVisit(this.hearth.db, this.id, member.personId, now);
    member.state = "waiting";
    member.sharing = false;
    this.#features.left(member, "sent-back");
    this.#send(member, { type: "waiting", reason: "sent-back" });
    this.#changed();
  }

  /** Ends the session for everyone: media stops, sockets close, the session is closed for good. */
  end(by: Member | null): void {
    if (this.#ended) return;
    this.#ended = true;
    const now = this.hearth.now();
    if (closeSession(this.hearth.db, this.id, now)) this.session.closedAt = now;
    if (by) this.#audit(by, "session.closed", null);
    this.#features.ended();
    for (const m of [...this.#members.values()]) {
      this.#stopMedia(m);
      this.#send(m, { type: "ended" });
      this.#hangUp(m, CLOSE.ended, "ended");
      if (m.awayTimer) clearTimeout(m.awayTimer);
      endVisit(this.hearth.db, m.visitId, "ended", now);
    }
    this.#members.clear();
    this.#byPerson.clear();
    this.dispose();
    this.events.emit("ended", { sessionId: this.id });
  }

  /**
   * Stops timers and media without closing the session (server shutdown, empty room). Visits
   * still open end as dropped: whoever comes back after a restart starts a new one.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearInterval(this.#headroomTick);
    this.#features.dispose();
    const now = this.hearth.now();
    for (const m of this.#members.values()) {
      this.#stopMedia(m);
      if (m.awayTimer) clearTimeout(m.awayTimer);
      endVisit(this.hearth.db, m.visitId, "dropped", now);
    }
    this.#placement.close();
  }

  // ---- member's own media choices ------------------------------------------------------------

  #setMic(member: Member, on: boolean): void {
    member.mic = on;
    if (member.inMedia) this.#mediaOf(member).mic(member.id, on);
    if (!on && this.#speakingNow.delete(member.id)) this.#broadcast({ type: "speaking", memberId: member.id, speaking: false });
    this.#changed();
  }

  #setCamera(member: Member, on: boolean): void {
    if (on && member.audioOnly) throw new ProtocolError("audio-only");
    member.camera = on;
    if (member.inMedia) this.#mediaOf(member).upstream(member.id, "camera", on);
    this.#changed();
  }

  #setSharing(member: Member, on: boolean): void {
    if (on && member.role !== "clinician" && !this.screensAllowed) throw new ProtocolError("screens-not-allowed");
    if (on && member.audioOnly) throw new ProtocolError("audio-only");
    member.sharing = on;
    if (member.inMedia) this.#mediaOf(member).upstream(member.id, "screen", on);
    this.#changed();
  }

  /**
   * Audio-only: the member neither sends nor receives video, and the server stops forwarding
   * it to them (media.ts removes their video consumers, not just hides them).
   */
  #setMode(member: Member, msg: ClientMessageOf<"mode">): void {
    // Video again, while in the room: only if the box can carry it (a waiting member is weighed on admission).
    if (msg.audioOnly === false && member.audioOnly && member.inMedia && member.role === "member" && this.options.admission) {
      if (this.options.admission.considerVideo(this.#shape(member)).audioOnly) throw new ProtocolError("at-capacity");
    }
    if (msg.lowBandwidth !== undefined) member.lowBandwidth = msg.lowBandwidth;
    if (msg.audioOnly !== undefined) {
      member.audioOnly = msg.audioOnly;
      // Chosen now, or granted: either way no longer held by the box.
      member.heldAudioOnly = member.heldAudioOnly && !msg.audioOnly && !member.inMedia;
    }
    if (member.audioOnly) member.sharing = false;
    if (member.inMedia) this.#mediaOf(member).mode(member.id, member.audioOnly, member.lowBandwidth);
    this.#changed();
  }

  // ---- media -------------------------------------------------------------------------------

  #choices(m: Member): MediaChoices {
    return { mic: m.mic, camera: m.camera, sharing: m.sharing, audioOnly: m.audioOnly, lowBandwidth: m.lowBandwidth };
  }

  #mediaOf(member: Member): RoomMedia {
    return this.#placement.of(member.id);
  }

  #startMedia(member: Member): void {
    member.inMedia = true;
    this.#mediaOf(member).start(member.id, this.#choices(member));
  }

  /** To another place (breakouts.ts): media stops here and starts there, the page gets a fresh offer. */
  #move(memberId: number, place: number): void {
    const member = this.#members.get(memberId);
    if (!member || this.#placement.placeOf(memberId) === place) return;
    const had = member.inMedia;
    this.#stopMedia(member);
    this.#placement.set(memberId, place);
    if (had) this.#startMedia(member);
  }

  /** Both directions stop at once: nothing more is forwarded to or from them. */
  #stopMedia(member: Member): void {
    if (!member.inMedia) return;
    member.inMedia = false;
    this.#mediaOf(member).stop(member.id);
    if (this.#speakingNow.delete(member.id)) this.#broadcast({ type: "speaking", memberId: member.id, speaking: false });
  }

  // ---- telling people ----------------------------------------------------------------------

  #view(m: Member): MemberView {
    const speaking = this.#speakingNow.has(m.id);
    return {
      id: m.id,
      name: m.name,
      role: m.role,
      state: m.state,
      mic: m.mic,
      camera: m.camera && !m.audioOnly,
      audioOnly: m.audioOnly,
      sharing: m.sharing,
      speaking,
    };
  }

  /** Sends the room as each person may see it: waiting members see nobody; clinicians see the queue and the box's headroom. */
  #changed(): void {
    if (this.#ended) return;
    this.#sendRoom(false);
    this.events.emit("changed", { sessionId: this.id });
  }

  #sendRoom(cliniciansOnly: boolean): void {
    const inside = [...this.#members.values()].filter((m) => m.state !== "waiting");
    const members = inside.map((m) => this.#view(m));
    const waiting = [...this.#members.values()].filter((m) => m.state === "waiting").map((m) => ({ id: m.id, name: m.name }));
    const base = { type: "room" as const, locked: this.locked, screensAllowed: this.screensAllowed, members };
    const clinicians = inside.some((m) => m.role === "clinician");
    const headroom = clinicians && this.options.admission ? this.#headroom(this.options.admission) : undefined;
    for (const m of inside) {
      if (m.role === "clinician") this.#send(m, { ...base, waiting, headroom });
      else if (!cliniciansOnly) this.#send(m, base);
    }
  }

  #headroom(admission: Admission): HeadroomView {
    const view = headroomView(admission.headroom(this.#shape(null)));
    this.#headroomSent = `${view.level}:${Math.round(view.percentFree / 5)}:${view.videoJoinsLeft}`;
    return view;
  }

  /** The load moves without the room changing: clinicians hear of it when their view would. */
  #refreshHeadroom(): void {
    if (this.#ended || this.#disposed || !this.options.admission) return;
    const view = headroomView(this.options.admission.headroom(this.#shape(null)));
    const key = `${view.level}:${Math.round(view.percentFree / 5)}:${view.videoJoinsLeft}`;
    if (key !== this.#headroomSent) this.#sendRoom(true);
  }

  #broadcast(message: ServerMessage): void {
    for (const m of this.#members.values()) if (m.state === "admitted") this.#send(m, message);
    if (message.type === "speaking") this.events.emit("speaking", { sessionId: this.id, memberId: message.memberId, speaking: message.speaking });
  }

  #send(member: Member, message: ServerMessage): void {
    member.socket?.send(message);
  }

  #error(member: Member, code: ErrorCode, ref?: string): ServerMessage {
    return { type: "error", code, message: roomStrings(member.locale)[code], ...(ref ? { ref } : {}) };
  }

  #audit(actor: Member, action: string, target: Member | null): void {
    this.hearth.audit.append({
      actor: `person:${actor.personId}`,
      action,
      subject: `group_session:${this.id}`,
      ownerId: target?.personId ?? null,
      outcome: "ok",
    });
  }

  // ---- for tests, the bench and the appliance's capacity view ----------------------------------

  /** Counts only: who is here and what flows, without names. */
  async stats(): Promise<{ members: (MemberMediaStats & { state: MemberState; role: RoomRole; audioOnly: boolean; place: number })[] }> {
    const media = await this.#placement.stats();
    const byId = new Map(media.members.map((m) => [m.id, m]));
    return {
      members: [...this.#members.values()].map((m) => ({
        id: m.id,
        state: m.state,
        role: m.role,
        audioOnly: m.audioOnly,
        place: this.#placement.placeOf(m.id),
        producers: [],
        consumers: [],
        peer: null,
        estimateKbps: null,
        ...byId.get(m.id),
      })),
    };
  }

  memberByPerson(personId: number): { id: number; state: MemberState } | null {
    const m = this.#byPerson.get(personId);
    return m ? { id: m.id, state: m.state } : null;
  }
}

export type { Member };
