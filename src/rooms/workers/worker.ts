import { guardWeriftSockets, loopbackStunSink } from "../ice.ts";
import { log } from "../../log.ts";
import { MediaRoom, type RoomMedia } from "../media.ts";
import type { Offer } from "../peer.ts";
import type { RecordedFile } from "../recorder.ts";
import { pinProcessTo } from "./affinity.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./messages.ts";

/**
 * An SFU worker: a child process of `hearth serve` (`hearth sfu-worker`, never run by hand)
 * that carries the media of the rooms placed on it. Each room's MediaRoom lives wholly here;
 * the main process keeps the sockets, who is admitted, and everything stored.
 */

const rooms = new Map<number, MediaRoom>();
/** Packets this worker forwarded, all rooms: the load report sends it once a second. */
const counter = { forwarded: 0 };
let settings: WorkerInit["settings"] & { stun: string };

function send(message: FromWorker): void {
  process.send?.(message);
}

function openRoom(room: number): MediaRoom {
  let media = rooms.get(room);
  if (!media) {
    const listener = {
      offer: (member: number, offer: Offer) => send({ ev: "offer", room, member, offer }),
      speaking: (member: number, speaking: boolean) => send({ ev: "speaking", room, member, speaking }),
      restarted: () => {},
      recorded: (file: RecordedFile) => send({ ev: "recorded", room, file }),
    };
    media = new MediaRoom(settings, listener, counter);
    rooms.set(room, media);
  }
  return media;
}

async function reply(req: number, work: Promise<unknown>): Promise<void> {
  let value: unknown = null;
  try {
    value = await work;
  } catch (err) {
    log.error("sfu worker request failed", { kind: (err as Error).name });
  }
  send({ ev: "reply", req, value });
}

function handle(msg: ToWorker): void {
  if (msg.op === "init") return;
  if (msg.op === "open") return void openRoom(msg.room);
  if (msg.op === "close") {
    rooms.get(msg.room)?.close();
    rooms.delete(msg.room);
    return;
  }
  const media: RoomMedia | undefined = rooms.get(msg.room);
  if (!media) {
    // A room closed meanwhile: requests still get their answer, so the caller is not left waiting.
    if ("req" in msg) send({ ev: "reply", req: msg.req, value: msg.op === "stats" ? { members: [] } : null });
    return;
  }
  switch (msg.op) {
    case "start":
      return media.start(msg.member, msg.choices);
    case "stop":
      return media.stop(msg.member);
    case "restart":
      return media.restart(msg.member);
    case "answer":
      return void reply(msg.req, media.answer(msg.member, msg.seq, msg.sdp));
    case "candidate":
      return void reply(msg.req, media.candidate(msg.member, msg.candidate, msg.sdpMid, msg.sdpMLineIndex));
    case "mic":
      return media.mic(msg.member, msg.on);
    case "upstream":
      return media.upstream(msg.member, msg.source, msg.on);
    case "mode":
      return media.mode(msg.member, msg.audioOnly, msg.lowBandwidth);
    case "view":
      return media.view(msg.member, msg.tiles);
    case "stats":
      return void reply(msg.req, media.stats());
    case "record":
      return media.record(msg.target);
    case "ready-to-record":
      return media.readyToRecord();
  }
}

/** Messages that arrive before init has finished wait for it, in order. */
let initialized = false;
const early: ToWorker[] = [];

async function init(msg: WorkerInit): Promise<void> {
  guardWeriftSockets();
  settings = { ...msg.settings, stun: msg.settings.stun ?? (await loopbackStunSink()) };
  const pinned = msg.cpu >= 0 && pinProcessTo(msg.cpu);
  setInterval(() => {
    const usage = process.cpuUsage();
    send({ ev: "load", forwarded: counter.forwarded, cpuSeconds: (usage.user + usage.system) / 1e6, rooms: rooms.size });
  }, 1000);
  initialized = true;
  for (const m of early.splice(0)) handle(m);
  send({ ev: "ready", pinned });
}

process.on("message", (msg: ToWorker) => {
  if (msg.op === "init") void init(msg);
  else if (!initialized) early.push(msg);
  else handle(msg);
});
send({ ev: "hello" });

// The main process is gone (even SIGKILLed): nothing is left to serve, and the ports must free up.
// Bun emits no "disconnect" on the IPC channel then (measured), so the worker watches its parent.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
