#!/usr/bin/env bun
/**
 * Can a werift peer connection, with the fast path, live in a Bun Worker thread or a child
 * process, and what does each cost in memory? For the SFU worker model (one media worker per core).
 *
 *   bun scripts/bench/fastpath-workers.ts [--workers 2]
 *
 * Each worker (a thread, then a process) connects a server-side werift peer to a member-side one
 * over loopback, forwards 1,000 packets through DirectSink and checks the member got them. Prints
 * the start-up time, the RSS this process grew by per thread, and each process's RSS and PSS; the
 * last line is one JSON object.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker } from "node:worker_threads";

const { values } = parseArgs({ args: process.argv.slice(2), options: { workers: { type: "string", default: "2" }, child: { type: "boolean", default: false } }, strict: true });

function rssMb(pid = process.pid): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

/** Proportional set size: shared pages (the bun binary, libraries) divided among the processes sharing them. */
function pssMb(pid = process.pid): number {
  const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

/** One connection and 1,000 packets through the fast path; resolves with what the member received. */
async function work(): Promise<{ received: number; engine: string; send: string }> {
  const { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } = await import("werift");
  const { guardWeriftSockets, loopbackMemberIce, loopbackStunSink, peerConfig } = await import("../../src/rooms/ice.ts");
  const { FastTransport } = await import("../../src/rooms/fastpath/transport.ts");
  const { DirectSink } = await import("../../src/rooms/fastpath/sink.ts");
  const { defaultEngine } = await import("../../src/rooms/fastpath/engine.ts");
  guardWeriftSockets();
  const stun = await loopbackStunSink();
  const server = new RTCPeerConnection(peerConfig({ addresses: ["127.0.0.1"], ports: [48000, 48999], stun, stunConfigured: false }));
  const down = server.addTransceiver("video", { direction: "sendonly" });
  await server.setLocalDescription(await server.createOffer());
  if (server.iceGatheringState !== "complete") await server.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  const member = new RTCPeerConnection({
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96 })] },
    ...loopbackMemberIce(stun),
  });
  let received = 0;
  member.ontrack = (e) => e.track.onReceiveRtp.subscribe(() => received++);
  await member.setRemoteDescription(server.localDescription!);
  await member.setLocalDescription(await member.createAnswer());
  if (member.iceGatheringState !== "complete") await member.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  await server.setRemoteDescription(member.localDescription!);
  await server.connectionStateChange.watch((s) => s === "connected", 10_000);
  if (member.connectionState !== "connected") await member.connectionStateChange.watch((s) => s === "connected", 10_000);
  const fast = FastTransport.of(server.dtlsTransports[0]!);
  const sink = new DirectSink({ ssrc: down.sender.ssrc, payloadType: 96, kind: "video", clockRate: 90000, srtp: fast.outbound, sender: fast.sender });
  const payload = Buffer.alloc(1100, 1);
  for (let i = 0; i < 1000; i++) {
    sink.send(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: i, timestamp: i * 3000, ssrc: 1 }), payload));
    if (i % 50 === 49) await Bun.sleep(1);
  }
  const end = Date.now() + 3000;
  while (received < 1000 && Date.now() < end) await Bun.sleep(10);
  return { received, engine: defaultEngine().name, send: fast.sender.path };
}

if (!isMainThread) {
  parentPort!.postMessage(await work());
} else if (values.child) {
  console.log(JSON.stringify(await work()));
  // Stay up so the parent can read this process's RSS with the connection in place.
  for await (const _ of console) break;
  process.exit(0);
} else {
  const K = Number(values.workers);
  const results: Record<string, unknown> = { bench: "fastpath-workers", workers: K };
  const base = rssMb();
  let t0 = performance.now();
  const threads = await Promise.all(
    [...Array(K)].map(
      () =>
        new Promise<{ received: number; engine: string; send: string }>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url).pathname);
          w.once("message", resolve);
          w.once("error", reject);
        }),
    ),
  );
  results.thread_ms = Math.round(performance.now() - t0);
  results.thread_rss_mb_each = Math.round(((rssMb() - base) / K) * 10) / 10;
  results.thread_ok = threads.every((r) => r.received === 1000 && r.engine === "libcrypto" && r.send === "sendto");
  t0 = performance.now();
  const children = [...Array(K)].map(() => Bun.spawn(["bun", import.meta.path, "--child"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" }));
  const outputs = await Promise.all(
    children.map(async (c) => {
      const reader = c.stdout.getReader();
      return JSON.parse(new TextDecoder().decode((await reader.read()).value)) as { received: number; engine: string; send: string };
    }),
  );
  results.process_ms = Math.round(performance.now() - t0);
  results.process_rss_mb_each = Math.round((children.reduce((a, c) => a + rssMb(c.pid), 0) / K) * 10) / 10;
  results.process_pss_mb_each = Math.round((children.reduce((a, c) => a + pssMb(c.pid), 0) / K) * 10) / 10;
  results.process_ok = outputs.every((r) => r.received === 1000 && r.engine === "libcrypto" && r.send === "sendto");
  for (const c of children) c.stdin.end();
  await Promise.all(children.map((c) => c.exited));
  console.error(
    `threads: ${K} up in ${results.thread_ms} ms, +${results.thread_rss_mb_each} MB RSS each, fast path ok: ${results.thread_ok}\n` +
      `processes: ${K} up in ${results.process_ms} ms, ${results.process_rss_mb_each} MB RSS (${results.process_pss_mb_each} MB PSS) each, fast path ok: ${results.process_ok}`,
  );
  console.log(JSON.stringify(results));
  process.exit(0);
}
