import type { RtcSettings } from "../ice.ts";
import type { MediaChoices, RoomMediaStats } from "../media.ts";
import type { Offer } from "../peer.ts";
import type { RecordedFile, RecordTarget } from "../recorder.ts";

/**
 * The IPC between `hearth serve` and its SFU workers (Bun.spawn's ipc channel, structured
 * clone). Small messages only: signaling and counts, never media, never names or anything a
 * member said. A room is the session id; a member is the room's member id.
 */

export interface WorkerInit {
  op: "init";
  index: number;
  /** This worker's own slice of HEARTH_RTC_PORTS; its STUN setting (a loopback sink it makes when unset). */
  settings: Omit<RtcSettings, "stun"> & { stun: string | null };
  /** The core to pin to, or -1 to leave placement to the scheduler. */
  cpu: number;
}

export type ToWorker =
  | WorkerInit
  | { op: "open"; room: number }
  | { op: "close"; room: number }
  | { op: "start"; room: number; member: number; choices: MediaChoices }
  | { op: "stop"; room: number; member: number }
  | { op: "restart"; room: number; member: number }
  | { op: "answer"; room: number; member: number; req: number; seq: number; sdp: string }
  | { op: "candidate"; room: number; member: number; req: number; candidate: string; sdpMid?: string; sdpMLineIndex?: number }
  | { op: "mic"; room: number; member: number; on: boolean }
  | { op: "upstream"; room: number; member: number; source: "camera" | "screen"; on: boolean }
  | { op: "mode"; room: number; member: number; audioOnly: boolean; lowBandwidth: boolean }
  | { op: "view"; room: number; member: number; tiles: [string, number][] }
  | { op: "stats"; room: number; req: number }
  /** Recording runs to this part, or stops (null): the consent feature decided (recording.ts). */
  | { op: "record"; room: number; target: RecordTarget | null }
  /** A recording was asked for: load the recorder before it starts (media.ts, loadRecorder). */
  | { op: "ready-to-record"; room: number };

export type FromWorker =
  /** The worker listens: it may be sent its init. */
  | { ev: "hello" }
  | { ev: "ready"; pinned: boolean }
  | { ev: "offer"; room: number; member: number; offer: Offer }
  | { ev: "speaking"; room: number; member: number; speaking: boolean }
  | { ev: "reply"; req: number; value: unknown }
  /** A recording file was sealed and closed: ids, times and sizes only. */
  | { ev: "recorded"; room: number; file: RecordedFile }
  /** Once a second: packets forwarded so far, and CPU seconds used so far. */
  | { ev: "load"; forwarded: number; cpuSeconds: number; rooms: number };
