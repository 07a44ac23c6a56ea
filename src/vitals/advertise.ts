// The appliance announces itself on the clinic LAN as `_hearth._tcp.local` (RFC 6762/6763 via the
// multicast-dns package), so an agent can find it without a typed URL.
import { networkInterfaces } from "node:os";
import makeMdns from "multicast-dns";
import type { Hearth } from "../context.ts";
import { log } from "../log.ts";

export const SERVICE = "_hearth._tcp.local";

export type AdvertiseOptions = { name: string; port: number; host: string; address: string; mdnsPort?: number; interface?: string };

export function advertise(o: AdvertiseOptions): { stop(): void } {
  const mdns = makeMdns({ port: o.mdnsPort ?? 5353, interface: o.interface, loopback: true, reuseAddr: true });
  // Another responder holding the port (avahi without SO_REUSEPORT) costs discovery, not the appliance.
  mdns.on("error", (e: Error) => log.warn("mDNS advertiser stopped", { error: e.message }));
  const instance = `${o.name}.${SERVICE}`;
  mdns.on("query", (q) => {
    if (!q.questions.some((x) => x.name === SERVICE && (x.type === "PTR" || (x.type as string) === "ANY"))) return;
    mdns.respond({
      answers: [{ name: SERVICE, type: "PTR", ttl: 120, data: instance }],
      additionals: [
        { name: instance, type: "SRV", ttl: 120, data: { port: o.port, target: o.host, priority: 0, weight: 0 } },
        { name: instance, type: "TXT", ttl: 120, data: ["path=/vitals"] },
        { name: o.host, type: "A", ttl: 120, data: o.address },
      ],
    });
  });
  return { stop: () => mdns.destroy() };
}

/** The first LAN IPv4 address of this box, or loopback when it has none (a namespace in tests). */
export function lanAddress(): string {
  const all = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === "IPv4");
  return (all.find((i) => !i!.internal) ?? all[0])?.address ?? "127.0.0.1";
}

/**
 * Advertises this appliance while it listens, when it serves HTTPS (a box on a clinic LAN; plain
 * http://localhost is a developer's machine, which has nothing to announce). The agent connects to
 * the advertised address, so that address must be in HEARTH_HOSTNAMES for the certificate to name it.
 */
export function advertiseAppliance(hearth: Hearth, listeningPort: number): { stop(): void } | null {
  const url = new URL(hearth.config.publicUrl);
  if (url.protocol !== "https:") return null;
  const port = url.port && url.port !== "0" ? Number(url.port) : listeningPort;
  return advertise({ name: url.hostname.split(".")[0]!, port, host: url.hostname, address: lanAddress() });
}
