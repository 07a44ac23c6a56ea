// The appliance announces itself on the clinic LAN as `_hearth._tcp.local` (RFC 6762/6763 via the
// multicast-dns package), so an agent can find it without a typed URL.
import makeMdns from "multicast-dns";

export const SERVICE = "_hearth._tcp.local";

export type AdvertiseOptions = { name: string; port: number; host: string; address: string; mdnsPort?: number; interface?: string };

export function advertise(o: AdvertiseOptions): { stop(): void } {
  const mdns = makeMdns({ port: o.mdnsPort ?? 5353, interface: o.interface, loopback: true, reuseAddr: true });
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
