#!/usr/bin/env bun
/**
 * werift's forwarding path against the fast path (src/rooms/fastpath), per forwarded packet, on a
 * real werift connection (ICE, DTLS-SRTP, AES-GCM) to a member in another process on 127.0.0.1.
 *
 *   bun scripts/bench/fastpath.ts [--packets 20000] [--consumers 11] [--pin CORE]
 *
 * The server side is a werift peer configured as the SFU configures its peers, with 2 x C send-only
 * m-lines (C for each path, so no SSRC is ever encrypted by both) and one receive-only m-line. Each
 * incoming packet goes to C consumers, as one member's packet goes to the 11 others in a 12-member
 * room. Four ways, each for --packets incoming packets of 1,100 bytes (video) and of 100 (audio):
 *
 *   werift egress  RTCRtpSender.sendRtp per consumer (today's SenderSink): clone, header
 *                  extensions, SRTP, ICE send via node:dgram, promises
 *   fast egress    DirectSink.send per consumer: rewrite into the ring, SRTP via libcrypto, sendto
 *   werift full    the datagram injected where werift's socket delivers it (STUN parse, SRTP,
 *                  RtpPacket, receiver, track event), then werift egress
 *   fast full      the same datagram through MediaIngress (copy, decrypt in place), then fast egress
 *
 * The figure is this process's CPU time (user + system, /proc) per forwarded packet, including the
 * promises werift leaves behind and one full GC at the end of each run (the garbage a path makes is
 * part of its cost); median of --rounds runs. The member reads and drops what arrives, decrypting the
 * first packets of every stream with werift to show they are valid. The last line is one JSON object.
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTP_EXTENSION_URI,
  RtpHeader,
  RtpPacket,
  useAbsSendTime,
  useSdesMid,
  type RTCRtpTransceiver,
} from "werift";
import { guardWeriftSockets, loopbackMemberIce, loopbackStunSink, peerConfig } from "../../src/rooms/ice.ts";
import { defaultEngine } from "../../src/rooms/fastpath/engine.ts";
import { IngressPacket } from "../../src/rooms/fastpath/ingress.ts";
import { Memory } from "../../src/rooms/fastpath/libcrypto.ts";
import { DirectSink } from "../../src/rooms/fastpath/sink.ts";
import { SrtpContext } from "../../src/rooms/fastpath/srtp.ts";
import { FastTransport } from "../../src/rooms/fastpath/transport.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    packets: { type: "string", default: "20000" },
    consumers: { type: "string", default: "11" },
    rounds: { type: "string", default: "5" },
    pin: { type: "string" },
    member: { type: "boolean", default: false },
  },
  strict: true,
});

const log = (line: string) => console.error(line);
const tick = () => new Promise<void>((r) => setImmediate(r));
/** Datagrams per stream the member decrypts with werift (to show they are valid) before only counting. */
const CHECKED = 50;

/** Lines on stdin/stdout between the two processes. */
async function* lines(stream: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream) {
    buffer += new TextDecoder().decode(chunk);
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
}

/** The member: answers the offer, then counts what arrives per SSRC (werift decrypts the first few). */
async function member(): Promise<void> {
  guardWeriftSockets();
  const stun = await loopbackStunSink();
  const input = lines(Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>);
  const offer = JSON.parse((await input.next()).value as string) as { sdp: string };
  const pc = new RTCPeerConnection({
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96 })] },
    headerExtensions: { video: [useSdesMid(), useAbsSendTime()] },
    ...loopbackMemberIce(stun),
    bundlePolicy: "max-bundle",
  });
  const decrypted = new Map<number, number>();
  pc.ontrack = (e) => e.track.onReceiveRtp.subscribe((rtp) => decrypted.set(rtp.header.ssrc, (decrypted.get(rtp.header.ssrc) ?? 0) + 1));
  await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
  const transceivers = pc.getTransceivers();
  // The last two m-lines are the member's own (one per ingress path), the others it receives.
  transceivers.forEach((t, i) => t.setDirection(i >= transceivers.length - 2 ? "sendonly" : "recvonly"));
  await pc.setLocalDescription(await pc.createAnswer());
  if (pc.iceGatheringState !== "complete") await pc.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  console.log(JSON.stringify({ sdp: pc.localDescription!.sdp }));
  await pc.connectionStateChange.watch((s) => s === "connected", 15_000);
  // Past the first packets of each stream, count and drop: this process must keep up with the flood.
  const seen = new Map<number, number>();
  const connection = pc.dtlsTransports[0]!.iceTransport.connection as unknown as { protocols: { datagramReceived(d: Buffer, a: unknown): void }[] };
  for (const protocol of connection.protocols) {
    const original = protocol.datagramReceived.bind(protocol);
    protocol.datagramReceived = (data: Buffer, addr: unknown) => {
      if (data.length > 12 && data[0]! >= 128 && data[0]! < 192 && (data[1]! < 192 || data[1]! > 223)) {
        const ssrc = data.readUInt32BE(8);
        const n = (seen.get(ssrc) ?? 0) + 1;
        seen.set(ssrc, n);
        if (n > CHECKED) return;
      }
      original(data, addr);
    };
  }
  console.log("connected");
  for await (const line of input) {
    if (line === "report") {
      console.log(JSON.stringify({ seen: Object.fromEntries(seen), decrypted: Object.fromEntries(decrypted) }));
      break;
    }
  }
  await pc.close();
  process.exit(0);
}

interface Run {
  cpuNs: number;
  heapMb: number;
}

async function main(): Promise<void> {
  const PACKETS = Number(values.packets);
  const C = Number(values.consumers);
  const ROUNDS = Number(values.rounds);
  const cores = cpus().length;
  const pin = values.pin === undefined ? (cores > 1 ? 0 : null) : Number(values.pin);
  if (![PACKETS, C, ROUNDS].every((n) => Number.isInteger(n) && n > 0)) {
    console.error("usage: bun scripts/bench/fastpath.ts [--packets N] [--consumers C] [--rounds R] [--pin CORE]");
    process.exit(2);
  }
  if (pin !== null) spawnSync("taskset", ["-pc", String(pin), String(process.pid)], { stdio: "ignore" });
  const memberCore = pin === null ? null : String((pin + 1) % cores);
  const child = Bun.spawn(memberCore === null ? ["bun", import.meta.path, "--member"] : ["taskset", "-c", memberCore, "bun", import.meta.path, "--member"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const fromChild = lines(child.stdout as unknown as AsyncIterable<Uint8Array>);
  const toChild = (line: string) => {
    child.stdin.write(`${line}\n`);
    child.stdin.flush();
  };

  guardWeriftSockets();
  const stun = await loopbackStunSink();
  const server = new RTCPeerConnection(peerConfig({ addresses: ["127.0.0.1"], ports: [47000, 47999], stun, stunConfigured: false }));
  const weriftOut: RTCRtpTransceiver[] = [];
  const fastOut: RTCRtpTransceiver[] = [];
  for (let i = 0; i < C; i++) weriftOut.push(server.addTransceiver("video", { direction: "sendonly" }));
  for (let i = 0; i < C; i++) fastOut.push(server.addTransceiver("video", { direction: "sendonly" }));
  // Two upstream m-lines: werift's ingress and the fast one each get a stream of their own, so
  // each sees every sequence number of its stream (SRTP's rollover counter cannot follow jumps).
  const up = server.addTransceiver("video", { direction: "recvonly" });
  server.addTransceiver("video", { direction: "recvonly" });
  await server.setLocalDescription(await server.createOffer());
  if (server.iceGatheringState !== "complete") await server.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  toChild(JSON.stringify({ sdp: server.localDescription!.sdp }));
  const answer = JSON.parse((await fromChild.next()).value as string) as { sdp: string };
  await server.setRemoteDescription({ type: "answer", sdp: answer.sdp });
  await server.connectionStateChange.watch((s) => s === "connected", 15_000);
  if ((await fromChild.next()).value !== "connected") throw new Error("the member did not connect");

  const dtls = server.dtlsTransports[0]!;
  const { keys, profile } = dtls.srtp.config;
  const fast = FastTransport.of(dtls);
  const extId = (uri: string) => Number(Object.entries(server.extIdUriMap).find(([, u]) => u === uri)?.[0] ?? 0);
  const sinks = fastOut.map(
    (t) =>
      new DirectSink({
        ssrc: t.sender.ssrc,
        payloadType: 96,
        kind: "video",
        clockRate: 90000,
        srtp: fast.outbound,
        sender: fast.sender,
        extensions: { mid: { id: extId(RTP_EXTENSION_URI.sdesMid), value: t.mid! }, absSendTimeId: extId(RTP_EXTENSION_URI.absSendTime) },
      }),
  );
  // The member's sending SSRC, as werift's router knows it from the answer.
  const sections = answer.sdp.split("m=video");
  const ssrcOf = (section: string) => Number(/a=ssrc:(\d+) /.exec(section)?.[1]);
  const upSsrc = ssrcOf(sections.at(-2)!);
  const fastUpSsrc = ssrcOf(sections.at(-1)!);
  if (!upSsrc || !fastUpSsrc) throw new Error("the member's answer declares no SSRC for its sending m-lines");

  let pending = 0;
  const settled = () => pending--;
  const ignore = () => pending--;
  const weriftForward = (rtp: RtpPacket) => {
    for (let i = 0; i < C; i++) {
      pending++;
      weriftOut[i]!.sender.sendRtp(rtp).then(settled, ignore);
    }
  };
  const fastForward = (rtp: RtpPacket | IngressPacket) => {
    for (let i = 0; i < C; i++) sinks[i]!.send(rtp);
  };
  let mode: "werift" | "fast" | "off" = "off";

  let arrived = 0;
  // The track came with the answer (werift fires onTrack during setRemoteDescription).
  for (const track of up.receiver.tracks) {
    track.onReceiveRtp.subscribe((rtp) => {
      arrived++;
      if (mode === "werift") weriftForward(rtp);
    });
  }
  const ingress = fast.receive((p) => {
    if (mode !== "fast") return false;
    arrived++;
    fastForward(p);
    return true;
  });

  // Datagrams as the member would send them: sealed with the member's key (the server's remote key).
  const memberSeal = new SrtpContext(profile as 1 | 7, keys.remoteMasterKey, keys.remoteMasterSalt);
  const pair = (dtls.iceTransport.connection as unknown as { nominated: { protocol: { datagramReceived(d: Buffer, a: unknown): void }; remoteAddr: [string, number] } }).nominated;
  const inject = (data: Buffer) => pair.protocol.datagramReceived(data, pair.remoteAddr);
  const upSeq = { [upSsrc]: 0, [fastUpSsrc]: 0 };
  let egressSeq = 0;
  const restartAll = () => {
    for (const s of sinks) s.restart();
    for (const t of weriftOut) t.sender.replaceRTP({ sequenceNumber: 0, timestamp: 0 }, false, 3000);
  };
  const wire = new Memory(2048);
  function sealed(size: number, count: number, ssrc: number): Buffer[] {
    const out: Buffer[] = [];
    const payload = Buffer.alloc(size, 0x5a);
    for (let i = 0; i < count; i++) {
      const seq = upSeq[ssrc]!++ & 0xffff;
      const plain = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: (seq * 3000) >>> 0, ssrc, marker: true }), payload).serialize();
      wire.bytes.set(plain);
      out.push(Buffer.from(wire.bytes.subarray(0, memberSeal.protectRtp(wire, 0, plain.length))));
    }
    return out;
  }

  // Egress input: the werift RtpPacket werift's receiver would hand over, and the same packet decrypted in the ingress buffer.
  function egressInputs(size: number): { werift: RtpPacket; ingress: IngressPacket } {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: upSsrc, marker: true });
    const werift = new RtpPacket(header, Buffer.alloc(size, 0x5a));
    // Its own buffer: the ingress's shared one is overwritten by the full runs.
    const ingressPacket = new IngressPacket(new Memory(4096));
    const bytes = werift.serialize();
    const at = 1024 - 12;
    ingressPacket.mem.bytes.set(bytes, at);
    ingressPacket.parse(at, bytes.length);
    return { werift, ingress: ingressPacket };
  }

  const BATCH = 50;
  async function measure(work: (i: number) => void): Promise<Run> {
    Bun.gc(true);
    const heap0 = process.memoryUsage().heapTotal;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < PACKETS; i++) {
      work(i);
      if (i % BATCH === BATCH - 1) await tick();
    }
    while (pending > 0) await tick();
    const heapMb = (process.memoryUsage().heapTotal - heap0) / 1e6;
    Bun.gc(true);
    const c = process.cpuUsage(cpu0);
    return { cpuNs: ((c.user + c.system) * 1000) / (PACKETS * C), heapMb };
  }

  const runs: Record<string, Run[]> = {};
  const add = (name: string, r: Run) => (runs[name] ??= []).push(r);
  for (const [kind, size] of [["video", 1100], ["audio", 100]] as const) {
    const input = egressInputs(size);
    for (let round = 0; round <= ROUNDS; round++) {
      // Round 0 warms both paths up and is not counted.
      const keep = round > 0;
      // Each run is a new stream for the consumers (restart: output sequence numbers continue), as a
      // layer switch is; the member's own streams (upSeq) never jump, as a real sender's do not.
      restartAll();
      let r = await measure(() => {
        const seq = egressSeq++;
        input.werift.header.sequenceNumber = seq & 0xffff;
        input.werift.header.timestamp = (seq * 3000) >>> 0;
        weriftForward(input.werift);
      });
      if (keep) add(`werift egress ${kind}`, r);
      restartAll();
      r = await measure(() => {
        const seq = egressSeq++;
        const h = input.ingress.header;
        h.sequenceNumber = seq & 0xffff;
        h.timestamp = (seq * 3000) >>> 0;
        fastForward(input.ingress);
      });
      if (keep) add(`fast egress ${kind}`, r);
      let datagrams = sealed(size, PACKETS, upSsrc);
      restartAll();
      mode = "werift";
      arrived = 0;
      r = await measure((i) => inject(datagrams[i]!));
      if (arrived !== PACKETS) throw new Error(`werift routed ${arrived} of ${PACKETS} injected packets`);
      if (keep) add(`werift full ${kind}`, r);
      datagrams = sealed(size, PACKETS, fastUpSsrc);
      restartAll();
      mode = "fast";
      arrived = 0;
      r = await measure((i) => inject(datagrams[i]!));
      if (arrived !== PACKETS) throw new Error(`the fast ingress took ${arrived} of ${PACKETS} injected packets`);
      if (keep) add(`fast full ${kind}`, r);
      mode = "off";
    }
  }

  toChild("report");
  const report = JSON.parse((await fromChild.next()).value as string) as { seen: Record<string, number>; decrypted: Record<string, number> };
  const checked = (list: { sender: { ssrc: number } }[]) => list.every((t) => (report.decrypted[t.sender.ssrc] ?? 0) >= Math.min(CHECKED, report.seen[t.sender.ssrc] ?? 0) && (report.seen[t.sender.ssrc] ?? 0) > 0);
  const sinkDrops = sinks.reduce((a, s) => a + s.dropped, 0);
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result: Record<string, unknown> = { bench: "fastpath", unit: "cpu ns per forwarded packet", packets: PACKETS, consumers: C, rounds: ROUNDS, pinned_core: pin };
  for (const [name, list] of Object.entries(runs)) {
    const ns = Math.round(median(list.map((r) => r.cpuNs)));
    const heap = Math.round(median(list.map((r) => r.heapMb)) * 10) / 10;
    result[name.replaceAll(" ", "_")] = ns;
    result[`${name.replaceAll(" ", "_")}_heap_mb`] = heap;
    log(`${name.padEnd(20)} ${String(ns).padStart(6)} ns CPU per forwarded packet   heap grew ${heap} MB per run of ${PACKETS * C} packets`);
  }
  for (const kind of ["video", "audio"]) {
    result[`speedup_egress_${kind}`] = Math.round(((result[`werift_egress_${kind}`] as number) / (result[`fast_egress_${kind}`] as number)) * 10) / 10;
    result[`speedup_full_${kind}`] = Math.round(((result[`werift_full_${kind}`] as number) / (result[`fast_full_${kind}`] as number)) * 10) / 10;
  }
  result.engine = defaultEngine().name;
  result.send_path = fast.sender.path;
  result.member_valid_werift_streams = checked(weriftOut);
  result.member_valid_fast_streams = checked(fastOut);
  result.fast_send_failures = fast.sender.failed + sinkDrops;
  result.ingress = ingress.counters;
  log(`the member decrypted the first packets of every stream: werift ${result.member_valid_werift_streams}, fast ${result.member_valid_fast_streams}; engine ${result.engine}, send ${result.send_path}`);
  console.log(JSON.stringify(result));
  fast.close();
  await server.close();
  child.kill();
  process.exit(0);
}

if (values.member) await member();
else await main();
