/**
 * Patients at home, for real: network namespaces this test makes, Debian's Chromium inside them.
 *
 *   clinic (this namespace)      10.77.0.1   Hearth (web app, SFU) and coturn (`hearth turn-config`)
 *     ├── router  10.77.0.2 ── NAT (nft masquerade, only replies come back in) ── 10.77.1.1
 *     │     └── home    10.77.1.2   a patient behind their router: Chromium
 *     └── strict  10.77.2.2         a network that drops every UDP packet: Chromium
 *
 * Both patients are admitted by the clinician and each must decode the other's video, read from
 * their own page's getStats: the one at home over UDP through the NAT (the box's address is
 * reachable, as with a forwarded port range), the other only through the TURN relay over TLS on
 * TCP, its certificate Hearth's own, trusted as /trust tells people to (NSS database, certutil).
 * Nothing here routes beyond these namespaces: the router and the strict network know only the
 * clinic's 10.77.0.0/24, and have no default route.
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

const CLINIC = "10.77.0.1";
const tag = randomBytes(2).toString("hex");
const NS = { router: `hzr${tag}`, home: `hzh${tag}`, strict: `hzs${tag}` };
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

function buildNetwork(): void {
  for (const ns of Object.values(NS)) {
    sh("ip", "netns", "add", ns);
    sh("ip", "-n", ns, "link", "set", "lo", "up");
  }
  // clinic <-> router (the router's WAN side)
  sh("ip", "link", "add", `hza${tag}`, "type", "veth", "peer", "name", `hzb${tag}`, "netns", NS.router);
  sh("ip", "addr", "add", `${CLINIC}/24`, "dev", `hza${tag}`);
  sh("ip", "link", "set", `hza${tag}`, "up");
  sh("ip", "-n", NS.router, "addr", "add", "10.77.0.2/24", "dev", `hzb${tag}`);
  sh("ip", "-n", NS.router, "link", "set", `hzb${tag}`, "up");
  // router <-> home (the router's LAN side)
  sh("ip", "-n", NS.router, "link", "add", `hzc${tag}`, "type", "veth", "peer", "name", `hzd${tag}`, "netns", NS.home);
  sh("ip", "-n", NS.router, "addr", "add", "10.77.1.1/24", "dev", `hzc${tag}`);
  sh("ip", "-n", NS.router, "link", "set", `hzc${tag}`, "up");
  sh("ip", "-n", NS.home, "addr", "add", "10.77.1.2/24", "dev", `hzd${tag}`);
  sh("ip", "-n", NS.home, "link", "set", `hzd${tag}`, "up");
  sh("ip", "-n", NS.home, "route", "add", "default", "via", "10.77.1.1");
  inNs(NS.router, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
  // A home router: the LAN goes out masqueraded as 10.77.0.2; from outside only replies come in.
  nft(
    NS.router,
    `table ip nat {
  chain masq {
    type nat hook postrouting priority srcnat;
    oifname "hzb${tag}" masquerade
  }
}
table inet filter {
  chain forwarded {
    type filter hook forward priority filter; policy drop;
    iifname "hzc${tag}" accept
    ct state established,related accept
  }
}
`,
  );
  // clinic <-> strict: TCP gets through, UDP never does (in or out).
  sh("ip", "link", "add", `hze${tag}`, "type", "veth", "peer", "name", `hzf${tag}`, "netns", NS.strict);
  sh("ip", "addr", "add", "10.77.2.1/24", "dev", `hze${tag}`);
  sh("ip", "link", "set", `hze${tag}`, "up");
  sh("ip", "-n", NS.strict, "addr", "add", "10.77.2.2/24", "dev", `hzf${tag}`);
  sh("ip", "-n", NS.strict, "link", "set", `hzf${tag}`, "up");
  sh("ip", "-n", NS.strict, "route", "add", "10.77.0.0/24", "via", "10.77.2.1");
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
  // The clinic ends of the veth pairs go with their peers' namespaces; these catch a half-built run.
  for (const dev of [`hza${tag}`, `hze${tag}`]) Bun.spawnSync(["ip", "link", "del", dev], { stderr: "ignore" });
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
  buildNetwork();
  const port = freePort();
  turnPort = freePort();
  tlsPort = freePort();
  origin = `http://${CLINIC}:${port}`;
  server = await startTestServer({
    HEARTH_HOST: CLINIC,
    HEARTH_PORT: String(port),
    HEARTH_RTC_ADDRESSES: CLINIC,
    HEARTH_RTC_PORTS: "44900-44999",
    HEARTH_TURN_URLS: `turns:${CLINIC}:${tlsPort}?transport=tcp`,
  });
  // Hearth's own CA and certificate (HEARTH_TLS=auto), for the box's address; coturn serves it.
  const ca = await ensureLocalCa(server.dataDir, ["hearth.test", CLINIC], Date.now());
  await ensureServerCert(server.dataDir, ca, ["hearth.test", CLINIC], Date.now());
  const conf = join(work.path, "turnserver.conf");
  const cert = join(tlsDir(server.dataDir), "server.pem");
  const made = Bun.spawnSync(
    [process.execPath, join(import.meta.dir, "..", "..", "src", "main.ts"), "turn-config", "--out", conf, "--name", CLINIC, "--listen-ip", CLINIC, "--port", String(turnPort), "--tls-port", String(tlsPort), "--relay-ports", "45900-45960", "--cert", cert, "--key", cert],
    { env: { PATH: process.env.PATH, HEARTH_DATA_DIR: server.dataDir, HEARTH_RTC_ADDRESSES: CLINIC }, stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(made.stderr.toString());
  coturn = Bun.spawn(["turnserver", "-c", conf, "--log-file", "stdout", "--pidfile", join(work.path, "turn.pid"), "--userdb", join(work.path, "turndb")], { stdout: "ignore", stderr: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await Bun.connect({ hostname: CLINIC, port: tlsPort, socket: { data() {} } }).then((s) => (s.end(), true), () => false);
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
  const clinician = await RoomSocket.open(`ws://${CLINIC}:${new URL(origin).port}/rooms/${g.sessionId}/ws`, g.clinician);
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
    // Home: straight to the box's address over UDP, through the NAT. Strict: only the relay.
    expect(h.localType).not.toBe("relay");
    expect(h.remoteAddress).toBe(CLINIC);
    expect(s.localType).toBe("relay");
  } finally {
    clinician.close();
  }
}, 120_000);
