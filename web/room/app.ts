// The session page: the waiting room and the room in one page, switched by what the server
// says (docs/room-protocol.md). Messages are handled one at a time, in order, so an offer is
// never answered while an earlier one is still being applied.
import type { MemberView, ServerMessage } from "../../src/rooms/protocol.ts";
import { sessionPageStrings } from "../../src/rooms/page-strings.ts";
import { fill, isLocale } from "../../src/ui/i18n.ts";
import { chime, LevelMeter } from "./audio.ts";
import { ConnectionCheck } from "./check.ts";
import { Comfort } from "./comfort.ts";
import { byId, el, maybeId, setPressed } from "./dom.ts";
import { Grid } from "./grid.ts";
import { HeadroomPanel } from "./headroom.ts";
import { MediaLink } from "./link.ts";
import { LocalMedia, type Source } from "./local.ts";
import { PeopleList, WaitingList } from "./people.ts";
import { Signal } from "./signal.ts";
import { Speakers } from "./speakers.ts";
import { toolStrings } from "../../src/rooms/tool-strings.ts";
import { ChatPanel } from "./chat.ts";
import { HandsPanel } from "./hands.ts";
import { PollsPanel } from "./polls.ts";
import { RoomSafety } from "./safety.ts";
import { RoomRecording } from "./recording.ts";
import { WhiteboardPanel } from "./whiteboard.ts";
import { VitalsTiles } from "./vitals.ts";
import { whiteboardStrings } from "../../src/rooms/whiteboard-strings.ts";
import { BreakoutsPanel } from "./breakouts.ts";
import { breakoutStrings } from "../../src/rooms/breakouts-strings.ts";

type Phase = "connecting" | "waiting" | "room" | "final";
type S = ReturnType<typeof sessionPageStrings>;

/** At most this long between sign-in extensions; the page may ask for less (data-keep-alive). */
const KEEP_SIGNED_IN_MS = 4 * 60_000;
const VIEW_DEBOUNCE_MS = 300;

export class SessionPage {
  readonly s: S;
  readonly clinician: boolean;
  phase: Phase = "connecting";
  selfId = 0;
  members: MemberView[] = [];
  locked = false;
  screensAllowed = false;
  readonly speaking = new Set<number>();
  readonly spokeAt = new Map<number, number>();
  #seenRoom = false;
  #queue: Promise<void> = Promise.resolve();
  #lastView = "";
  #viewTimer = 0;
  #announcedAt = 0;
  #meter: LevelMeter | null = null;
  #meterTrack: MediaStreamTrack | null = null;
  #heardMic = false;
  /**
   * Audio-only because the box is at capacity, not by choice: the server decides when it ends
   * (its `room` message shows this member with video again), and the page never asks for
   * audio-only on the person's behalf while it lasts.
   */
  #heldAudioOnly = false;

  readonly local: LocalMedia;
  readonly link: MediaLink;
  readonly signal: Signal;
  readonly check: ConnectionCheck;
  readonly speakers: Speakers;
  readonly grid: Grid;
  readonly people: PeopleList;
  readonly waitingList: WaitingList | null;
  readonly headroom: HeadroomPanel | null;
  readonly chat: ChatPanel;
  readonly hands: HandsPanel;
  readonly polls: PollsPanel;
  readonly safety: RoomSafety;
  readonly recording: RoomRecording;
  readonly vitals = new VitalsTiles();
  readonly board: WhiteboardPanel;
  readonly breakouts: BreakoutsPanel;
  readonly comfort: Comfort;

  constructor(readonly root: HTMLElement) {
    const lang = document.documentElement.lang;
    this.s = sessionPageStrings(isLocale(lang) ? lang : "en");
    this.clinician = root.dataset.role === "clinician";
    const send = this.send.bind(this);
    this.local = new LocalMedia({
      trackChanged: (source) => this.#trackChanged(source),
      screenEnded: () => {
        void this.#setShare(false);
        this.announce(this.s.sharingStopped);
      },
    });
    this.comfort = new Comfort({ changed: (source) => this.#trackChanged(source), raw: (source) => (source === "audio" ? this.local.mic : this.local.camera), say: (text) => this.announce(text) });
    this.local.output = (source, raw) => this.comfort.output(source, raw);
    this.link = new MediaLink(this.local, { send, remotesChanged: () => this.#render(), stuck: () => this.signal.reconnect() });
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    this.signal = new Signal(`${scheme}//${location.host}/rooms/${root.dataset.sessionId}/ws`, {
      message: (msg) => (RoomSafety.takes(msg) ? this.safety.handle(msg) : RoomRecording.takes(msg) ? this.recording.handle(msg) : this.#enqueue(msg)),
      ended: (code) => this.#socketEnded(code),
      dropped: () => {
        this.check.set("server", "bad", this.s.serverLost);
        this.announce(this.s.reconnecting);
      },
      reopened: () => this.announce(this.s.reconnected),
    });
    this.check = new ConnectionCheck(this.s);
    this.speakers = new Speakers();
    this.grid = new Grid(this.s, this.local, this.link);
    this.people = new PeopleList(this.s, this.clinician, send);
    this.waitingList = this.clinician ? new WaitingList(this.s, send) : null;
    this.headroom = this.clinician ? new HeadroomPanel(this.s) : null;
    // The room's tools (src/rooms/feature.ts): each panel handles its own messages.
    const tools = toolStrings(isLocale(lang) ? lang : "en");
    const say = (text: string) => this.announce(text);
    this.chat = new ChatPanel(tools, this.clinician, send, () => this.selfId, say);
    this.hands = new HandsPanel(tools, this.clinician, send, () => ({ selfId: this.selfId, members: this.members }), say);
    this.polls = new PollsPanel(tools, this.clinician, send, say);
    this.safety = new RoomSafety(send, (text) => this.announce(text));
    this.recording = new RoomRecording(send, say, this.clinician);
    this.breakouts = new BreakoutsPanel(breakoutStrings(isLocale(lang) ? lang : "en"), this.clinician, send, () => ({ selfId: this.selfId, members: this.members }), say);
    this.board = new WhiteboardPanel(whiteboardStrings(isLocale(lang) ? lang : "en"), this.clinician, send, () => ({ selfId: this.selfId, members: this.members }), say, root.dataset.sessionId ?? "");
  }

  start(): void {
    // The socket first (the knock), then the devices: the person waits while checking them.
    this.signal.connect();
    this.check.browser();
    void this.check.delay();
    void this.comfort.start(this.check);
    this.#wireControls();
    void this.local.start().then(() => this.#mediaReady());
    // The sign-in stays alive while the page is in a session: the call itself is the activity.
    const keepAlive = Math.min(KEEP_SIGNED_IN_MS, Number(this.root.dataset.keepAlive ?? "0") * 1000 || KEEP_SIGNED_IN_MS);
    window.setInterval(() => this.#keepSignedIn(), Math.max(15_000, keepAlive));
    window.setInterval(() => this.#meterTick(), 100);
    new ResizeObserver(() => {
      this.grid.layout();
      this.#scheduleView();
    }).observe(byId("room-main"));
  }

  send(msg: Parameters<Signal["send"]>[0]): void {
    this.signal.send(msg);
  }

  /** The live region: what changed, in words. Close announcements are read together. */
  announce(text: string): void {
    const region = byId("announcer");
    const now = Date.now();
    const sentence = /[.…!?]$/.test(text) ? text : `${text}.`;
    const joined = now - this.#announcedAt < 1200 && region.textContent ? `${region.textContent} ${sentence}` : sentence;
    this.#announcedAt = now;
    region.textContent = joined;
  }

  // ---- messages ------------------------------------------------------------------------------

  #enqueue(msg: ServerMessage): void {
    this.#queue = this.#queue
      .then(() => this.#handle(msg))
      .catch((err: Error) => console.warn("room message not handled", msg.type, err.name));
  }

  async #handle(msg: ServerMessage): Promise<void> {
    switch (msg.type) {
      case "welcome":
        this.selfId = msg.memberId;
        this.check.set("server", "ok", this.s.serverOk);
        if (msg.state === "waiting") this.#showWaiting(false);
        return;
      case "waiting":
        // Back in the waiting room (or never out of it): no media goes anywhere from here.
        this.local.stopScreen();
        setPressed(byId("btn-share"), false);
        this.link.close();
        this.speakers.clear();
        if (msg.reason === "sent-back") this.announce(this.s.waitingSentBack);
        this.#showWaiting(msg.reason === "sent-back");
        return;
      case "admitted":
        return this.#admitted();
      case "offer":
        await this.link.offer(msg);
        this.#lastView = "";
        this.#scheduleView();
        return;
      case "room":
        return this.#room(msg);
      case "speaking":
        if (msg.speaking) {
          this.speaking.add(msg.memberId);
          this.spokeAt.set(msg.memberId, Date.now());
        } else this.speaking.delete(msg.memberId);
        return this.#render();
      case "audio-only":
        return this.#holdAudioOnly(msg.message);
      case "muted":
        this.local.setMicOn(false);
        setPressed(byId("btn-mic"), true);
        this.announce(this.s.mutedByClinician);
        return;
      case "declined":
        return this.#finish(this.s.declinedTitle, this.s.declinedBody, "join");
      case "removed":
        return this.#finish(this.s.removedTitle, "");
      case "ended":
        return this.#finish(this.s.endedTitle, this.s.endedBody);
      case "safety-alert":
      case "safety-cleared":
      case "help-sent":
        return this.safety.handle(msg);
      case "chat":
      case "chat-hidden":
        return this.chat.handle(msg);
      case "hands":
      case "hand-called":
        return this.hands.handle(msg);
      case "board":
      case "board-update":
      case "board-access":
        return this.board.handle(msg);
      case "poll":
        return this.polls.handle(msg);
      case "vitals":
        return this.vitals.handle(msg);
      case "breakouts":
      case "breakout-warning":
      case "breakout-message":
        this.breakouts.handle(msg);
        return this.#render();
      case "error":
        return this.#error(msg);
    }
  }

  async #error(msg: Extract<ServerMessage, { type: "error" }>): Promise<void> {
    if (msg.ref?.startsWith("chat-") && msg.code !== "not-admitted") return this.chat.error(msg.message);
    if (msg.ref?.startsWith("poll-")) return this.polls.error(msg.ref, msg.message);
    if (msg.ref?.startsWith("board-") && msg.code !== "not-admitted") return this.board.error(msg.code, msg.message);
    if (msg.ref?.startsWith("breakout-")) return this.breakouts.error(msg.message);
    switch (msg.code) {
      case "stale-answer":
      case "bad-answer":
        return; // the server sends a new offer by itself
      case "locked":
        return this.#finish(this.s.lockedTitle, msg.message);
      case "removed":
        return this.#finish(this.s.removedTitle, msg.message);
      case "ended":
        return this.#finish(this.s.endedTitle, msg.message);
      case "replaced":
        return this.#finish(this.s.replacedTitle, msg.message);
      case "too-many-messages":
        return this.#finish(this.s.lostTitle, this.s.flooded);
      case "at-capacity":
        // Asked for video while the box is still full: still sound only, and the same explanation.
        return this.#holdAudioOnly(msg.message);
      case "screens-not-allowed":
      case "audio-only":
        if (msg.ref === "share") {
          this.local.stopScreen();
          setPressed(byId("btn-share"), false);
        }
        return this.announce(msg.message);
      default:
        return this.announce(msg.message);
    }
  }

  async #admitted(): Promise<void> {
    const wasIn = this.phase === "room";
    this.#show("room");
    if (!wasIn) this.announce(this.s.youAreIn);
    this.#render();
    // What the person chose before coming in (or before the connection dropped) carries over.
    await this.local.ready;
    if (!this.local.micOn || !this.local.mic) this.send({ type: "mic", on: false });
    const chosenAudioOnly = this.local.audioOnly && !this.#heldAudioOnly;
    if (chosenAudioOnly || this.local.lowBandwidth) this.send({ type: "mode", ...(this.#heldAudioOnly ? {} : { audioOnly: this.local.audioOnly }), lowBandwidth: this.local.lowBandwidth });
    if (!this.local.cameraOn && !this.local.audioOnly) this.send({ type: "camera", on: false });
    // A share that ended while the socket was down: the server still thinks it is on.
    if (wasIn && !this.local.screen) this.send({ type: "share", on: false });
  }

  async #room(msg: Extract<ServerMessage, { type: "room" }>): Promise<void> {
    const before = new Map(this.members.map((m) => [m.id, m]));
    this.members = msg.members;
    if (this.#seenRoom) this.#announceChanges(before, msg);
    this.#seenRoom = true;
    if (this.locked !== msg.locked && this.clinician) this.announce(msg.locked ? this.s.roomLocked : this.s.roomUnlocked);
    if (this.screensAllowed !== msg.screensAllowed && this.#seenRoomAllowed) this.announce(msg.screensAllowed ? this.s.screensAllowedNow : this.s.screensNotAllowedNow);
    this.#seenRoomAllowed = true;
    this.locked = msg.locked;
    this.screensAllowed = msg.screensAllowed;
    for (const m of msg.members) if (m.speaking) this.speaking.add(m.id);
    const self = msg.members.find((m) => m.id === this.selfId);
    // Video granted: the camera must be running before the offer that carries it is answered.
    if (self && this.#heldAudioOnly && !self.audioOnly) await this.#releaseAudioOnly();
    // The server stopped this member's share (the clinician withdrew permission).
    if (self && !self.sharing && this.local.screen) {
      this.local.stopScreen();
      setPressed(byId("btn-share"), false);
    }
    if (this.waitingList && msg.waiting) {
      const fresh = this.waitingList.render(msg.waiting);
      if (fresh.length) {
        chime();
        for (const w of fresh) this.announce(fill(this.s.knocked, { name: w.name }));
      }
      document.title = msg.waiting.length ? `(${msg.waiting.length}) ${this.#baseTitle}` : this.#baseTitle;
    }
    if (this.headroom && msg.headroom) {
      const change = this.headroom.render(msg.headroom);
      if (change) this.announce(change);
    }
    const lock = maybeId("lock-room");
    if (lock) setPressed(lock, msg.locked);
    const allow = maybeId("allow-screens");
    if (allow) setPressed(allow, msg.screensAllowed);
    this.#render();
  }

  #seenRoomAllowed = false;
  readonly #baseTitle = document.title;

  #announceChanges(before: Map<number, MemberView>, msg: Extract<ServerMessage, { type: "room" }>): void {
    const now = new Set(msg.members.map((m) => m.id));
    for (const m of msg.members) {
      if (m.id === this.selfId) continue;
      const was = before.get(m.id);
      if (!was) this.announce(fill(this.s.joined, { name: m.name }));
      else if (was.state === "admitted" && m.state === "away") this.announce(fill(this.s.wentAway, { name: m.name }));
      else if (was.state === "away" && m.state === "admitted") this.announce(fill(this.s.cameBack, { name: m.name }));
      if (was && was.sharing !== m.sharing) this.announce(fill(m.sharing ? this.s.nameSharing : this.s.nameStoppedSharing, { name: m.name }));
      if (!was && m.sharing) this.announce(fill(this.s.nameSharing, { name: m.name }));
    }
    for (const [id, m] of before) if (!now.has(id) && id !== this.selfId) this.announce(fill(this.s.left, { name: m.name }));
  }

  #socketEnded(code: number): void {
    if (this.phase === "final") return;
    if (code === 4410) return this.#finish(this.s.endedTitle, this.s.endedBody);
    if (code === 4423) return this.#finish(this.s.lockedTitle, "");
    if (code === 4409) return this.#finish(this.s.replacedTitle, "");
    if (code === 4429) return this.#finish(this.s.lostTitle, this.s.flooded);
    if (code === 4403) return this.#finish(this.s.removedTitle, "");
    return this.#finish(this.s.lostTitle, this.s.lostBody, "retry");
  }

  // ---- views ---------------------------------------------------------------------------------

  #show(phase: Phase): void {
    const previous = this.phase;
    this.phase = phase;
    byId("session-connecting").hidden = phase !== "connecting";
    byId("waiting-view").hidden = phase !== "waiting";
    byId("room-view").hidden = phase !== "room";
    byId("controls").hidden = phase !== "waiting" && phase !== "room";
    byId("final-view").hidden = phase !== "final";
    this.#shareButton();
    // The device settings live in whichever view is showing.
    const devices = byId("devices");
    const home = byId(phase === "room" ? "devices-room" : "devices-home");
    if (devices.parentElement !== home) home.append(devices);
    // On the first view the page has just loaded: screen readers start at the top anyway.
    if (previous !== phase && previous !== "connecting") {
      const focusLost = document.activeElement === document.body || document.activeElement === null || !!document.activeElement.closest("[hidden]");
      const heading = phase === "room" ? "room-title" : phase === "waiting" ? "waiting-title" : phase === "final" ? "final-title" : "";
      if (heading && focusLost) byId(heading).focus();
    }
  }

  #showWaiting(sentBack: boolean): void {
    byId("waiting-sent-back").hidden = !sentBack;
    byId("waiting-intro").hidden = sentBack;
    this.members = [];
    this.speaking.clear();
    this.#seenRoom = false;
    this.#seenRoomAllowed = false;
    this.grid.clear();
    this.breakouts.reset();
    this.#show("waiting");
    this.#preview();
  }

  #shareButton(): void {
    const share = byId<HTMLButtonElement>("btn-share");
    share.hidden = this.phase !== "room" || !(this.clinician || this.screensAllowed);
    share.disabled = this.local.audioOnly;
    byId<HTMLButtonElement>("btn-camera").disabled = this.local.audioOnly;
  }

  #render(): void {
    if (this.phase === "room") {
      // In a breakout, the grid shows one's own room only (its streams are all the page is sent).
      this.grid.render({ selfId: this.selfId, members: this.members.filter((m) => this.breakouts.together(m.id)), speaking: this.speaking, spokeAt: this.spokeAt });
      this.people.render(this.selfId, this.members, this.speaking);
      this.hands.render();
      this.breakouts.render();
      this.vitals.render();
      this.board.renderDrawers();
      this.speakers.update(this.link.remotes());
      this.#shareButton();
      this.#scheduleView();
    } else {
      this.speakers.update(this.link.remotes());
    }
  }

  #preview(): void {
    const video = byId<HTMLVideoElement>("preview-video");
    const track = this.local.track("camera");
    const current = (video.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (current !== track) video.srcObject = track ? new MediaStream([track]) : null;
    video.hidden = !track;
    byId("preview-off").hidden = !!track;
  }

  /** The end of this visit; `again` offers a way back where there is one. */
  #finish(title: string, body: string, again: "retry" | "join" | null = null): void {
    if (this.phase === "final") return;
    this.signal.close();
    this.link.close();
    this.speakers.clear();
    this.grid.clear();
    this.local.stopAll();
    this.#meter?.stop();
    this.#meter = null;
    byId("final-title").textContent = title;
    byId("final-body").textContent = body;
    byId("final-body").hidden = !body;
    const button = byId<HTMLButtonElement>("join-again");
    button.hidden = again === null;
    button.textContent = again === "retry" ? this.s.tryAgain : this.s.joinAgain;
    document.title = this.#baseTitle;
    this.#show("final");
  }

  // ---- own media -----------------------------------------------------------------------------

  #mediaReady(): void {
    const s = this.s;
    if (this.local.micFailed) this.announce(s.micFailed);
    if (this.local.cameraFailed) this.announce(s.cameraFailed);
    this.check.set("camera", this.local.camera ? "ok" : this.local.cameraFailed ? "bad" : "warn", this.local.camera ? s.cameraOk : this.local.cameraFailed ? s.cameraMissing : s.cameraOff);
    this.check.set("mic", this.local.mic ? "warn" : "bad", this.local.mic ? s.micQuiet : s.micMissing);
    setPressed(byId("btn-camera"), !this.local.cameraOn);
    void this.#fillDevices();
    navigator.mediaDevices?.addEventListener("devicechange", () => void this.#fillDevices());
  }

  #trackChanged(source: Source): void {
    void this.link.trackChanged(source);
    if (source === "camera") {
      this.#preview();
      if (this.phase === "room") this.#render();
      const s = this.s;
      this.check.set("camera", this.local.camera ? "ok" : this.local.cameraFailed ? "bad" : "warn", this.local.camera ? s.cameraOk : this.local.cameraFailed ? s.cameraMissing : s.cameraOff);
    }
    if (source === "screen" && this.phase === "room") this.#render();
  }

  async #fillDevices(): Promise<void> {
    const { mics, cameras } = await this.local.devices();
    const fillSelect = (select: HTMLSelectElement, list: MediaDeviceInfo[], current: string, label: string) => {
      const active = current || list[0]?.deviceId || "";
      select.replaceChildren(...list.map((d, i) => el("option", { value: d.deviceId, ...(d.deviceId === active ? { selected: "" } : {}) }, d.label || `${label} ${i + 1}`)));
      if (!list.length) select.append(el("option", { value: "" }, this.s.noDevice));
      select.disabled = list.length === 0;
    };
    fillSelect(byId("mic-select"), mics, this.local.mic?.getSettings().deviceId ?? "", this.s.microphone);
    fillSelect(byId("camera-select"), cameras, this.local.camera?.getSettings().deviceId ?? "", this.s.camera);
  }

  #meterTick(): void {
    const track = this.local.mic;
    if (track !== this.#meterTrack) {
      this.#meter?.stop();
      this.#meter = track ? new LevelMeter(track) : null;
      this.#meterTrack = track;
    }
    const level = this.#meter && this.local.micOn ? this.#meter.level() : 0;
    byId<HTMLMeterElement>("mic-level").value = level;
    if (level > 0.3 && !this.#heardMic) {
      this.#heardMic = true;
      this.check.set("mic", "ok", this.s.micOk);
    }
  }

  #keepSignedIn(): void {
    if (this.phase !== "waiting" && this.phase !== "room") return;
    const token = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
    void fetch("/session/extend", { method: "POST", headers: { "x-csrf-token": token }, credentials: "same-origin" }).catch(() => {});
  }

  // ---- tile sizes for the server's layer choice ---------------------------------------------

  #scheduleView(): void {
    if (this.phase !== "room") return;
    clearTimeout(this.#viewTimer);
    this.#viewTimer = window.setTimeout(() => {
      if (this.phase !== "room" || !this.link.connection) return;
      const tiles = this.grid.sizes(this.selfId);
      const key = JSON.stringify(tiles);
      if (key === this.#lastView) return;
      if (this.signal.send({ type: "view", tiles })) this.#lastView = key;
    }, VIEW_DEBOUNCE_MS);
  }

  // ---- controls ------------------------------------------------------------------------------

  #wireControls(): void {
    const s = this.s;
    const on = (id: string, handler: (button: HTMLButtonElement) => void | Promise<void>) => {
      const b = maybeId<HTMLButtonElement>(id);
      b?.addEventListener("click", () => void handler(b));
    };
    on("btn-mic", async (b) => {
      const turnOn = !this.local.micOn || !this.local.mic;
      if (turnOn && !this.local.mic) await this.local.useMic(this.local.micDeviceId);
      this.local.setMicOn(turnOn && !!this.local.mic);
      setPressed(b, !this.local.micOn);
      if (this.phase === "room") this.send({ type: "mic", on: this.local.micOn });
      this.announce(this.local.micOn ? s.youUnmuted : s.youMuted);
    });
    on("btn-camera", async (b) => {
      const turnOn = !this.local.cameraOn;
      const ok = await this.local.setCameraOn(turnOn);
      setPressed(b, !this.local.cameraOn);
      if (!ok) return this.announce(s.cameraFailed);
      if (this.phase === "room") this.send({ type: "camera", on: this.local.cameraOn });
      this.announce(this.local.cameraOn ? s.cameraNowOn : s.cameraNowOff);
    });
    on("btn-share", () => this.#setShare(!this.local.screen));
    on("btn-audio-only", async (b) => {
      // Held by the box: ask for video, camera ready for the offer if it is granted; a refusal
      // (at-capacity) puts the page back on sound only with the same explanation.
      if (this.#heldAudioOnly) {
        await this.local.setAudioOnly(false);
        this.send({ type: "mode", audioOnly: false });
        return;
      }
      const value = !this.local.audioOnly;
      await this.local.setAudioOnly(value);
      setPressed(b, value);
      if (value) setPressed(byId("btn-share"), false);
      this.send({ type: "mode", audioOnly: value });
      this.#shareButton();
      this.#preview();
      this.#render();
      this.announce(value ? s.audioOnlyOn : s.audioOnlyOff);
    });
    on("btn-low", async (b) => {
      const value = !this.local.lowBandwidth;
      await this.local.setLowBandwidth(value);
      setPressed(b, value);
      this.send({ type: "mode", lowBandwidth: value });
      this.announce(value ? s.lowBandwidthOn : s.lowBandwidthOff);
    });
    on("btn-leave", () => {
      this.send({ type: "leave" });
      this.#finish(s.leftTitle, s.leftBody, "join");
    });
    on("join-again", () => location.reload());
    on("lock-room", () => this.send({ type: "lock", locked: !this.locked }));
    on("allow-screens", () => this.send({ type: "allow-screens", allowed: !this.screensAllowed }));
    const confirm = maybeId("end-confirm");
    on("end-session", () => {
      confirm!.hidden = false;
      byId("end-now").focus();
    });
    on("end-cancel", () => {
      confirm!.hidden = true;
      byId("end-session").focus();
    });
    on("end-now", () => this.send({ type: "end" }));
    byId<HTMLSelectElement>("mic-select").addEventListener("change", async (e) => {
      await this.local.useMic((e.target as HTMLSelectElement).value);
    });
    byId<HTMLSelectElement>("camera-select").addEventListener("change", async (e) => {
      await this.local.useCamera((e.target as HTMLSelectElement).value);
    });
  }

  /** The box is at capacity: sound only, told plainly; the person may ask for video later. */
  async #holdAudioOnly(message: string): Promise<void> {
    this.#heldAudioOnly = true;
    if (!this.local.audioOnly) await this.local.setAudioOnly(true);
    setPressed(byId("btn-audio-only"), true);
    setPressed(byId("btn-share"), false);
    const notice = maybeId("capacity-notice");
    if (notice) {
      byId("capacity-text").textContent = message;
      notice.hidden = false;
    }
    this.#shareButton();
    this.#preview();
    this.#render();
    this.announce(message);
  }

  /** The server gave this member video again: the camera comes back as they had it. */
  async #releaseAudioOnly(): Promise<void> {
    this.#heldAudioOnly = false;
    const notice = maybeId("capacity-notice");
    if (notice) notice.hidden = true;
    if (this.local.audioOnly) await this.local.setAudioOnly(false);
    setPressed(byId("btn-audio-only"), false);
    this.#shareButton();
    this.#preview();
    this.#render();
    this.announce(this.s.audioOnlyOff);
  }

  async #setShare(on: boolean): Promise<void> {
    const button = byId("btn-share");
    if (on) {
      if (!(await this.local.startScreen())) {
        setPressed(button, false);
        return this.announce(this.s.shareFailed);
      }
      setPressed(button, true);
      this.send({ type: "share", on: true });
      this.announce(this.s.sharingNow);
    } else {
      const was = this.local.screen !== null;
      this.local.stopScreen();
      setPressed(button, false);
      this.send({ type: "share", on: false });
      if (was) this.announce(this.s.sharingStopped);
    }
    this.#render();
  }
}
