#!/usr/bin/env bun
/**
 * Chat fan-out: M members (clinician included) in one room, each on a plain room WebSocket (no
 * browser, no media answered), admitted through the real protocol. Members take turns sending a
 * chat message to everyone at R messages per second; for each message, the time from `send` on
 * the sender's socket to its arrival at the LAST of the M members (the sender's own copy counts)
 * is recorded. Server and sockets share this process and its clock, over loopback.
 *
 *   bun scripts/bench/chat.ts [--members 16] [--rate 10] [--seconds 30] [--warmup 3]
 *
 * Baseline, same run, same sockets: raised hands (`hand-raise` / `hand-lower`, broadcast as the
 * whole queue to the same M members, neither sealed nor stored), at the same rate. The ratio
 * chat / hands is what sealing and storing each message costs on top of the fan-out itself.
 * The last line is one JSON object.
 */
import { parseArgs } from "node:util";
import { startRoomServer } from "../../tests/room-fixture.ts";
import type { ServerMessage } from "../../src/rooms/protocol.ts";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "16" },
    rate: { type: "string", default: "10" },
    seconds: { type: "string", default: "30" },
    warmup: { type: "string", default: "3" },
  },
});
const M = Number(values.members);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

const world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "45000-45199", HEARTH_LOG_LEVEL: "error" });
const g = await world.group(M - 1);

interface Peer {
  ws: WebSocket;
  memberId: number;
  handler: (msg: ServerMessage, at: number) => void;
}

function connect(cookie: string): Promise<Peer> {
  return new Promise((resolve) => {
    const ws = new WebSocket(world.wsUrl(g.sessionId), { headers: { cookie } } as unknown as string[]);
    const peer: Peer = { ws, memberId: 0, handler: () => {} };
    ws.onmessage = (e) => {
      const at = performance.now();
      const msg = JSON.parse(String(e.data)) as ServerMessage;
      if (msg.type === "welcome") {
        peer.memberId = msg.memberId;
        resolve(peer);
      }
      peer.handler(msg, at);
    };
  });
}

const clinician = await connect(g.clinician);
const peers = [clinician];
for (const cookie of g.members) {
  const p = await connect(cookie);
  const admitted = new Promise<void>((r) => (p.handler = (m) => m.type === "admitted" && r()));
  clinician.ws.send(JSON.stringify({ type: "admit", memberId: p.memberId }));
  await admitted;
  peers.push(p);
}

/** Sends `count` messages at RATE, round robin over the peers; returns per-message last-arrival latency (ms). */
async function run(kind: "chat" | "hands", count: number): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const arrivals = new Map<string, number>();
  const done: number[] = [];
  const keyOf = (msg: ServerMessage): string[] => {
    if (kind === "chat" && msg.type === "chat" && !msg.catchUp) return msg.messages.map((m) => m.text);
    // A hands message is identified by the queue it carries: `<member>:<raised or not>`.
    if (kind === "hands" && msg.type === "hands") return [msg.queue.map((h) => h.memberId).join(",")];
    return [];
  };
  for (const p of peers) {
    p.handler = (msg, at) => {
      for (const key of keyOf(msg)) {
        const n = (arrivals.get(key) ?? 0) + 1;
        arrivals.set(key, n);
        if (n === peers.length && sentAt.has(key)) done.push(at - sentAt.get(key)!);
      }
    };
  }
  const every = 1000 / RATE;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = start + i * every - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const p = peers[i % peers.length]!;
    if (kind === "chat") {
      const text = `bench message ${i} from ${p.memberId}`;
      sentAt.set(text, performance.now());
      p.ws.send(JSON.stringify({ type: "chat-send", to: "everyone", text }));
    } else {
      // Alternate raising and lowering one's hand: the queue is then [p] or [] - so the key is
      // made unique by raising hands in turn with everyone else's lowered.
      const key = String(p.memberId);
      arrivals.delete(key);
      sentAt.set(key, performance.now());
      p.ws.send(JSON.stringify({ type: "hand-raise" }));
      await Bun.sleep(every / 2);
      arrivals.delete("");
      p.ws.send(JSON.stringify({ type: "hand-lower" }));
    }
  }
  await Bun.sleep(1000);
  return done;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: +q(0.5).toFixed(2), p99: +q(0.99).toFixed(2), max: +(s.at(-1) ?? NaN).toFixed(2) };
}

await run("chat", WARMUP * RATE);
const chat = stats(await run("chat", SECONDS * RATE));
const hands = stats(await run("hands", SECONDS * RATE));
const stored = world.hearth.db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM chat_messages WHERE session_id = ?").get(g.sessionId)!.n;
console.log(`chat fan-out to ${M} members at ${RATE}/s over ${SECONDS} s: p50 ${chat.p50} ms, p99 ${chat.p99} ms, max ${chat.max} ms (${chat.n} messages, ${stored} stored incl. warm-up)`);
console.log(`baseline (raised hands, not sealed or stored): p50 ${hands.p50} ms, p99 ${hands.p99} ms, max ${hands.max} ms (${hands.n})`);
console.log(`ratio chat/hands: p50 ${(chat.p50 / hands.p50).toFixed(2)}, p99 ${(chat.p99 / hands.p99).toFixed(2)}`);
console.log(JSON.stringify({ members: M, rate: RATE, seconds: SECONDS, chat, hands, ratioP99: +(chat.p99 / hands.p99).toFixed(2) }));
for (const p of peers) p.ws.close();
await world.close();
process.exit(0);
