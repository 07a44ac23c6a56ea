import type { Hearth } from "../context.ts";
import { closeSession, openSession, type GroupSession } from "../clinic/sessions.ts";
import { log } from "../log.ts";
import type { Locale } from "../ui/i18n.ts";
import type { RoomPerson } from "./access.ts";
import { endVisit, markAdmitted, startVisit, type VisitOutcome } from "./attendance.ts";
import { Emitter } from "./events.ts";
import type { RtcSettings } from "./ice.ts";
import { chooseLayer } from "./layers.ts";
import { Peer, ProtocolError } from "./peer.ts";
import {
  CLINICIAN_ONLY,
  WAITING_ALLOWED,
  parseClientMessage,
  type ClientMessage,
  type ClientMessageOf,
  type ErrorCode,
  type MemberState,
  type MemberView,
  type RoomRole,
  type ServerMessage,
} from "./protocol.ts";
import { Router, type Consumer, type Producer, type Source } from "./router.ts";
import { roomStrings } from "./strings.ts";

/** The room's side of one member's WebSocket (routes.ts adapts Elysia's). */
export interface Socket {
  send(message: ServerMessage): void;
  close(code: number, reason: string): void;
}

/** WebSocket close codes the client acts on (see docs/room-protocol.md). */
export const CLOSE = { left: 1000, declined: 4403, removed: 4403, replaced: 4409, ended: 4410, locked: 4423, flood: 4429 } as const;

const SOURCES: readonly Source[] = ["audio", "camera", "screen"];
/** Message budget per socket: a burst of 40, then 20 a second. */
const BURST = 40;
const PER_SECOND = 20;
/** A page may ask for a fresh media connection at most this often. */
const RESTART_GAP_MS = 2000;
/** Assumed for each audio stream when dividing a subscriber's bandwidth among video tiles. */
const AUDIO_BPS = 64_000;

export interface RoomEvents extends Record<string, unknown> {
  changed: { sessionId: number };
  speaking: { sessionId: number; memberId: number; speaking: boolean };
  /** The room has nobody left in it (the session itself may still be live). */
  empty: { sessionId: number };
  ended: { sessionId: number };
}

export interface RoomOptions {
  settings: RtcSettings;
  /** How long a member whose connection dropped keeps their place (admitted, not re-knocking). */
  graceMs: number;
}

class Member {
  state: MemberState = "waiting";
  socket: Socket | null = null;
  peer: Peer | null = null;
  visitId = 0;
  mic = true;
  camera = true;
  audioOnly = false;
  lowBandwidth = false;
  sharing = false;
  /** Tile width per producer id, from the member's `view` message. */
  tiles = new Map<string, number>();
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
  readonly router = new Router();
  readonly events = new Emitter<RoomEvents>();
  locked = false;
  screensAllowed = false;
  #ended = false;
  #disposed = false;
  readonly #members = new Map<number, Member>();
  readonly #byPerson = new Map<number, Member>();
  readonly #removed = new Set<number>();
  #nextId = 1;
  readonly #tick: ReturnType<typeof setInterval>;
  readonly #speakingTick: ReturnType<typeof setInterval>;
  #lastSample = performance.now();

  constructor(
    readonly session: GroupSession,
    private readonly hearth: Hearth,
    private readonly options: RoomOptions,
  ) {
    this.#tick = setInterval(() => this.#everySecond(), 1000);
    this.#speakingTick = setInterval(() => this.#speaking(), 250);
  }

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
    this.#send(member, { type: "admitted" });
    this.#startMedia(member);
    this.#changed();
    return member;
  }

  /** A socket closed. A member who was in keeps their place for the grace period. */
  disconnected(member: Member, socket: Socket): void {
    if (member.socket !== socket || this.#disposed) return; // an old, replaced socket, or shutdown
    member.socket = null;
    if (member.state === "waiting") return this.#forget(member, "left");
    this.#stopMedia(member);
    member.state = "away";
    member.awayTimer = setTimeout(() => this.#forget(member, "dropped"), this.options.graceMs);
    this.#changed();
  }

  #forget(member: Member, outcome: VisitOutcome): void {
    if (member.awayTimer) clearTimeout(member.awayTimer);
    member.awayTimer = null;
    this.#stopMedia(member);
    endVisit(this.hearth.db, member.visitId, outcome, this.hearth.now());
    this.#members.delete(member.id);
    this.#byPerson.delete(member.personId);
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
        return member.peer?.applyAnswer(msg.seq, msg.sdp);
      case "candidate":
        return member.peer?.addCandidate(msg.candidate, msg.sdpMid, msg.sdpMLineIndex);
      case "restart-media":
        return this.#restartMedia(member);
      case "mic":
        return this.#setMic(member, msg.on);
      case "camera":
        return this.#setCamera(member, msg.on);
      case "share":
        return this.#setSharing(member, msg.on);
      case "mode":
        return this.#setMode(member, msg);
      case "view":
        member.tiles = new Map(msg.tiles.map((t) => [`${t.memberId}:${t.source}`, t.width]));
        return this.#selectLayers(member);
      case "leave":
        this.#hangUp(member, CLOSE.left, "left");
        return this.#forget(member, "left");
      default:
        return this.#clinicianAction(member, msg);
    }
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
    markAdmitted(this.hearth.db, member.visitId, by.personId, this.hearth.now());
    if (by !== member) this.#audit(by, "room.admitted", member);
    this.#send(member, { type: "admitted" });
    this.#startMedia(member);
    this.#changed();
  }

  #sendBack(member: Member, clinician: Member): void {
    this.#audit(clinician, "room.sent_to_waiting", member);
    this.#stopMedia(member);
    const now = this.hearth.now();
    endVisit(this.hearth.db, member.visitId, "sent-back", now);
    member.visitId = startVisit(this.hearth.db, this.id, member.personId, now);
    member.state = "waiting";
    member.sharing = false;
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
    clearInterval(this.#tick);
    clearInterval(this.#speakingTick);
    const now = this.hearth.now();
    for (const m of this.#members.values()) {
      this.#stopMedia(m);
      if (m.awayTimer) clearTimeout(m.awayTimer);
      endVisit(this.hearth.db, m.visitId, "dropped", now);
    }
  }

  // ---- member's own media choices ------------------------------------------------------------

  #setMic(member: Member, on: boolean): void {
    member.mic = on;
    const audio = this.router.producers.get(`${member.id}:audio`);
    if (audio) {
      audio.paused = !on;
      if (!on && audio.speaking.speaking) {
        audio.speaking.reset();
        this.#broadcast({ type: "speaking", memberId: member.id, speaking: false });
      }
    }
    this.#changed();
  }

  #setCamera(member: Member, on: boolean): void {
    if (on && member.audioOnly) throw new ProtocolError("audio-only");
    member.camera = on;
    if (on) member.peer?.openUpstream("camera");
    else member.peer?.closeUpstream("camera");
    this.#changed();
  }

  #setSharing(member: Member, on: boolean): void {
    if (on && member.role !== "clinician" && !this.screensAllowed) throw new ProtocolError("screens-not-allowed");
    if (on && member.audioOnly) throw new ProtocolError("audio-only");
    member.sharing = on;
    if (on) member.peer?.openUpstream("screen");
    else member.peer?.closeUpstream("screen");
    this.#changed();
  }

  /**
   * Audio-only: the member neither sends nor receives video, and the server stops forwarding
   * it to them (their video consumers are gone, not just hidden).
   */
  #setMode(member: Member, msg: ClientMessageOf<"mode">): void {
    if (msg.lowBandwidth !== undefined) member.lowBandwidth = msg.lowBandwidth;
    if (msg.audioOnly !== undefined && msg.audioOnly !== member.audioOnly) {
      member.audioOnly = msg.audioOnly;
      if (member.peer) {
        if (member.audioOnly) {
          member.sharing = false;
          member.peer.closeUpstream("camera");
          member.peer.closeUpstream("screen");
          for (const c of this.router.consumersOf(member.id)) if (c.producer.kind === "video") this.#unsubscribe(c);
        } else {
          if (member.camera) member.peer.openUpstream("camera");
          this.#subscribeToAll(member);
        }
      }
    }
    this.#selectLayers(member);
    this.#changed();
  }

  // ---- media wiring ------------------------------------------------------------------------

  #startMedia(member: Member): void {
    const peer = new Peer(member.id, this.options.settings, {
      sendOffer: (offer) => this.#send(member, { type: "offer", ...offer }),
      producerFor: (source) => this.#producerFor(member, source),
      producerGone: (source) => this.#removeProducer(member.id, source),
      failed: () => this.#peerFailed(member, peer),
    });
    member.peer = peer;
    peer.openUpstream("audio");
    if (!member.audioOnly && member.camera) peer.openUpstream("camera");
    if (!member.audioOnly && member.sharing) peer.openUpstream("screen");
    this.#subscribeToAll(member);
  }

  #stopMedia(member: Member): void {
    const peer = member.peer;
    if (!peer) return;
    member.peer = null;
    // Both directions stop here, synchronously: nothing more is forwarded to or from them.
    for (const c of this.router.consumersOf(member.id)) this.router.unsubscribe(c);
    for (const source of SOURCES) this.#removeProducer(member.id, source);
    void peer.close();
  }

  /** A member's transport failed while their socket is still up: start media over. */
  #peerFailed(member: Member, peer: Peer): void {
    if (member.peer !== peer || member.state !== "admitted") return;
    this.#stopMedia(member);
    if (member.socket) this.#startMedia(member);
  }

  /**
   * The page saw its connection fail: a fresh peer connection (the offer says `fresh`). At most
   * one per RESTART_GAP_MS: each restart renegotiates everyone who receives this member.
   */
  #restartMedia(member: Member): void {
    const peer = member.peer;
    if (!peer || performance.now() - peer.createdAt < RESTART_GAP_MS) return;
    this.#peerFailed(member, peer);
  }

  /** Does this subscriber get this producer at all? Audio-only members get no video. */
  #wants(subscriber: Member, producer: Producer): boolean {
    return producer.memberId !== subscriber.id && subscriber.peer !== null && (producer.kind === "audio" || !subscriber.audioOnly);
  }

  #subscribe(subscriber: Member, producer: Producer): void {
    const peer = subscriber.peer!;
    const consumer = this.router.subscribe(producer, subscriber.id, (c) => peer.attach(c));
    if (producer.kind === "video") this.#selectFor(subscriber, consumer, performance.now());
  }

  #unsubscribe(consumer: Consumer): void {
    this.router.unsubscribe(consumer);
    this.#members.get(consumer.subscriberId)?.peer?.detach(consumer);
  }

  #subscribeToAll(member: Member): void {
    const have = new Set(this.router.consumersOf(member.id).map((c) => c.producer));
    for (const p of this.router.producers.values()) if (!have.has(p) && this.#wants(member, p)) this.#subscribe(member, p);
  }

  #producerFor(member: Member, source: Source): Producer {
    const existing = this.router.producers.get(`${member.id}:${source}`);
    if (existing) return existing;
    const producer = this.router.addProducer(member.id, source, (layer) => member.peer?.askKeyframe(source, layer));
    producer.paused = source === "audio" && !member.mic;
    producer.onNewLayer = (p) => this.#selectProducer(p);
    for (const other of this.#members.values()) if (other.state === "admitted" && this.#wants(other, producer)) this.#subscribe(other, producer);
    this.#changed();
    return producer;
  }

  #removeProducer(memberId: number, source: Source): void {
    for (const c of this.router.removeProducer(`${memberId}:${source}`)) this.#members.get(c.subscriberId)?.peer?.detach(c);
  }

  // ---- layers and speaking -----------------------------------------------------------------

  #selectLayers(member: Member): void {
    const now = performance.now();
    for (const c of this.router.consumersOf(member.id)) if (c.producer.kind === "video") this.#selectFor(member, c, now);
  }

  #selectProducer(producer: Producer): void {
    const now = performance.now();
    for (const c of producer.consumers) {
      const m = this.#members.get(c.subscriberId);
      if (m) this.#selectFor(m, c, now);
    }
  }

  /** Picks a consumer's layer from its tile size and its share of the subscriber's bandwidth. */
  #selectFor(member: Member, consumer: Consumer, now: number): void {
    const layers = consumer.producer.layers;
    if (layers.length <= 1) return this.router.retarget(consumer, layers[0] ?? null, now);
    const mine = this.router.consumersOf(member.id);
    const audio = mine.filter((c) => c.producer.kind === "audio").length;
    const area = (c: Consumer) => (member.tiles.get(c.producer.id) || 320) ** 2;
    const totalArea = mine.reduce((sum, c) => sum + (c.producer.kind === "video" ? area(c) : 0), 0);
    const budget = Math.max(0, (member.peer?.bandwidth.bps ?? 0) - audio * AUDIO_BPS) * (area(consumer) / (totalArea || 1));
    const infos = layers.map((l) => ({ width: l.width, bitrate: l.bitrate, active: now - l.lastPacketAt < 2000 }));
    const choice = chooseLayer(infos, { tileWidth: member.tiles.get(consumer.producer.id) ?? 0, budget, lowBandwidth: member.lowBandwidth });
    this.router.retarget(consumer, choice >= 0 ? layers[choice]! : null, now);
  }

  #everySecond(): void {
    const now = performance.now();
    this.router.sample(now - this.#lastSample);
    this.#lastSample = now;
    for (const m of this.#members.values()) {
      if (!m.peer) continue;
      for (const c of this.router.consumersOf(m.id)) {
        if (c.producer.kind !== "video") continue;
        this.#selectFor(m, c, now);
        // Still waiting for a keyframe (a request or a keyframe was lost): ask again.
        if (!c.paused && c.target && c.layer !== c.target) c.producer.requestKeyframe(c.target, now);
      }
    }
  }

  #speaking(): void {
    for (const p of this.router.producers.values()) {
      if (p.kind === "audio" && p.speaking.tick()) this.#broadcast({ type: "speaking", memberId: p.memberId, speaking: p.speaking.speaking });
    }
  }

  // ---- telling people ----------------------------------------------------------------------

  #view(m: Member): MemberView {
    const speaking = this.router.producers.get(`${m.id}:audio`)?.speaking.speaking ?? false;
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

  /** Sends the room as each person may see it: waiting members see nobody; clinicians see the queue. */
  #changed(): void {
    if (this.#ended) return;
    const inside = [...this.#members.values()].filter((m) => m.state !== "waiting");
    const members = inside.map((m) => this.#view(m));
    const waiting = [...this.#members.values()].filter((m) => m.state === "waiting").map((m) => ({ id: m.id, name: m.name }));
    const base = { type: "room" as const, locked: this.locked, screensAllowed: this.screensAllowed, members };
    for (const m of inside) this.#send(m, m.role === "clinician" ? { ...base, waiting } : base);
    this.events.emit("changed", { sessionId: this.id });
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
  stats() {
    return {
      members: [...this.#members.values()].map((m) => ({
        id: m.id,
        state: m.state,
        role: m.role,
        audioOnly: m.audioOnly,
        producers: SOURCES.filter((s) => this.router.producers.has(`${m.id}:${s}`)),
        consumers: this.router.consumersOf(m.id).map((c) => ({
          from: c.producer.memberId,
          source: c.producer.source,
          packets: c.packets,
          paused: c.paused,
          layer: c.layer?.rid ?? null,
        })),
        peer: m.peer?.stats() ?? null,
        estimateKbps: m.peer ? Math.round(m.peer.bandwidth.bps / 1000) : null,
      })),
    };
  }

  memberByPerson(personId: number): { id: number; state: MemberState } | null {
    const m = this.#byPerson.get(personId);
    return m ? { id: m.id, state: m.state } : null;
  }
}

export type { Member };
