#!/usr/bin/env bun
/**
 * Recording one session: six people (a facilitator and five members, werift bots sending VP8 at
 * 30 fps and Opus at 50 packets/s over real DTLS-SRTP) in one room on one SFU worker. The worker's
 * CPU is read from /proc for a window while it only forwards (the baseline, same run, same room),
 * then for a window of the same length while everyone has agreed and it records. Reported: the
 * extra CPU per recorded stream (12 streams: a camera and a microphone each), the ratio recording /
 * forwarding, and the sealed bytes on disk per minute per person.
 *
 *   bun scripts/bench/recording.ts [--seconds 20]
 *
 * The last line is one JSON object.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Bot } from "./sfu-bot.ts";
import { startRoomServer, until } from "../../tests/room-fixture.ts";
import { loopbackStunSink } from "../../src/rooms/ice.ts";
import type { ServerMessage } from "../../src/rooms/protocol.ts";
import { filesOf } from "../../src/rooms/recording-record.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "20" } } });
const SECONDS = Number(values.seconds);
const PEOPLE = 6;

const world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43800-43899", HEARTH_SFU_WORKERS: "1", HEARTH_LOG_LEVEL: "error" });
const stun = await loopbackStunSink();
const g = await world.group(PEOPLE - 1);
const lead = new Bot(world.wsUrl(g.sessionId), { cookie: g.clinician, stun });
await lead.connect();
const bots = [lead];
for (const cookie of g.members) {
  const m = new Bot(world.wsUrl(g.sessionId), { cookie, stun });
  await m.connect();
  lead.send({ type: "admit", memberId: m.memberId });
  await m.next("admitted");
  bots.push(m);
}
await Promise.all(bots.map((b) => b.connected()));
for (const b of bots) b.startMedia();

const pid = world.rooms.load().workers[0]!.pid!;
const ticks = () => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};
const TICKS_PER_S = 100;
async function cpuOver(seconds: number): Promise<number> {
  const t0 = ticks();
  const w0 = performance.now();
  await Bun.sleep(seconds * 1000);
  return (ticks() - t0) / TICKS_PER_S / ((performance.now() - w0) / 1000);
}

await Bun.sleep(3000); // warm-up: every consumer flowing
const forwarding = await cpuOver(SECONDS);

const phase = (b: Bot, p: string) => b.next((m: ServerMessage) => m.type === "recording" && m.phase === p, 15_000);
lead.send({ type: "recording-ask" });
for (const m of bots.slice(1)) {
  await m.next((x: ServerMessage) => x.type === "recording" && x.phase === "asking", 15_000);
  m.send({ type: "recording-consent", agree: true });
}
await phase(lead, "recording");
await Bun.sleep(1000);
const recording = await cpuOver(SECONDS);
lead.send({ type: "recording-stop" });
await until(() => filesOf(world.hearth, g.sessionId).filter((f) => f.finished).length === PEOPLE, 30_000, "files");
const files = filesOf(world.hearth, g.sessionId);
const minutes = files.reduce((s, f) => s + f.durationMs, 0) / 60_000;
const bytes = files.reduce((s, f) => s + f.bytes, 0);

const streams = PEOPLE * 2;
const result = {
  people: PEOPLE,
  streams,
  seconds: SECONDS,
  forwardingCpuPct: +(forwarding * 100).toFixed(1),
  recordingCpuPct: +(recording * 100).toFixed(1),
  extraCpuPctPerStream: +(((recording - forwarding) * 100) / streams).toFixed(2),
  ratioRecordingToForwarding: +(recording / forwarding).toFixed(2),
  bytesPerMinutePerPerson: Math.round(bytes / minutes),
  sendingKbpsPerPerson: Math.round(((30 * 1100 + 50 * 100) * 8) / 1000),
};
console.log(
  `forwarding ${result.forwardingCpuPct}% of a core; recording ${result.recordingCpuPct}% (${result.ratioRecordingToForwarding}x); +${result.extraCpuPctPerStream}% per recorded stream; ${(result.bytesPerMinutePerPerson / 1e6).toFixed(2)} MB on disk per person-minute`,
);
console.log(JSON.stringify(result));
await Promise.all(bots.map((b) => b.close()));
await world.close();
process.exit(0);
