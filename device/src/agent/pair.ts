// Pairing from the agent's side: find the appliance (mDNS or --url), fetch and pin its local CA
// (GET /ca.crt, trusted on first use, or checked against --ca-fingerprint as the pairing page shows it), generate
// the Ed25519 key on the device, send the public key with the 8-digit code.
import { X509Certificate } from "node:crypto";
import { generateDeviceKey } from "../reading.ts";
import { discover } from "./discover.ts";
import { saveState, type AgentState } from "./state.ts";

export async function pair(o: { dir: string; code: string; url?: string; name: string; caFingerprint?: string }): Promise<AgentState> {
  if (!/^[0-9]{8}$/.test(o.code)) throw new Error("The pairing code is the 8 digits the appliance shows.");
  const url = o.url ?? (await discover()).url;
  let ca: string | null = null;
  if (url.startsWith("https:")) {
    const res = await fetch(new URL("/ca.crt", url), { tls: { rejectUnauthorized: false } });
    if (!res.ok) throw new Error(`The appliance at ${url} did not give its CA certificate (HTTP ${res.status}).`);
    ca = await res.text();
    // Trust on first use, unless the operator typed the fingerprint the appliance's pairing page shows.
    const want = o.caFingerprint?.toUpperCase().replace(/[^0-9A-F]/g, "");
    if (want && new X509Certificate(ca).fingerprint256.replace(/:/g, "") !== want) {
      throw new Error(`The certificate authority at ${url} is not the one the appliance's pairing page shows. Nothing was sent; check the address.`);
    }
  }
  const key = generateDeviceKey();
  const res = await fetch(new URL("/vitals/pair", url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code: o.code, publicKey: Buffer.from(key.publicKey).toString("base64"), name: o.name }),
    ...(ca ? { tls: { ca } } : {}),
  });
  const body = (await res.json().catch(() => ({}))) as { deviceId?: string; message?: string };
  if (!res.ok || !body.deviceId) throw new Error(`Pairing refused: ${body.message ?? `HTTP ${res.status}`}`);
  const state: AgentState = { url, deviceId: body.deviceId, secretKey: Buffer.from(key.secretKey).toString("base64"), ca };
  saveState(o.dir, state);
  return state;
}
