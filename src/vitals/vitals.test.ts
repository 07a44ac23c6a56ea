// End to end on loopback: a real appliance (startTestServer), an agent outbox in a real SQLite file,
// uploads over HTTP to /vitals/readings.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startTestServer, tempDir, type TestServer } from "../../tests/harness.ts";
import { Outbox } from "../../device/src/agent/outbox.ts";
import { DeviceRevokedError, uploadOnce } from "../../device/src/agent/uploader.ts";
import { generateDeviceKey, verifyReading, type SignedReading } from "../../device/src/reading.ts";
import { Simulator } from "../../device/src/sources/simulator.ts";
import { CODE_TTL_MS, revokeDevice, startPairing } from "./pairing.ts";
import { refusals } from "./ingest.ts";

let server: TestServer;
const dir = tempDir("hearth-agent-");
beforeAll(async () => { server = await startTestServer(); });
afterAll(async () => { await server.close(); dir.remove(); });

async function pair(name = "ward pi"): Promise<{ deviceId: string; key: ReturnType<typeof generateDeviceKey> }> {
  const { code } = startPairing(server.hearth, 1);
  expect(code).toMatch(/^[0-9]{8}$/);
  const key = generateDeviceKey();
  const res = await fetch(`${server.url}/vitals/pair`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, publicKey: Buffer.from(key.publicKey).toString("base64"), name }) });
  expect(res.status).toBe(200);
  const { deviceId } = (await res.json()) as { deviceId: string };
  // A code is good once.
  const again = await fetch(`${server.url}/vitals/pair`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ code, publicKey: Buffer.from(key.publicKey).toString("base64"), name }) });
  expect(again.status).toBe(400);
  return { deviceId, key };
}

const stored = (deviceId: string) => server.hearth.db.query("SELECT seq, flags, sig FROM vitals_readings WHERE device_id = ? ORDER BY seq").all(deviceId) as { seq: number; flags: string; sig: string }[];

describe("pairing", () => {
  test("an expired code is refused with a clear message", async () => {
    const { code } = startPairing(server.hearth, 1);
    server.clock.advance(CODE_TTL_MS + 1000);
    const res = await fetch(`${server.url}/vitals/pair`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ code, publicKey: Buffer.from(generateDeviceKey().publicKey).toString("base64"), name: "late" }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("expired-code");
  });
});

describe("readings", () => {
  test("flow once each, signed, deleted from the outbox only when acknowledged; implausible and skew flagged", async () => {
    const { deviceId, key } = await pair();
    const outbox = new Outbox(join(dir.path, "a.db"), deviceId, key.secretKey);
    const sim = new Simulator({ seed: 3, implausibleEvery: 20 });
    for (let i = 0; i < 120; i++) outbox.add(sim.next(server.clock.now), new Date(server.clock.now - 1000));
    outbox.add({ sensor: "heart-rate", observations: [{ loinc: "8867-4", unit: "/min", value: 70 }] }, new Date(server.clock.now + 10 * 60_000));
    const total = outbox.count();
    // A lost response: the appliance stored the batch, the agent did not hear back and sends it again.
    let lost = true;
    const lossy: typeof fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await fetch(input, init);
      if (lost) { lost = false; throw new Error("connection reset"); }
      return res;
    }) as typeof fetch;
    await expect(uploadOnce(outbox, { url: server.url, deviceId, batch: 50, fetch: lossy })).rejects.toThrow("connection reset");
    expect(outbox.count()).toBe(total);
    while (outbox.count() > 0) await uploadOnce(outbox, { url: server.url, deviceId, batch: 50 });
    const rows = stored(deviceId);
    expect(rows.length).toBe(total);
    expect(new Set(rows.map((r) => r.seq)).size).toBe(total);
    expect(rows.some((r) => r.flags.includes("implausible"))).toBe(true);
    expect(rows.at(-1)!.flags).toContain("clock-skew");
    expect(refusals(server.hearth, deviceId).replayed).toBeUndefined();
    // Values are sealed at rest.
    const raw = server.hearth.db.query("SELECT sealed_value FROM vitals_readings WHERE device_id = ? LIMIT 1").get(deviceId) as { sealed_value: Uint8Array };
    expect(Buffer.from(raw.sealed_value).toString("latin1")).not.toContain("value");
    outbox.close();
  });

  test("forged, tampered and replayed readings are refused and counted", async () => {
    const { deviceId, key } = await pair("clinic pi");
    const outbox = new Outbox(join(dir.path, "b.db"), deviceId, key.secretKey);
    outbox.add({ sensor: "heart-rate", observations: [{ loinc: "8867-4", unit: "/min", value: 64 }] }, new Date(server.clock.now));
    const [good] = outbox.pending(1) as [SignedReading];
    const post = (readings: SignedReading[], idem: string) => fetch(`${server.url}/vitals/readings`, { method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": idem }, body: JSON.stringify({ deviceId, readings }) }).then((r) => r.json()) as Promise<{ accepted: number[]; duplicate: number[]; refused: { code: string }[] }>;
    expect((await post([good], "k1")).accepted).toEqual([good.seq]);
    const forged = { ...good, seq: 99, sig: Buffer.from(generateDeviceKey().secretKey.slice(0, 32)).toString("base64") + "A".repeat(44) };
    const tampered = { ...good, seq: good.seq + 1, value: 120 };
    const answer = await post([forged, tampered], "k2");
    expect(answer.refused.map((r) => r.code)).toEqual(["bad-signature", "bad-signature"]);
    const replay = await post([good], "k3");
    expect(replay.accepted).toEqual([]);
    expect(refusals(server.hearth, deviceId)).toEqual({ "bad-signature": 2, replayed: 1 });
    expect(stored(deviceId).length).toBe(1);
    expect(verifyReading(good, key.publicKey)).toBe(true);
    outbox.close();
  });

  test("a revoked device's next upload fails with a clear message; the reading stays in the outbox", async () => {
    const { deviceId, key } = await pair("revoked pi");
    const outbox = new Outbox(join(dir.path, "c.db"), deviceId, key.secretKey);
    outbox.add({ sensor: "thermometer", observations: [{ loinc: "8310-5", unit: "Cel", value: 36.6 }] }, new Date(server.clock.now));
    expect(revokeDevice(server.hearth, deviceId)).toBe(true);
    const err = await uploadOnce(outbox, { url: server.url, deviceId }).catch((e) => e);
    expect(err).toBeInstanceOf(DeviceRevokedError);
    expect(String(err.message)).toContain("unpaired on the appliance");
    expect(outbox.count()).toBe(1);
    outbox.close();
  });
});
