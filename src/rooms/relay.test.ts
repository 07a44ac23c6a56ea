import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { join } from "node:path";
import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { createTurnClient } from "werift";
import { loadConfig, ConfigError } from "../config.ts";
import { ensureLocalCa, ensureServerCert } from "../appliance/tls.ts";
import { freePort, tempDir } from "../../tests/harness.ts";
import { startRoomServer, type RoomWorld } from "../../tests/room-fixture.ts";
import { RoomSocket } from "../../tests/room-socket.ts";
import { ensureTurnSecret, readTurnUrls, turnCredential, TURN_CREDENTIAL_TTL_S } from "./relay.ts";

/**
 * The TURN relay for patients at home: credentials in the REST-API scheme, handed only to admitted
 * members, and accepted by Debian's coturn running the configuration `hearth turn-config` wrote.
 */

const MAIN = join(import.meta.dir, "..", "main.ts");
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("credentials", () => {
  test("username is expiry:id, password is base64(HMAC-SHA1(secret, username)), and the id names nobody", () => {
    const now = Date.UTC(2026, 11, 6, 10, 0, 0);
    const a = turnCredential("s3cret", now);
    const b = turnCredential("s3cret", now);
    const [expiry, id] = a.username.split(":");
    expect(Number(expiry)).toBe(now / 1000 + TURN_CREDENTIAL_TTL_S);
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(b.username).not.toBe(a.username);
    // An independent HMAC-SHA1 (noble) agrees with the one node:crypto made.
    expect(a.credential).toBe(base64(hmac(sha1, new TextEncoder().encode("s3cret"), new TextEncoder().encode(a.username))));
  });

  test("the shared secret is made once, readable by its owner only, and its mode is repaired", () => {
    const dir = tempDir();
    try {
      const first = ensureTurnSecret(dir.path);
      const file = join(dir.path, "turn", "secret");
      expect(first.length).toBeGreaterThanOrEqual(40);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      chmodSync(file, 0o644);
      expect(ensureTurnSecret(dir.path)).toBe(first);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      dir.remove();
    }
  });

  test("HEARTH_TURN_URLS takes turn: and turns: URLs and names a bad one", () => {
    expect(readTurnUrls({ HEARTH_TURN_URLS: "turns:turn.clinic.example:443?transport=tcp, turn:203.0.113.7:3478" })).toEqual([
      "turns:turn.clinic.example:443?transport=tcp",
      "turn:203.0.113.7:3478",
    ]);
    expect(readTurnUrls({})).toEqual([]);
    expect(() => loadConfig({ HEARTH_TURN_URLS: "https://turn.example" })).toThrow(ConfigError);
    expect(() => loadConfig({ HEARTH_TURN_URLS: "turn:bad host:3478" })).toThrow(/HEARTH_TURN_URLS/);
  });
});

describe("coturn, configured by hearth turn-config, behind a room", () => {
  let world: RoomWorld;
  let coturn: ReturnType<typeof Bun.spawn> | undefined;
  let tlsPort = 0;
  let secret = "";
  let confText = "";
  const work = tempDir("hearth-turn-");

  beforeAll(async () => {
    tlsPort = freePort();
    const udpPort = freePort();
    const relayStart = 52000 + Math.floor(Math.random() * 5000);
    const url = `turns:localhost:${tlsPort}?transport=tcp`;
    world = await startRoomServer({ HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_RTC_PORTS: "43400-43499", HEARTH_TURN_URLS: url });
    const dataDir = world.hearth.config.dataDir;
    // Hearth's own CA and server certificate (HEARTH_TLS=auto), which turn-config names by default.
    const ca = await ensureLocalCa(dataDir, ["localhost"], Date.now());
    await ensureServerCert(dataDir, ca, ["localhost", "127.0.0.1"], Date.now());

    const conf = join(work.path, "turnserver.conf");
    const args = ["turn-config", "--out", conf, "--name", "localhost", "--listen-ip", "127.0.0.1", "--tls-port", String(tlsPort), "--port", String(udpPort), "--relay-ports", `${relayStart}-${relayStart + 40}`];
    const made = Bun.spawnSync([process.execPath, MAIN, ...args], {
      env: { PATH: process.env.PATH, HEARTH_DATA_DIR: dataDir, HEARTH_RTC_ADDRESSES: "127.0.0.1", HEARTH_TLS: "auto", HEARTH_PUBLIC_URL: "https://localhost" },
    });
    expect(made.exitCode, made.stderr.toString()).toBe(0);
    expect(made.stderr.toString()).toContain(`HEARTH_TURN_URLS=turns:localhost:${tlsPort}?transport=tcp`);
    expect(statSync(conf).mode & 0o777).toBe(0o600);
    secret = readFileSync(join(dataDir, "turn", "secret"), "utf8").trim();
    confText = readFileSync(conf, "utf8");

    coturn = Bun.spawn(["turnserver", "-c", conf, "--log-file", "stdout", "--pidfile", join(work.path, "turnserver.pid"), "--userdb", join(work.path, "turndb")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    // Ready when its TLS port takes connections.
    for (let i = 0; i < 200; i++) {
      const open = await Bun.connect({ hostname: "127.0.0.1", port: tlsPort, socket: { data() {} } }).then(
        (s) => (s.end(), true),
        () => false,
      );
      if (open) break;
      await Bun.sleep(25);
    }
  }, 30_000);

  afterAll(async () => {
    coturn?.kill("SIGKILL");
    await coturn?.exited;
    await world?.close();
    work.remove();
  });

  // Bun's TLS client refuses the local CA's name constraints ("unsupported name constraint type"),
  // so the test checks the certificate coturn presents itself instead of through a CA.
  const allocate = async (username: string, password: string) => {
    const turn = await createTurnClient(
      { address: ["127.0.0.1", tlsPort], username, password },
      { transport: "tls", tlsOptions: { rejectUnauthorized: false, servername: "localhost" }, connectTimeoutMs: 5000 },
    );
    return turn;
  };

  test("the configuration shares Hearth's secret and lets the relay reach the SFU's address only", () => {
    expect(confText).toContain(`static-auth-secret=${secret}`);
    expect(confText).toContain("use-auth-secret");
    expect(confText).toContain(`tls-listening-port=${tlsPort}`);
    expect(confText).toContain("denied-peer-ip=0.0.0.0-255.255.255.255");
    expect(confText.match(/^allowed-peer-ip=.*$/gm)).toEqual(["allowed-peer-ip=127.0.0.1"]);
    expect(confText).toContain(join(world.hearth.config.dataDir, "tls", "server.pem"));
  });

  test("coturn answers TLS on its port with Hearth's own server certificate", async () => {
    const socket = connect({ host: "127.0.0.1", port: tlsPort, servername: "localhost", rejectUnauthorized: false });
    const raw = await new Promise<Buffer>((resolve, reject) => {
      socket.once("secureConnect", () => resolve(socket.getPeerCertificate().raw));
      socket.once("error", reject);
    });
    socket.destroy();
    const served = new X509Certificate(readFileSync(join(world.hearth.config.dataDir, "tls", "server.pem")));
    expect(new X509Certificate(raw).fingerprint256).toBe(served.fingerprint256);
  });

  test("a waiting member gets no credential; once admitted, their fresh offer carries one that coturn accepts over TLS", async () => {
    const g = await world.group(1);
    const clinician = await RoomSocket.open(world.wsUrl(g.sessionId), g.clinician);
    const member = await RoomSocket.open(world.wsUrl(g.sessionId), g.members[0]!);
    await member.next("waiting");
    // The clinician (admitted on arrival) already has media and so a relay.
    const clinicianOffer = await clinician.next("offer", (o) => o.fresh);
    expect(clinicianOffer.iceServers?.[0]?.urls).toEqual([`turns:localhost:${tlsPort}?transport=tcp`]);
    await Bun.sleep(300);
    expect(JSON.stringify(member.messages)).not.toContain("turns:");
    expect(member.all("offer")).toEqual([]);

    const mark = member.mark;
    clinician.send({ type: "admit", memberId: member.memberId });
    const offer = await member.next("offer", (o) => o.fresh, mark);
    const server = offer.iceServers![0]!;
    expect(server.username).toMatch(/^\d{10}:[0-9a-f]{12}$/);
    expect(server.credential).toBe(base64(hmac(sha1, new TextEncoder().encode(secret), new TextEncoder().encode(server.username!))));

    const turn = await allocate(server.username!, server.credential!);
    try {
      expect(turn.relayedAddress[0]).toBe("127.0.0.1");
      // The relay forwards to the SFU's address, and refuses any other (the clinic's LAN stays out of reach).
      await turn.getPermission(["127.0.0.1", 43400]);
      await expect(turn.getPermission(["192.168.1.10", 9])).rejects.toThrow();
      await expect(turn.getPermission(["10.0.0.1", 9])).rejects.toThrow();
    } finally {
      await turn.close();
    }
    clinician.close();
    member.close();
  }, 30_000);

  test("coturn refuses a forged, an altered or an expired credential", async () => {
    const good = turnCredential(secret, Date.now());
    const forged = turnCredential("not-the-clinic-secret", Date.now());
    const expired = turnCredential(secret, Date.now() - (TURN_CREDENTIAL_TTL_S + 60) * 1000);
    // coturn's 401 to a wrong credential carries no integrity werift can check, so each refusal
    // ends in werift's retransmission timeout (~6 s): the three wait together.
    const refused = (p: Promise<unknown>) => p.then(() => "allocated", () => "refused");
    expect(
      await Promise.all([
        refused(allocate(forged.username, forged.credential)),
        refused(allocate(good.username.replace(/^\d+/, (s) => String(Number(s) + 3600)), good.credential)),
        refused(allocate(expired.username, expired.credential)),
      ]),
    ).toEqual(["refused", "refused", "refused"]);
    // The control: the same server takes a good one.
    const turn = await allocate(good.username, good.credential);
    await turn.close();
  }, 30_000);
});
