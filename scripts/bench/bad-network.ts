#!/usr/bin/env bun
/**
 * A patient on a bad rural link, in Chromium, in a group with a patient on a good one:
 *
 *   clinic (this namespace) 10.78.9.1: Hearth; Chromium "good"
 *     └── link 10.78.9.2 | 10.78.4.1: scripts/bench/link.ts (UDP: 150 ms each way, 10% loss each
 *           way, 500 kbit/s uplink with a 400 ms queue)
 *           └── rural 10.78.4.2: Chromium "rural"
 *
 *   bun scripts/bench/bad-network.ts            # needs root, iproute2, nftables
 *
 * Reads both pages' getStats: the rural patient's audio concealment over 20 s, the layer the SFU
 * forwards to them (width of the video they decode) and the RTCP round trip; then a 5 s burst of
 * total loss, and how long after it each page decodes new frames again.
 *
 *   DEBUG=1 bun scripts/bench/bad-network.ts    # also: per-layer sender, receiver and SFU counters every 500 ms after the burst
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort, startTestServer, tempDir } from "../../tests/harness.ts";
import { makeGroup } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { createSession } from "../../src/identity/sessions.ts";
import { BASE_ARGS, CHROMIUM, keepPeerConnections, MEDIA_ARGS } from "../../tests/e2e/browser.ts";

const CLINIC = "10.78.9.1";
const PORTS = [44900, 44919] as const;
const tag = randomBytes(2).toString("hex");
const LINK = `hzl${tag}`;
const RURAL = `hzu${tag}`;
const work = tempDir("hearth-badnet-");

function sh(...cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString().trim()}`);
}

function build(): void {
  // The SFU also tries the patient's own address: nothing for 10.78/16 may take the default route out.
  sh("ip", "route", "add", "unreachable", "10.78.0.0/16");
  for (const ns of [LINK, RURAL]) {
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
  }
  sh("ip", "link", "add", `hzm${tag}`, "type", "veth", "peer", "name", `hzn${tag}`, "netns", LINK);
  sh("ip", "addr", "add", `${CLINIC}/24`, "dev", `hzm${tag}`);
  sh("ip", "link", "set", `hzm${tag}`, "up");
  sh("ip", "-n", LINK, "addr", "add", "10.78.9.2/24", "dev", `hzn${tag}`);
  sh("ip", "-n", LINK, "link", "set", `hzn${tag}`, "up");
  sh("ip", "-n", LINK, "link", "add", `hzo${tag}`, "type", "veth", "peer", "name", `hzp${tag}`, "netns", RURAL);
  sh("ip", "-n", LINK, "addr", "add", "10.78.4.1/24", "dev", `hzo${tag}`);
  sh("ip", "-n", LINK, "link", "set", `hzo${tag}`, "up");
  sh("ip", "-n", RURAL, "addr", "add", "10.78.4.2/24", "dev", `hzp${tag}`);
  sh("ip", "-n", RURAL, "link", "set", `hzp${tag}`, "up");
  sh("ip", "-n", RURAL, "route", "add", "10.78.9.0/24", "via", "10.78.4.1");
  sh("ip", "netns", "exec", LINK, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
  const rules = join(work.path, "link.nft");
  // The patient's media goes to the link emulator; the rest (the web app's TCP) leaves masqueraded,
  // as from a home router: the clinic has no route to the patient, so the SFU cannot reach the
  // patient's own address around the emulator (Chromium shows it once the camera is allowed).
  writeFileSync(
    rules,
    `table ip t {
  chain pre {
    type nat hook prerouting priority dstnat;
    iifname "hzo${tag}" ip daddr ${CLINIC} udp dport ${PORTS[0]}-${PORTS[1]} counter redirect
  }
  chain post {
    type nat hook postrouting priority srcnat;
    oifname "hzn${tag}" masquerade
  }
}
`,
  );
  sh("ip", "netns", "exec", LINK, "nft", "-f", rules);
}

function teardown(): void {
  for (const ns of [LINK, RURAL]) Bun.spawnSync(["ip", "netns", "del", ns]);
  Bun.spawnSync(["ip", "link", "del", `hzm${tag}`], { stderr: "ignore" });
  Bun.spawnSync(["ip", "route", "del", "unreachable", "10.78.0.0/16"], { stderr: "ignore" });
}

function launch(ns: string | null, origin: string): Promise<Browser> {
  let executablePath = CHROMIUM;
  if (ns) {
    executablePath = join(work.path, `chromium-${ns}`);
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  return chromium.launch({ executablePath, args: [...BASE_ARGS, ...MEDIA_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`] });
}

interface Stats {
  framesDecoded: number;
  frameWidth: number;
  concealed: number;
  samples: number;
  rttMs: number | null;
  candidate: string | null;
  /** The page's answer puts audio/red first on every audio m-line (so it sends RED, and takes it). */
  audioRed: boolean;
}

function stats(page: Page): Promise<Stats> {
  return page.evaluate(async () => {
    const out = { framesDecoded: 0, frameWidth: 0, concealed: 0, samples: 0, rttMs: null as number | null, candidate: null as string | null, audioRed: true };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === "closed") continue;
      const sdp = pc.localDescription?.sdp ?? "";
      for (const m of sdp.split("\r\nm=").filter((section) => section.startsWith("audio "))) {
        const first = m.split("\r\n")[0]!.split(" ")[3];
        if (!m.includes(`a=rtpmap:${first} red/48000/2`)) out.audioRed = false;
      }
      const all = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((r: Record<string, unknown>) => all.set(r.id as string, r));
      for (const r of all.values()) {
        if (r.type === "inbound-rtp" && r.kind === "video") {
          out.framesDecoded += (r.framesDecoded as number) ?? 0;
          out.frameWidth = Math.max(out.frameWidth, (r.frameWidth as number) ?? 0);
        }
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          out.concealed += (r.concealedSamples as number) ?? 0;
          out.samples += (r.totalSamplesReceived as number) ?? 0;
        }
        if (r.type === "remote-inbound-rtp" && typeof r.roundTripTime === "number") out.rttMs = Math.max(out.rttMs ?? 0, (r.roundTripTime as number) * 1000);
        if (r.type === "transport" && r.selectedCandidatePairId) {
          const pair = all.get(r.selectedCandidatePairId as string);
          out.candidate = `${all.get(pair?.localCandidateId as string)?.candidateType}->${all.get(pair?.remoteCandidateId as string)?.address}`;
        }
      }
    }
    return out;
  });
}

/** What each page's room socket said and heard: media restarts show a connection given up on. */
const signals = new Map<Page, { restartsAsked: number; freshOffers: number }>();

async function page(browser: Browser, origin: string, personId: number, sessionId: number): Promise<Page> {
  const context = await browser.newContext({ baseURL: origin });
  context.setDefaultTimeout(30_000);
  await context.addCookies([{ name: "hearth_session", value: createSession(server.hearth, personId).id, url: origin }]);
  await context.addInitScript(keepPeerConnections);
  const p = await context.newPage();
  const seen = { restartsAsked: 0, freshOffers: 0 };
  signals.set(p, seen);
  p.on("websocket", (ws) => {
    ws.on("framesent", ({ payload }) => String(payload).includes('"restart-media"') && seen.restartsAsked++);
    ws.on("framereceived", ({ payload }) => /"type":"offer".*"fresh":true/.test(String(payload)) && seen.freshOffers++);
  });
  await p.goto(`/sessions/${sessionId}`);
  await p.getByRole("heading", { level: 1, name: "Waiting room" }).waitFor();
  return p;
}

const sleep = (ms: number) => Bun.sleep(ms);
let server: Awaited<ReturnType<typeof startTestServer>>;
const browsers: Browser[] = [];
let link: Bun.Subprocess<"pipe", "pipe", "inherit"> | undefined;

try {
  build();
  const port = freePort();
  const origin = `http://${CLINIC}:${port}`;
  server = await startTestServer({ HEARTH_HOST: CLINIC, HEARTH_PORT: String(port), HEARTH_RTC_ADDRESSES: CLINIC, HEARTH_RTC_PORTS: `${PORTS[0]}-${PORTS[1]}`, HEARTH_SFU_WORKERS: "0" });
  link = Bun.spawn(["ip", "netns", "exec", LINK, process.execPath, join(import.meta.dir, "link.ts"), "--server", CLINIC, "--ports", `${PORTS[0]}-${PORTS[1]}`, "--delay", "150", "--loss", "0.1", "--kbps", "500"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const linkLog: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    const reader = link!.stdout.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      linkLog.push(...decoder.decode(value).trim().split("\n"));
    }
  })();
  browsers.push(await launch(null, origin), await launch(RURAL, origin));
  const g = await makeGroup(server.hearth, 2);
  const clinician = await RoomSocket.open(`ws://${CLINIC}:${port}/rooms/${g.sessionId}/ws`, g.clinician);
  const good = await page(browsers[0]!, origin, g.memberIds[0]!, g.sessionId);
  const rural = await page(browsers[1]!, origin, g.memberIds[1]!, g.sessionId);
  const room = await clinician.next("room", (r) => (r.waiting?.length ?? 0) === 2);
  for (const w of room.waiting!) clinician.send({ type: "admit", memberId: w.id });

  const until = async (check: () => Promise<boolean>, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`no ${what} in ${ms} ms: good ${JSON.stringify(await stats(good))}, rural ${JSON.stringify(await stats(rural))}`);
      await sleep(250);
    }
  };
  await until(async () => (await stats(rural)).framesDecoded > 10 && (await stats(good)).framesDecoded > 10, 60_000, "video both ways");
  console.log("both decode; settling 20 s");
  await sleep(20_000);

  const a0 = await stats(rural);
  const g0 = await stats(good);
  await sleep(20_000);
  const a1 = await stats(rural);
  const g1 = await stats(good);
  const concealedPct = (100 * (a1.concealed - a0.concealed)) / Math.max(1, a1.samples - a0.samples);
  const goodConcealedPct = (100 * (g1.concealed - g0.concealed)) / Math.max(1, g1.samples - g0.samples);

  // DEBUG=1: every 500 ms from the burst on, what the rural page sends per layer, what the good
  // page gets of it, and the SFU's own counters for the rural member (upstream NACKs, packets
  // given up) and the good one (the layer it is forwarded, resends it could not answer).
  const sfu = async () => {
    const members = (await server.rooms.room(g.sessionId)?.stats())?.members ?? [];
    return members
      .filter((m) => m.peer?.fast)
      .map((m) => {
        const f = m.peer!.fast!;
        const cam = m.consumers.find((c) => c.source === "camera");
        return `m${m.id} up nack${f.upstream.nacked}/rec${f.upstream.recovered}/late${f.upstream.late}/gaveup${f.upstream.givenUp}/lost${f.upstream.lost}/rtt${f.upstream.rttMs} down rtx${f.retransmitted}/miss${f.resendMissed} cam:${cam?.layer ?? "-"}`;
      })
      .join(" ");
  };
  const sender = () =>
    rural.evaluate(async () => {
      const o: string[] = [];
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        if (pc.connectionState === "closed") continue;
        (await pc.getStats()).forEach((r: Record<string, unknown>) => {
          if (r.type === "outbound-rtp" && r.kind === "video") o.push(`${r.rid}:${r.framesEncoded}/${r.framesSent}/${Math.round(((r.targetBitrate as number) ?? 0) / 1000)}k/${r.qualityLimitationReason}/kf${r.keyFramesEncoded}/pli${r.pliCount}/nack${r.nackCount}/rtx${r.retransmittedPacketsSent}`);
          if (r.type === "candidate-pair" && r.nominated) o.push(`bwe ${Math.round(((r.availableOutgoingBitrate as number) ?? 0) / 1000)}k`);
        });
      }
      return o.join(" ");
    });
  const goodIn = () =>
    good.evaluate(async () => {
      const o: string[] = [];
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        if (pc.connectionState === "closed") continue;
        (await pc.getStats()).forEach((r: Record<string, unknown>) => {
          if (r.type === "inbound-rtp" && r.kind === "video") o.push(`in ${r.framesDecoded}/rx${r.framesReceived}/drop${r.framesDropped}/frz${r.freezeCount} rcv${r.packetsReceived} lost${r.packetsLost} pli${r.pliCount} nack${r.nackCount} kf${r.keyFramesDecoded} w${r.frameWidth}`);
        });
      }
      return o.join(" ");
    });
  const debug = async (at: string) => console.log(at, await sender().catch(() => ""), "|", await goodIn().catch(() => ""), "|", await sfu().catch(() => ""));
  if (process.env.DEBUG) await debug("before");

  // 5 s of total loss, then: how long until each page decodes a new frame.
  const signalsBefore = [good, rural].map((p) => ({ ...signals.get(p)! }));
  link.stdin!.write("burst on\n");
  await sleep(5000);
  const beforeRural = (await stats(rural)).framesDecoded;
  const beforeGood = (await stats(good)).framesDecoded;
  link.stdin!.write("burst off\n");
  const off = performance.now();
  const debugTimer = process.env.DEBUG ? setInterval(() => void debug(String(Math.round(performance.now() - off))), 500) : null;
  let ruralBack: number | null = null;
  let goodBack: number | null = null;
  while (performance.now() - off < 15_000 && (ruralBack === null || goodBack === null)) {
    if (ruralBack === null && (await stats(rural)).framesDecoded > beforeRural + 2) ruralBack = performance.now() - off;
    if (goodBack === null && (await stats(good)).framesDecoded > beforeGood + 2) goodBack = performance.now() - off;
    await sleep(50);
  }
  if (debugTimer) {
    await sleep(3000);
    clearInterval(debugTimer);
  }
  const end = await stats(rural);
  if (process.env.DEBUG) {
    console.log(Bun.spawnSync(["ip", "netns", "exec", LINK, "nft", "list", "ruleset"]).stdout.toString());
    console.log(Bun.spawnSync(["ip", "netns", "exec", LINK, "ss", "-uanp"]).stdout.toString().slice(0, 1500));
    console.log(linkLog.slice(0, 30).join("\n"));
  }
  console.log(
    JSON.stringify(
      {
        link: "150 ms each way, 10% loss each way, 500 kbit/s uplink (rural)",
        ruralAudioConcealedPct: +concealedPct.toFixed(2),
        audioRedNegotiated: [g1.audioRed, a1.audioRed],
        goodAudioConcealedPct: +goodConcealedPct.toFixed(2),
        ruralDecodesWidth: a1.frameWidth,
        goodDecodesWidthOfRural: g1.frameWidth,
        ruralRttMs: a1.rttMs && Math.round(a1.rttMs),
        ruralFpsReceived: +((a1.framesDecoded - a0.framesDecoded) / 20).toFixed(1),
        goodFpsReceivedFromRural: +((g1.framesDecoded - g0.framesDecoded) / 20).toFixed(1),
        ruralCandidate: end.candidate,
        afterBurstRuralDecodesInMs: ruralBack && Math.round(ruralBack),
        afterBurstGoodDecodesRuralInMs: goodBack && Math.round(goodBack),
        mediaRestartsDuringBurst: [good, rural].map((p, i) => signals.get(p)!.freshOffers - signalsBefore[i]!.freshOffers),
        restartsAskedByPages: [good, rural].map((p, i) => signals.get(p)!.restartsAsked - signalsBefore[i]!.restartsAsked),
        linkLast: linkLog.slice(-3),
      },
      null,
      1,
    ),
  );
  clinician.close();
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  link?.kill();
  await server!?.close();
  teardown();
  work.remove();
}
process.exit(0);
