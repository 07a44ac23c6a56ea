#!/usr/bin/env bun
// hearth-agent: reads vitals from a source (simulator, CMS50 serial oximeter, BLE through BlueZ),
// keeps them signed in a local outbox, and uploads them to the paired Hearth appliance.
//   hearth-agent pair --code 12345678 [--url https://hearth.local:8443] [--ca-fingerprint AB:CD:..] [--name "Ward 2 Pi"] [--state DIR]
//   hearth-agent held                  (readings the appliance refused, kept for a person to look at)
//   hearth-agent run [--source simulator|serial:/dev/ttyUSB0|ble] [--adapter /org/bluez/hci0] [--interval MS] [--limit N] [--state DIR]
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Outbox } from "./agent/outbox.ts";
import { pair } from "./agent/pair.ts";
import { loadState } from "./agent/state.ts";
import { DeviceRevokedError, uploadOnce } from "./agent/uploader.ts";
import { SerialSource } from "./sources/serial.ts";
import { Simulator } from "./sources/simulator.ts";
import type { Source, SourceReading } from "./sources/source.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: "string", default: process.env.HEARTH_AGENT_STATE ?? "/var/lib/hearth-agent" },
    code: { type: "string" }, url: { type: "string" }, "ca-fingerprint": { type: "string" }, name: { type: "string", default: "hearth-agent" },
    source: { type: "string", default: "simulator" }, interval: { type: "string", default: "1000" },
    limit: { type: "string" }, seed: { type: "string", default: "1" }, "upload-ms": { type: "string", default: "500" },
    batch: { type: "string", default: "200" }, adapter: { type: "string", default: "/org/bluez/hci0" },
  },
});

const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

async function run(): Promise<void> {
  const state = loadState(values.state!);
  const outbox = new Outbox(join(values.state!, "outbox.db"), state.deviceId, Buffer.from(state.secretKey, "base64"));
  const limit = values.limit ? Number(values.limit) : Infinity;
  const intervalMs = Number(values.interval);
  let source: Source;
  if (values.source === "simulator") {
    // The simulator resumes where it was: the outbox counts the source readings it has taken.
    const sim = new Simulator({ seed: Number(values.seed) });
    for (let i = outbox.meta("source_readings"); i > 0; i--) sim.next(Date.now());
    let timer: ReturnType<typeof setInterval> | undefined;
    source = {
      name: "simulator",
      async start(emit) { timer = setInterval(() => emit(sim.next(Date.now())), intervalMs); },
      async stop() { clearInterval(timer); },
    };
  } else if (values.source!.startsWith("serial:")) {
    source = new SerialSource({ path: values.source!.slice(7), everyMs: intervalMs });
  } else if (values.source === "ble") {
    // Loaded only when used: the D-Bus client and its XML parser cost start-up time on a small board.
    const { BleSource } = await import("./sources/ble.ts");
    source = new BleSource({ adapter: values.adapter! });
  } else {
    throw new Error(`Unknown source ${values.source}: use simulator, serial:/dev/ttyUSB0 or ble`);
  }
  const take = (r: SourceReading) => {
    const left = limit - outbox.meta("produced");
    if (left <= 0) return;
    outbox.add(r, new Date(), left);
  };
  await source.start(take, (e) => log(`source ${source.name}: ${e.message}`));
  log(`agent ${state.deviceId} reading from ${source.name}, uploading to ${state.url}`);
  const stop = async () => { await source.stop(); outbox.close(); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const fetchPinned: typeof fetch = ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, ...(state.ca ? { tls: { ca: state.ca } } : {}) })) as typeof fetch;
  let backoff = 0;
  for (;;) {
    try {
      const n = await uploadOnce(outbox, { url: state.url, deviceId: state.deviceId, batch: Number(values.batch), fetch: fetchPinned, log });
      backoff = 0;
      if (n === 0) await Bun.sleep(Number(values["upload-ms"]));
    } catch (e) {
      if (e instanceof DeviceRevokedError) {
        log(e.message);
        await source.stop();
        outbox.close();
        process.exit(3);
      }
      backoff = Math.min(5000, backoff ? backoff * 2 : 100);
      log(`upload failed (${(e as Error).message}); ${outbox.count()} reading(s) kept, retrying in ${backoff} ms`);
      await Bun.sleep(backoff);
    }
  }
}

const command = positionals[0];
try {
  if (command === "pair") {
    if (!values.code) throw new Error("Give the code the appliance shows: hearth-agent pair --code NNNNNNNN");
    const s = await pair({ dir: values.state!, code: values.code, ...(values.url ? { url: values.url } : {}), ...(values["ca-fingerprint"] ? { caFingerprint: values["ca-fingerprint"] } : {}), name: values.name! });
    log(`paired with ${s.url} as ${s.deviceId}`);
  } else if (command === "run") {
    await run();
  } else if (command === "held") {
    // Readings the appliance refused as bad input stay in the outbox for a person to look at.
    const state = loadState(values.state!);
    const outbox = new Outbox(join(values.state!, "outbox.db"), state.deviceId, Buffer.from(state.secretKey, "base64"));
    const held = outbox.held();
    for (const h of held) console.log(`reading ${h.seq}: ${h.error}`);
    console.log(`${held.length} reading(s) held, ${outbox.count()} waiting to upload`);
    outbox.close();
  } else {
    console.log("usage: hearth-agent pair --code NNNNNNNN [--url URL] | hearth-agent run [--source simulator|serial:/dev/ttyUSB0|ble] | hearth-agent held");
    process.exit(command ? 1 : 0);
  }
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
