// Finds the appliance by mDNS: asks for `_hearth._tcp.local` PTR records and reads the SRV and A
// records that come with the answer.
import makeMdns from "multicast-dns";

export type Found = { url: string; host: string; port: number; address: string };

export function discover(o: { timeoutMs?: number; mdnsPort?: number; interface?: string; scheme?: "https" | "http" } = {}): Promise<Found> {
  const mdns = makeMdns({ port: o.mdnsPort ?? 5353, interface: o.interface, loopback: true, reuseAddr: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { clearInterval(ask); mdns.destroy(); reject(new Error("No Hearth appliance answered on the LAN (mDNS _hearth._tcp). Give its address with --url.")); }, o.timeoutMs ?? 5000);
    mdns.on("response", (res) => {
      const all = [...res.answers, ...res.additionals];
      const srv = all.find((a) => a.type === "SRV" && a.name.endsWith("._hearth._tcp.local"));
      if (!srv || srv.type !== "SRV") return;
      const a = all.find((x) => x.type === "A" && x.name === srv.data.target);
      const address = a && a.type === "A" ? a.data : srv.data.target;
      clearTimeout(timer);
      clearInterval(ask);
      mdns.destroy();
      resolve({ url: `${o.scheme ?? "https"}://${address}:${srv.data.port}`, host: srv.data.target, port: srv.data.port, address });
    });
    const query = () => mdns.query({ questions: [{ name: "_hearth._tcp.local", type: "PTR" }] });
    const ask = setInterval(query, 500);
    query();
  });
}
