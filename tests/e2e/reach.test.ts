/**
 * Patients at home, for real: network namespaces this test makes, Debian's Chromium inside them.
 *
 *   box (this namespace) 10.77.5.1: Hearth (web app, SFU) and coturn (`hearth turn-config`)
 *     └── gate: the clinic's router, public address 10.77.0.1; forwards the web port, the TURN
 *         ports and the RTC UDP range to the box (nft dnat); HEARTH_RTC_ADDRESSES=10.77.5.1,10.77.0.1
 *           ├── router 10.77.0.2: a home router, NAT (masquerade, only replies come back in)
 *           │     └── home 10.77.1.2: a patient behind it, Chromium
 *           └── strict 10.77.2.2: a network that drops every UDP packet, Chromium
 *
 * Both patients are admitted by the clinician and each must decode the other's video, read from
 * their own page's getStats: the one at home over UDP through both NATs to the clinic's public
 * address, the other only through the TURN relay over TLS on TCP, its certificate Hearth's own,
 * trusted as /trust tells people to (NSS database, certutil).
 *
 * Nothing here leaves these namespaces: the routers know only 10.77/24 networks and have no default
 * route, and this namespace holds 10.77.0.0/16 unreachable for the test's length (the SFU also
 * tries the browsers' own addresses, which its default route would otherwise send out).
 *
 * Needs root, iproute2, nftables and libnss3-tools (scripts/test.ts installs them).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort, startTestServer, tempDir, type TestServer } from "../harness.ts";
import { makeGroup, type GroupFixture } from "../room-fixture.ts";
import { RoomSocket } from "../room-socket.ts";
import { createSession } from "../../src/identity/sessions.ts";
import { ensureLocalCa, ensureServerCert, tlsDir } from "../../src/appliance/tls.ts";
import { BASE_ARGS, CHROMIUM, keepPeerConnections, MEDIA_ARGS } from "./browser.ts";

/** The clinic's public address (its router's WAN side), and the box's own address behind it. */
const PUBLIC = "10.77.0.1";
const BOX = "10.77.5.1";
const RTC_PORTS = "44900-44999";
const tag = randomBytes(2).toString("hex");
const NS = { gate: `hzg${tag}`, router: `hzr${tag}`, home: `hzh${tag}`, strict: `hzs${tag}` };
const work = tempDir("hearth-reach-");

function sh(...cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}
const inNs = (ns: string, ...cmd: string[]) => sh("ip", "netns", "exec", ns, ...cmd);
const nft = (ns: string, rules: string) => {
  const file = join(work.path, `${ns}.nft`);
  writeFileSync(file, rules);
  inNs(ns, "nft", "-f", file);
};

/** A veth pair from `a` (null: this namespace) to `b`, each end with its address. */
function link(a: string | null, aDev: string, aAddr: string, b: string, bDev: string, bAddr: string): void {
  sh("ip", ...(a ? ["-n", a] : []), "link", "add", aDev, "type", "veth", "peer", "name", bDev, "netns", b);
  sh("ip", ...(a ? ["-n", a] : []), "addr", "add", aAddr, "dev", aDev);
  sh("ip", ...(a ? ["-n", a] : []), "link", "set", aDev, "up");
  sh("ip", "-n", b, "addr", "add", bAddr, "dev", bDev);
  sh("ip", "-n", b, "link", "set", bDev, "up");
}

function buildNetwork(webPort: number, turnPorts: number[]): void {
  // Nothing for 10.77/16 may leave through this machine's default route (the SFU tries the
  // browsers' own addresses too): what no namespace here answers for is unreachable.
  sh("ip", "route", "add", "unreachable", "10.77.0.0/16");
  for (const ns of Object.values(NS)) {
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
  }
  // The box on the clinic LAN, behind the clinic's router ("gate").
  link(null, `hza${tag}`, `${BOX}/24`, NS.gate, `hzb${tag}`, "10.77.5.2/24");
  sh("ip", "route", "add", "10.77.0.0/24", "via", "10.77.5.2");
  sh("ip", "route", "add", "10.77.2.0/24", "via", "10.77.5.2");
  // The gate's public side towards the home router, and towards the strict network.
  link(NS.gate, `hzc${tag}`, `${PUBLIC}/24`, NS.router, `hzd${tag}`, "10.77.0.2/24");
  link(NS.gate, `hze${tag}`, "10.77.2.1/24", NS.strict, `hzf${tag}`, "10.77.2.2/24");
  sh("ip", "-n", NS.strict, "route", "add", "10.77.0.0/24", "via", "10.77.2.1");
  // The patient's home behind their router.
  link(NS.router, `hzi${tag}`, "10.77.1.1/24", NS.home, `hzj${tag}`, "10.77.1.2/24");
  sh("ip", "-n", NS.home, "route", "add", "default", "via", "10.77.1.1");
  for (const ns of [NS.gate, NS.router]) inNs(ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
  // The clinic's router forwards the web port, the TURN ports and the RTC UDP range to the box
  // (docs/operations.md, "Patients at home"); from outside, nothing else gets in.
  nft(
    NS.gate,
    `table ip nat {
  chain forward_ports {
    type nat hook prerouting priority dstnat;
    ip daddr ${PUBLIC} tcp dport { ${[webPort, ...turnPorts].join(", ")} } dnat to ${BOX}
    ip daddr ${PUBLIC} udp dport ${RTC_PORTS} dnat to ${BOX}
  }
}
table inet filter {
  chain forwarded {
    type filter hook forward priority filter; policy drop;
    iifname "hzb${tag}" accept
    ct status dnat accept
    ct state established,related accept
  }
}
`,
  );
  // A home router: the LAN goes out masqueraded as 10.77.0.2; from outside only replies come in.
  nft(
    NS.router,
    `table ip nat {
  chain masq {
    type nat hook postrouting priority srcnat;
    oifname "hzd${tag}" masquerade
  }
}
table inet filter {
  chain forwarded {
    type filter hook forward priority filter; policy drop;
    iifname "hzi${tag}" accept
    ct state established,related accept
  }
}
`,
  );
  // The strict network: TCP gets through, UDP never does (in or out).
  nft(
    NS.strict,
    `table inet f {
  chain outbound {
    type filter hook output priority filter;
    meta l4proto udp drop
  }
  chain inbound {
    type filter hook input priority filter;
    meta l4proto udp drop
  }
}
`,
  );
}

function removeNetwork(): void {
  for (const ns of Object.values(NS)) Bun.spawnSync(["ip", "netns", "del", ns]);
  // The box's end of its veth goes with the gate's namespace; these catch a half-built run.
  Bun.spawnSync(["ip", "link", "del", `hza${tag}`], { stderr: "ignore" });
  for (const net of ["10.77.0.0/24", "10.77.2.0/24"]) Bun.spawnSync(["ip", "route", "del", net], { stderr: "ignore" });
  Bun.spawnSync(["ip", "route", "del", "unreachable", "10.77.0.0/16"], { stderr: "ignore" });
}

/** Chromium started inside a namespace: Playwright talks to it over inherited pipes, so that works. */
function launchIn(ns: string, origin: string, home?: string): Promise<Browser> {
  const wrapper = join(work.path, `chromium-${ns}`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  chmodSync(wrapper, 0o755);
  // Camera and microphone need a secure context; the clinic's address is plain HTTP here.
  return chromium.launch({
    executablePath: wrapper,
    args: [...BASE_ARGS, ...MEDIA_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
    ...(home ? { env: { ...process.env, HOME: home } } : {}),
  });
}

/** A HOME whose NSS database (where Chromium on Linux reads added authorities) trusts `caFile`. */
function homeTrusting(caFile: string): string {
  const home = join(work.path, "home");
  const db = join(home, ".pki/nssdb");
  mkdirSync(db, { recursive: true });
  sh("certutil", "-N", "-d", `sql:${db}`, "--empty-password");
  sh("certutil", "-A", "-d", `sql:${db}`, "-t", "C,,", "-n", "Hearth local CA", "-i", caFile);
  return home;
}

let server: TestServer;
let coturn: ReturnType<typeof Bun.spawn> | undefined;
const browsers: Browser[] = [];
let origin = "";
let turnPort = 0;
let tlsPort = 0;

beforeAll(async () => {
  const port = freePort();
  turnPort = freePort();
  tlsPort = freePort();
  buildNetwork(port, [tlsPort, turnPort]);
  // Patients use the clinic's public address; its router forwards the ports to the box.
  origin = `http://${PUBLIC}:${port}`;
  server = await startTestServer({
    HEARTH_HOST: BOX,
    HEARTH_PORT: String(port),
    HEARTH_RTC_ADDRESSES: `${BOX},${PUBLIC}`,
    HEARTH_RTC_PORTS: RTC_PORTS,
    HEARTH_TURN_URLS: `turns:${PUBLIC}:${tlsPort}?transport=tcp`,
  });
  // Hearth's own CA and certificate (HEARTH_TLS=auto), naming the public address; coturn serves it.
  const ca = await ensureLocalCa(server.dataDir, ["hearth.test", PUBLIC], Date.now());
  await ensureServerCert(server.dataDir, ca, ["hearth.test", PUBLIC], Date.now());
  const conf = join(work.path, "turnserver.conf");
  const cert = join(tlsDir(server.dataDir), "server.pem");
  const made = Bun.spawnSync(
    [process.execPath, join(import.meta.dir, "..", "..", "src", "main.ts"), "turn-config", "--out", conf, "--name", PUBLIC, "--listen-ip", BOX, "--port", String(turnPort), "--tls-port", String(tlsPort), "--relay-ports", "45900-45960", "--cert", cert, "--key", cert],
    { env: { PATH: process.env.PATH, HEARTH_DATA_DIR: server.dataDir, HEARTH_RTC_ADDRESSES: `${BOX},${PUBLIC}` }, stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(made.stderr.toString());
  coturn = Bun.spawn(["turnserver", "-c", conf, "--log-file", "stdout", "--pidfile", join(work.path, "turn.pid"), "--userdb", join(work.path, "turndb")], { stdout: "ignore", stderr: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await Bun.connect({ hostname: BOX, port: tlsPort, socket: { data() {} } }).then((s) => (s.end(), true), () => false);
    if (up) break;
    await Bun.sleep(25);
  }
  browsers.push(await launchIn(NS.home, origin), await launchIn(NS.strict, origin, homeTrusting(join(tlsDir(server.dataDir), "ca.crt"))));
}, 60_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  coturn?.kill("SIGKILL");
  await coturn?.exited;
  await server?.close();
  removeNetwork();
  work.remove();
});

async function patientPage(browser: Browser, personId: number, g: GroupFixture): Promise<Page> {
  const context = await browser.newContext({ baseURL: origin });
  context.setDefaultTimeout(20_000);
  await context.addCookies([{ name: "hearth_session", value: createSession(server.hearth, personId).id, url: origin }]);
  await context.addInitScript(keepPeerConnections);
  const page = await context.newPage();
  await page.goto(`/sessions/${g.sessionId}`);
  await page.getByRole("heading", { level: 1, name: "Waiting room" }).waitFor();
  return page;
}

interface Seen {
  framesDecoded: number;
  localType: string | null;
  remoteAddress: string | null;
}

/** From the page's own getStats: video frames decoded, and the candidate pair in use. */
function seen(page: Page): Promise<Seen> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== "closed");
    const out = { framesDecoded: 0, localType: null as string | null, remoteAddress: null as string | null };
    for (const pc of pcs) {
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((r: Record<string, unknown>) => stats.set(r.id as string, r));
      for (const r of stats.values()) {
        if (r.type === "inbound-rtp" && r.kind === "video") out.framesDecoded += (r.framesDecoded as number) ?? 0;
        if (r.type === "transport" && r.selectedCandidatePairId) {
          const pair = stats.get(r.selectedCandidatePairId as string);
          out.localType = (stats.get(pair?.localCandidateId as string)?.candidateType as string) ?? null;
          out.remoteAddress = (stats.get(pair?.remoteCandidateId as string)?.address as string) ?? null;
        }
      }
    }
    return out;
  });
}

test("a patient behind a home NAT and one on a network that blocks UDP each decode the other's video", async () => {
  const g = await makeGroup(server.hearth, 2);
  const clinician = await RoomSocket.open(`ws://${BOX}:${new URL(origin).port}/rooms/${g.sessionId}/ws`, g.clinician);
  try {
    const home = await patientPage(browsers[0]!, g.memberIds[0]!, g);
    const strict = await patientPage(browsers[1]!, g.memberIds[1]!, g);
    const waiting = await clinician.next("room", (r) => (r.waiting?.length ?? 0) === 2);
    for (const w of waiting.waiting!) clinician.send({ type: "admit", memberId: w.id });

    let last: [Seen, Seen] | null = null;
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline) {
      last = [await seen(home), await seen(strict)];
      if (last[0].framesDecoded >= 15 && last[1].framesDecoded >= 15) break;
      await Bun.sleep(500);
    }
    const [h, s] = last!;
    expect(h.framesDecoded, `home decodes the other's video: ${JSON.stringify(last)}`).toBeGreaterThanOrEqual(15);
    expect(s.framesDecoded, `strict decodes the other's video: ${JSON.stringify(last)}`).toBeGreaterThanOrEqual(15);
    // Home: over UDP through their NAT to the clinic's public address (forwarded to the box).
    // Strict: only the relay.
    expect(h.localType).not.toBe("relay");
    expect(h.remoteAddress).toBe(PUBLIC);
    expect(s.localType).toBe("relay");
  } finally {
    clinician.close();
  }
}, 120_000);
