import type { Subprocess } from "bun";
import { join } from "node:path";
import { log } from "../../log.ts";
import type { RtcSettings } from "../ice.ts";
import { MediaRoom, type MediaChoices, type MediaListener, type RoomMedia, type RoomMediaStats } from "../media.ts";
import type { ErrorCode } from "../protocol.ts";
import type { RecordTarget } from "../recorder.ts";
import { allowedCpus } from "./affinity.ts";
import type { FromWorker, ToWorker } from "./messages.ts";

/**
 * Where rooms' media runs. The default is a pool of SFU worker processes, one per core
 * (mediasoup's model): a room lives wholly in one worker, the main process keeps HTTP,
 * signaling and state, and a worker that dies is replaced and its rooms' members get fresh
 * connections. HEARTH_SFU_WORKERS=0 keeps media in the main process instead.
 */

export interface WorkerLoad {
  index: number;
  pid: number | null;
  cpu: number | null;
  rooms: number;
  members: number;
  forwardedPps: number;
  /** Share of one core over the last second. */
  cpuPct: number;
  restarts: number;
}

export interface MediaLoad {
  /** Packets forwarded to members per second, over the last second, all rooms. */
  forwardedPps: number;
  /** Cores the media may use: the workers' count (or 1 in process). */
  cores: number;
  workers: WorkerLoad[];
}

export interface MediaHost {
  place(room: number, listener: MediaListener): RoomMedia;
  /**
   * More media on the same worker as `media` (a session's breakout rooms, src/rooms/placement.ts),
   * under its own key: keys are numbers, a session's own is its id, its breakouts' are negative.
   */
  beside(media: RoomMedia, key: number, listener: MediaListener): RoomMedia;
  load(): MediaLoad;
  close(): Promise<void>;
}

/** How long a closed room's last recording files may take to be sealed shut and reported. */
const CLOSING_REPORTS_MS = 30_000;
/** A worker needs room for its peers: at least this many ports of HEARTH_RTC_PORTS each. */
const MIN_PORTS_PER_WORKER = 10;

export function mediaHost(settings: RtcSettings, workers: number): MediaHost {
  const ports = settings.ports[1] - settings.ports[0] + 1;
  const count = Math.min(workers, Math.floor(ports / MIN_PORTS_PER_WORKER));
  if (count < workers) log.warn("fewer SFU workers than asked: HEARTH_RTC_PORTS is small", { asked: workers, workers: count, ports });
  return count <= 0 ? new InProcessMedia(settings) : new WorkerPool(settings, count);
}

/** Splits a port range into `n` disjoint slices (werift probes ports per process, so slices never overlap). */
export function portSlices([first, last]: [number, number], n: number): [number, number][] {
  const size = Math.floor((last - first + 1) / n);
  return Array.from({ length: n }, (_, i) => [first + i * size, i === n - 1 ? last : first + (i + 1) * size - 1]);
}

// ---- in process ------------------------------------------------------------------------------

/** Media in the main process (HEARTH_SFU_WORKERS=0): tests, and a box with one core to spare. */
export class InProcessMedia implements MediaHost {
  readonly #rooms = new Set<MediaRoom>();
  readonly #counter = { forwarded: 0 };
  #sample = { at: performance.now(), forwarded: 0, cpu: 0, pps: 0, cpuPct: 0 };
  readonly #timer = setInterval(() => this.#measure(), 1000);

  constructor(private readonly settings: RtcSettings) {
    this.#timer.unref?.();
  }

  place(_room: number, listener: MediaListener): RoomMedia {
    const media = new MediaRoom(this.settings, listener, this.#counter);
    this.#rooms.add(media);
    return media;
  }

  beside(_media: RoomMedia, key: number, listener: MediaListener): RoomMedia {
    return this.place(key, listener);
  }

  /** The rooms still open (a Room closes its media itself). */
  #live(): Set<MediaRoom> {
    for (const r of this.#rooms) if (r.closed) this.#rooms.delete(r);
    return this.#rooms;
  }

  #measure(): void {
    const now = performance.now();
    const forwarded = this.#counter.forwarded;
    const usage = process.cpuUsage();
    const cpu = (usage.user + usage.system) / 1e6;
    const dt = (now - this.#sample.at) / 1000;
    if (dt <= 0) return;
    this.#sample = { at: now, forwarded, cpu, pps: (forwarded - this.#sample.forwarded) / dt, cpuPct: ((cpu - this.#sample.cpu) / dt) * 100 };
  }

  load(): MediaLoad {
    const s = this.#sample;
    const rooms = this.#live();
    let members = 0;
    for (const r of rooms) members += r.members;
    const pps = Math.round(s.pps);
    return {
      forwardedPps: pps,
      cores: 1,
      workers: [{ index: 0, pid: process.pid, cpu: null, rooms: rooms.size, members, forwardedPps: pps, cpuPct: Math.round(s.cpuPct), restarts: 0 }],
    };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const r of this.#live()) r.close();
  }
}

// ---- worker processes ------------------------------------------------------------------------

/** How `hearth sfu-worker` is started: the compiled binary runs itself; from source, bun runs main.ts. */
function workerCommand(): string[] {
  const compiled = import.meta.dir.startsWith("/$bunfs") || Bun.main.startsWith("/$bunfs");
  return compiled ? [process.execPath, "sfu-worker"] : [process.execPath, join(import.meta.dir, "..", "..", "main.ts"), "sfu-worker"];
}

const RESPAWN_MIN_MS = 250;
const RESPAWN_MAX_MS = 30_000;
/** A worker that ran this long before dying starts the back-off over. */
const STABLE_MS = 60_000;

export class WorkerPool implements MediaHost {
  readonly #workers: SfuWorker[];
  #closing = false;
  #nextReq = 1;

  constructor(settings: RtcSettings, count: number) {
    const cpus = allowedCpus();
    // Pin only when there is a core for every worker; otherwise the scheduler shares them out.
    const pin = cpus.length >= count && count > 1;
    this.#workers = portSlices(settings.ports, count).map(
      (ports, index) => new SfuWorker(this, index, pin ? cpus[index]! : -1, { ...settings, ports, stun: settings.stunConfigured ? settings.stun : null }),
    );
  }

  get closing(): boolean {
    return this.#closing;
  }

  nextReq(): number {
    return this.#nextReq++;
  }

  place(room: number, listener: MediaListener): RoomMedia {
    // Fewest rooms first (a room's load grows as people arrive), then fewest members; a running worker before a new one.
    const worker = [...this.#workers].sort(
      (a, b) => a.rooms.size - b.rooms.size || a.members - b.members || Number(b.started) - Number(a.started) || a.index - b.index,
    )[0]!;
    return worker.open(room, listener);
  }

  beside(media: RoomMedia, key: number, listener: MediaListener): RoomMedia {
    return media instanceof WorkerRoom ? media.worker.open(key, listener) : this.place(key, listener);
  }

  load(): MediaLoad {
    const workers = this.#workers.map((w) => w.load());
    return { forwardedPps: workers.reduce((sum, w) => sum + w.forwardedPps, 0), cores: workers.length, workers };
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#workers.map((w) => w.stop()));
  }
}

type WorkerSettings = Omit<RtcSettings, "stun"> & { stun: string | null };

/** One SFU worker process, spawned when its first room arrives and replaced when it dies. */
class SfuWorker {
  readonly rooms = new Map<number, WorkerRoom>();
  readonly #closing = new Map<number, MediaListener>();
  #proc: Subprocess | null = null;
  #ready = false;
  #queue: ToWorker[] = [];
  readonly #pending = new Map<number, { resolve(value: unknown): void; fallback: unknown }>();
  #spawnedAt = 0;
  #backoff = RESPAWN_MIN_MS;
  #respawn: ReturnType<typeof setTimeout> | null = null;
  #restarts = 0;
  #last = { at: 0, forwarded: 0, cpuSeconds: 0 };
  #pps = 0;
  #cpuPct = 0;

  constructor(
    private readonly pool: WorkerPool,
    readonly index: number,
    readonly cpu: number,
    private readonly settings: WorkerSettings,
  ) {}

  get started(): boolean {
    return this.#proc !== null;
  }

  get members(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.members.size;
    return n;
  }

  open(room: number, listener: MediaListener): WorkerRoom {
    const media = new WorkerRoom(this, this.pool, room, listener);
    this.rooms.set(room, media);
    if (!this.#proc && !this.#respawn) this.#spawn();
    this.send({ op: "open", room });
    return media;
  }

  forget(room: WorkerRoom): void {
    if (this.rooms.get(room.room) !== room) return;
    this.rooms.delete(room.room);
    // A closed room's recorder still seals its last files shut: their reports have somewhere to go.
    this.#closing.set(room.room, room.listener);
    setTimeout(() => this.#closing.get(room.room) === room.listener && this.#closing.delete(room.room), CLOSING_REPORTS_MS).unref();
  }

  /** Sends now, or once the worker is up; false while a dead worker waits to be replaced (its rooms start over then). */
  send(msg: ToWorker): boolean {
    if (this.#ready) this.#proc!.send(msg);
    else if (this.#respawn) return false;
    else this.#queue.push(msg);
    return true;
  }

  request<T>(msg: ToWorker & { req: number }, fallback: T): Promise<T> {
    return new Promise<T>((resolve) => {
      this.#pending.set(msg.req, { resolve: resolve as (v: unknown) => void, fallback });
      if (!this.send(msg)) {
        this.#pending.delete(msg.req);
        resolve(fallback);
      }
    });
  }

  #spawn(): void {
    this.#respawn = null;
    this.#ready = false;
    this.#spawnedAt = performance.now();
    const proc = Bun.spawn(workerCommand(), {
      stdio: ["ignore", "inherit", "inherit"],
      env: process.env,
      ipc: (msg: FromWorker) => this.#receive(proc, msg),
    });
    this.#proc = proc;
    log.info("sfu worker started", { worker: this.index, pid: proc.pid, cpu: this.cpu, ports: this.settings.ports.join("-") });
    void proc.exited.then((code) => this.#exited(proc, code));
  }

  #receive(proc: Subprocess, msg: FromWorker): void {
    if (proc !== this.#proc) return;
    switch (msg.ev) {
      case "hello":
        return void proc.send({ op: "init", index: this.index, settings: this.settings, cpu: this.cpu } satisfies ToWorker);
      case "ready": {
        this.#ready = true;
        const queued = this.#queue.splice(0);
        for (const m of queued) proc.send(m);
        if (this.cpu >= 0 && !msg.pinned) log.warn("sfu worker could not be pinned to its core", { worker: this.index, cpu: this.cpu });
        return;
      }
      case "offer":
        return this.rooms.get(msg.room)?.listener.offer(msg.member, msg.offer);
      case "speaking":
        return this.rooms.get(msg.room)?.listener.speaking(msg.member, msg.speaking);
      case "recorded":
        return (this.rooms.get(msg.room)?.listener ?? this.#closing.get(msg.room))?.recorded?.(msg.file);
      case "reply": {
        const pending = this.#pending.get(msg.req);
        this.#pending.delete(msg.req);
        return pending?.resolve(msg.value ?? pending.fallback);
      }
      case "load":
        return this.#measure(msg.forwarded, msg.cpuSeconds);
    }
  }

  #measure(forwarded: number, cpuSeconds: number): void {
    const now = performance.now();
    const dt = (now - this.#last.at) / 1000;
    if (this.#last.at > 0 && dt > 0) {
      this.#pps = Math.max(0, (forwarded - this.#last.forwarded) / dt);
      this.#cpuPct = Math.max(0, ((cpuSeconds - this.#last.cpuSeconds) / dt) * 100);
    }
    this.#last = { at: now, forwarded, cpuSeconds };
  }

  #exited(proc: Subprocess, code: number | null): void {
    if (proc !== this.#proc) return;
    this.#proc = null;
    this.#ready = false;
    this.#last = { at: 0, forwarded: 0, cpuSeconds: 0 };
    this.#pps = 0;
    // What was asked of the dead worker will never be answered; what was queued is moot.
    for (const p of this.#pending.values()) p.resolve(p.fallback);
    this.#pending.clear();
    this.#queue = [];
    if (this.pool.closing) return;
    this.#restarts++;
    if (performance.now() - this.#spawnedAt > STABLE_MS) this.#backoff = RESPAWN_MIN_MS;
    log.error("sfu worker stopped; starting a new one", { worker: this.index, code: code ?? -1, rooms: this.rooms.size, inMs: this.#backoff });
    const rooms = [...this.rooms.values()];
    if (rooms.length === 0) return; // spawned again when a room arrives
    this.#respawn = setTimeout(() => {
      this.#spawn();
      for (const r of this.rooms.values()) {
        this.send({ op: "open", room: r.room });
        r.members.clear();
        r.listener.restarted();
      }
    }, this.#backoff);
    this.#backoff = Math.min(RESPAWN_MAX_MS, this.#backoff * 2);
  }

  load(): WorkerLoad {
    const pid = this.#proc?.pid ?? null;
    return {
      index: this.index,
      pid,
      cpu: this.cpu >= 0 ? this.cpu : null,
      rooms: this.rooms.size,
      members: this.members,
      forwardedPps: Math.round(this.#pps),
      cpuPct: Math.round(this.#cpuPct),
      restarts: this.#restarts,
    };
  }

  async stop(): Promise<void> {
    if (this.#respawn) clearTimeout(this.#respawn);
    this.#respawn = null;
    const proc = this.#proc;
    if (!proc) return;
    proc.kill("SIGTERM");
    const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(2000).then(() => false)]);
    if (!done) proc.kill("SIGKILL");
  }
}

/** A room's media in a worker: every call becomes one message. */
class WorkerRoom implements RoomMedia {
  readonly members = new Set<number>();

  constructor(
    readonly worker: SfuWorker,
    private readonly pool: WorkerPool,
    readonly room: number,
    readonly listener: MediaListener,
  ) {}

  start(member: number, choices: MediaChoices): void {
    this.members.add(member);
    this.worker.send({ op: "start", room: this.room, member, choices });
  }

  stop(member: number): void {
    this.members.delete(member);
    this.worker.send({ op: "stop", room: this.room, member });
  }

  restart(member: number): void {
    this.worker.send({ op: "restart", room: this.room, member });
  }

  answer(member: number, seq: number, sdp: string): Promise<ErrorCode | null> {
    return this.worker.request({ op: "answer", room: this.room, member, req: this.pool.nextReq(), seq, sdp }, null);
  }

  candidate(member: number, candidate: string, sdpMid?: string, sdpMLineIndex?: number): Promise<ErrorCode | null> {
    return this.worker.request({ op: "candidate", room: this.room, member, req: this.pool.nextReq(), candidate, sdpMid, sdpMLineIndex }, null);
  }

  mic(member: number, on: boolean): void {
    this.worker.send({ op: "mic", room: this.room, member, on });
  }

  upstream(member: number, source: "camera" | "screen", on: boolean): void {
    this.worker.send({ op: "upstream", room: this.room, member, source, on });
  }

  mode(member: number, audioOnly: boolean, lowBandwidth: boolean): void {
    this.worker.send({ op: "mode", room: this.room, member, audioOnly, lowBandwidth });
  }

  view(member: number, tiles: [string, number][]): void {
    this.worker.send({ op: "view", room: this.room, member, tiles });
  }

  stats(): Promise<RoomMediaStats> {
    return this.worker.request({ op: "stats", room: this.room, req: this.pool.nextReq() }, { members: [] });
  }

  record(target: RecordTarget | null): void {
    this.worker.send({ op: "record", room: this.room, target });
  }

  readyToRecord(): void {
    this.worker.send({ op: "ready-to-record", room: this.room });
  }

  close(): void {
    this.worker.forget(this);
    this.worker.send({ op: "close", room: this.room });
  }
}
