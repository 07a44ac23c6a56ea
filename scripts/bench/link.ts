#!/usr/bin/env bun
/**
 * A bad home link for UDP, in user space: this machine's kernel has no netem (sch_netem is not
 * built), so scripts/bench/bad-network.ts runs this inside the namespace between a patient and
 * the clinic. nft redirects the patient's UDP to the SFU's ports here; each datagram waits
 * `--delay` ms, is lost with `--loss` probability, and the patient's uplink is held to `--kbps`
 * (a token bucket with a 400 ms queue, as a home router's). Replies leave from the socket the
 * patient wrote to, so conntrack gives them the SFU's address back and ICE sees the real path.
 *
 *   bun scripts/bench/link.ts --server 10.78.9.1 --ports 44900-44919 --delay 150 --loss 0.1 --kbps 500
 *
 * stdin: "burst on" drops everything (both ways) until "burst off". stdout: one JSON line of
 * counts per second.
 */
import { createSocket, type Socket } from "node:dgram";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const SERVER = arg("server", "127.0.0.1");
const [FIRST, LAST] = arg("ports", "44900-44919").split("-").map(Number) as [number, number];
const DELAY_MS = Number(arg("delay", "150"));
const LOSS = Number(arg("loss", "0.1"));
const UP_BPS = Number(arg("kbps", "500")) * 1000;
const QUEUE_MS = 400;

let burst = false;
const counts = { up: 0, down: 0, lost: 0, queueDrops: 0 };

/** The uplink: bytes may leave at UP_BPS; what would wait longer than QUEUE_MS is dropped. */
let upFreeAt = 0;
function shape(bytes: number): number | null {
  const now = performance.now();
  const start = Math.max(now, upFreeAt);
  if (start - now > QUEUE_MS) return null;
  upFreeAt = start + ((bytes * 8) / UP_BPS) * 1000;
  return upFreeAt - now;
}

const drop = () => burst || Math.random() < LOSS;

for (let port = FIRST; port <= LAST; port++) {
  const front = createSocket("udp4");
  const upstream = new Map<string, Socket>();
  front.on("message", (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let up = upstream.get(key);
    if (!up) {
      const sock = createSocket("udp4");
      sock.on("message", (reply) => {
        if (drop()) return void counts.lost++;
        setTimeout(() => {
          counts.down++;
          front.send(reply, from.port, from.address);
        }, DELAY_MS);
      });
      sock.bind(0);
      upstream.set(key, sock);
      up = sock;
    }
    if (drop()) return void counts.lost++;
    const queued = shape(msg.length + 28);
    if (queued === null) return void counts.queueDrops++;
    const target = up;
    setTimeout(() => {
      counts.up++;
      target.send(msg, port, SERVER);
    }, DELAY_MS + queued);
  });
  front.bind(port);
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (line: string) => {
  if (line.includes("burst on")) burst = true;
  if (line.includes("burst off")) burst = false;
});
setInterval(() => {
  console.log(JSON.stringify({ ...counts, burst }));
  counts.up = counts.down = counts.lost = counts.queueDrops = 0;
}, 1000);
console.log(JSON.stringify({ ready: true, ports: [FIRST, LAST] }));
