import { writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { Command } from "../cli.ts";
import { loadConfig, type Config } from "../config.ts";
import { tlsDir } from "../appliance/tls.ts";
import { defaultAddresses } from "./ice.ts";
import { ensureTurnSecret, turnSecretPath } from "./relay.ts";

/**
 * `hearth turn-config`: the coturn configuration for the optional relay (src/rooms/relay.ts).
 * coturn and Hearth share the secret in DATA/turn/secret (made here, mode 0600); Hearth hands out
 * credentials, coturn checks them. The relay may reach Hearth's SFU and nothing else: every peer
 * address is denied but the SFU's own, so a credential cannot be used to reach the clinic's LAN.
 */
export interface TurnOptions {
  /** The name browsers use for the relay (the certificate must hold it). */
  name: string;
  /** TCP port for TURN over TLS (443 gets through networks that allow only web traffic). */
  tlsPort: number;
  /** UDP and TCP port for plain TURN. */
  port: number;
  /** Address coturn listens on; a second address of the box when Hearth's web app holds 443. */
  listenIp?: string;
  /** Addresses of Hearth's SFU: the only peers the relay forwards to. */
  sfuAddresses: string[];
  relayPorts: [number, number];
  certFile: string;
  keyFile: string;
  secret: string;
}

export function turnserverConf(o: TurnOptions): string {
  const loopback = o.sfuAddresses.some((a) => a.startsWith("127.") || a === "::1");
  return [
    "# coturn configuration for Hearth's relay, written by `hearth turn-config`.",
    "# Rerun that command rather than editing: it keeps the secret and takes new addresses.",
    `listening-port=${o.port}`,
    `tls-listening-port=${o.tlsPort}`,
    ...(o.listenIp ? [`listening-ip=${o.listenIp}`] : []),
    `min-port=${o.relayPorts[0]}`,
    `max-port=${o.relayPorts[1]}`,
    "fingerprint",
    // The TURN REST API scheme: username "expiry:id", password base64(HMAC-SHA1(secret, username)).
    "use-auth-secret",
    `static-auth-secret=${o.secret}`,
    `realm=${o.name}`,
    `server-name=${o.name}`,
    `cert=${o.certFile}`,
    `pkey=${o.keyFile}`,
    "no-tlsv1",
    "no-tlsv1_1",
    "no-cli",
    "no-multicast-peers",
    // Media is UDP: no TCP relaying (RFC 6062), which would reach TCP services.
    "no-tcp-relay",
    "denied-peer-ip=0.0.0.0-255.255.255.255",
    "denied-peer-ip=::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ...o.sfuAddresses.map((a) => `allowed-peer-ip=${a}`),
    ...(loopback ? ["allow-loopback-peers"] : []),
    // A group of twelve on one relay is 12 allocations; more from one username is not a member.
    "user-quota=4",
    "total-quota=100",
    "simple-log",
    "",
  ].join("\n");
}

function port(value: string | boolean | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${flag} must be a port number (1-65535), not "${value}".`);
  return n;
}

export function turnOptions(config: Config, values: Record<string, string | boolean | undefined>): TurnOptions {
  const listenIp = typeof values["listen-ip"] === "string" ? values["listen-ip"] : undefined;
  if (listenIp !== undefined && !isIP(listenIp)) throw new Error(`--listen-ip must be an IP address of this box, not "${listenIp}".`);
  const relay = typeof values["relay-ports"] === "string" ? values["relay-ports"] : "49160-49359";
  const range = /^(\d{4,5})-(\d{4,5})$/.exec(relay);
  if (!range || Number(range[1]) > Number(range[2])) throw new Error(`--relay-ports must be a range like 49160-49359, not "${relay}".`);
  const cert = typeof values.cert === "string" ? values.cert : config.tls === "files" ? config.tlsCert! : join(tlsDir(config.dataDir), "server.pem");
  const key = typeof values.key === "string" ? values.key : config.tls === "files" ? config.tlsKey! : cert;
  const sfu = config.rtcAddresses.length ? config.rtcAddresses : defaultAddresses().filter((a) => a !== "127.0.0.1");
  return {
    name: typeof values.name === "string" ? values.name : new URL(config.publicUrl).hostname,
    tlsPort: port(values["tls-port"], 443, "--tls-port"),
    port: port(values.port, 3478, "--port"),
    listenIp,
    sfuAddresses: sfu,
    relayPorts: [Number(range[1]), Number(range[2])],
    certFile: cert,
    keyFile: key,
    secret: ensureTurnSecret(config.dataDir),
  };
}

export const commands: Record<string, Command> = {
  "turn-config": {
    summary: "write coturn's configuration for the optional TURN relay (patients behind strict networks)",
    usage: "hearth turn-config [--out FILE] [--name HOST] [--listen-ip IP] [--tls-port 443] [--port 3478] [--relay-ports A-B] [--cert FILE --key FILE]",
    options: {
      out: { type: "string" },
      name: { type: "string" },
      "listen-ip": { type: "string" },
      "tls-port": { type: "string" },
      port: { type: "string" },
      "relay-ports": { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
    },
    async run({ values }) {
      const config = loadConfig();
      let options: TurnOptions;
      try {
        options = turnOptions(config, values);
      } catch (err) {
        console.error(`hearth: ${(err as Error).message}`);
        return 2;
      }
      const text = turnserverConf(options);
      if (typeof values.out === "string") {
        // It holds the secret: readable by its owner only (give it to coturn's user, see docs/operations.md).
        writeFileSync(values.out, text, { mode: 0o600 });
        console.error(`wrote ${values.out}`);
      } else {
        process.stdout.write(text);
      }
      const urls = [`turns:${options.name}:${options.tlsPort}?transport=tcp`, `turn:${options.name}:${options.port}?transport=udp`];
      console.error(`shared secret: ${turnSecretPath(config.dataDir)} (mode 0600)`);
      console.error(`then set in hearth.env and restart Hearth:\n  HEARTH_TURN_URLS=${urls.join(",")}`);
      return 0;
    },
  },
};
