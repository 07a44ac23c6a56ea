// The BLE source tested up to the D-Bus boundary: a real dbus-daemon (Debian's) runs a private
// bus, and this test exports a fake org.bluez on it (ObjectManager, Adapter1, Device1, Battery1,
// GattCharacteristic1 with Properties.PropertiesChanged) that behaves as BlueZ does: a device
// offering a health service is connected when asked, its characteristics appear after that, and a
// notification arrives as a PropertiesChanged with the new Value. The bytes are spec vectors; what
// this cannot test is a radio, which no test machine has.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BleSource, dbus, type Bus } from "./ble.ts";
import { uuid128 } from "../profiles/index.ts";
import type { SourceReading } from "./source.ts";

const dir = mkdtempSync(join(tmpdir(), "hearth-dbus-"));
let daemon: ReturnType<typeof Bun.spawn>;
let address = "";

beforeAll(async () => {
  daemon = Bun.spawn(["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1", `--address=unix:path=${join(dir, "bus")}`], { stdout: "pipe", stderr: "ignore" });
  const reader = (daemon.stdout as ReadableStream<Uint8Array>).getReader();
  while (!address.includes("\n")) address += new TextDecoder().decode((await reader.read()).value);
  address = address.trim();
});
afterAll(() => {
  daemon.kill();
  rmSync(dir, { recursive: true, force: true });
});

const DEV = "/org/bluez/hci0/dev_C0_FF_EE_00_00_01";
const CHAR = `${DEV}/service000c/char000d`;
const OTHER = `${DEV}/service0010/char0011`;
// Heart Rate Measurement: flags 0x10 (UINT8 rate, one RR interval), 72 bpm, RR 0x0400 = 1 s.
const HR_VECTOR = [0x10, 72, 0x00, 0x04];

/** A fake BlueZ exporting what the agent reads; `calls` records what the agent asked of it. */
function fakeBluez(bus: Bus) {
  const calls: string[] = [];
  let connected = false;
  const v = (sig: string, value: unknown) => [sig, value];
  const objects = () => [
    ["/org/bluez/hci0", [["org.bluez.Adapter1", [["Address", v("s", "00:11:22:33:44:55")]]]]],
    [DEV, [
      ["org.bluez.Device1", [["Address", v("s", "C0:FF:EE:00:00:01")], ["Connected", v("b", connected)], ["UUIDs", v("as", [uuid128(0x180d), uuid128(0x180f)])]]],
      ["org.bluez.Battery1", [["Percentage", v("y", 81)]]],
    ]],
    ...(connected ? [
      [CHAR, [["org.bluez.GattCharacteristic1", [["UUID", v("s", uuid128(0x2a37))], ["Notifying", v("b", false)]]]]],
      // Body Sensor Location: not a measurement, never subscribed.
      [OTHER, [["org.bluez.GattCharacteristic1", [["UUID", v("s", uuid128(0x2a38))]]]]],
    ] : []),
  ];
  const props = new EventEmitter();
  bus.exportInterface({ GetManagedObjects: () => objects() }, "/", { name: "org.freedesktop.DBus.ObjectManager", methods: { GetManagedObjects: ["", "a{oa{sa{sv}}}"] }, signals: {} });
  bus.exportInterface({ StartDiscovery: () => { calls.push("StartDiscovery"); } }, "/org/bluez/hci0", { name: "org.bluez.Adapter1", methods: { StartDiscovery: ["", ""] }, signals: {} });
  bus.exportInterface({ Connect: () => { calls.push("Connect"); connected = true; } }, DEV, { name: "org.bluez.Device1", methods: { Connect: ["", ""] }, signals: {} });
  const notify = (bytes: number[]) => props.emit("PropertiesChanged", "org.bluez.GattCharacteristic1", [["Value", ["ay", Buffer.from(bytes)]]], []);
  bus.exportInterface({
    StartNotify: () => { calls.push("StartNotify"); setTimeout(() => notify(HR_VECTOR), 20); },
    StopNotify: () => { calls.push("StopNotify"); },
  }, CHAR, { name: "org.bluez.GattCharacteristic1", methods: { StartNotify: ["", ""], StopNotify: ["", ""] }, signals: {} });
  bus.exportInterface(props, CHAR, { name: "org.freedesktop.DBus.Properties", methods: {}, signals: { PropertiesChanged: ["sa{sv}as", "interface", "changed", "invalidated"] } });
  return { calls, notify };
}

test("through BlueZ's D-Bus API: connect a health device, subscribe to its measurement, parse notifications with the profile", async () => {
  const bluezBus = dbus.sessionBus({ busAddress: address });
  await new Promise<void>((resolve, reject) => bluezBus.requestName("org.bluez", 0x4, (err: unknown, code: number) => (err || code !== 1 ? reject(new Error(`name: ${String(err)} ${code}`)) : resolve())));
  const bluez = fakeBluez(bluezBus);
  const source = new BleSource({ bus: dbus.sessionBus({ busAddress: address }), rescanMs: 100 });
  const got: SourceReading[] = [];
  const errors: string[] = [];
  await source.start((r) => got.push(r), (e) => errors.push(e.message));
  const deadline = Date.now() + 5000;
  while (got.length < 1 && Date.now() < deadline) await Bun.sleep(20);
  // A notification whose bytes break the profile (flags say UINT16 but one byte follows) is reported, not emitted.
  bluez.notify([0x01, 0x48]);
  bluez.notify([0x01, 0x48, 0x00]);
  while (got.length < 2 && Date.now() < deadline) await Bun.sleep(20);
  await source.stop();
  bluezBus.connection.end();
  expect(bluez.calls).toEqual(["StartDiscovery", "Connect", "StartNotify", "StopNotify"]);
  expect(got[0]).toEqual({ sensor: "heart-rate@C0:FF:EE:00:00:01", battery: 81, observations: [{ loinc: "8867-4", unit: "/min", value: 72 }] });
  expect(got[1]!.observations).toEqual([{ loinc: "8867-4", unit: "/min", value: 72 }]);
  expect(got).toHaveLength(2);
  expect(errors).toEqual([expect.stringContaining("heart-rate notification from /org/bluez/hci0/dev_C0_FF_EE_00_00_01 not understood")]);
});

test("no D-Bus to reach (no BlueZ here): start fails with the reason, so the agent exits and systemd retries", async () => {
  const source = new BleSource({ bus: dbus.sessionBus({ busAddress: `unix:path=${join(dir, "nobody-here")}` }) });
  await expect(source.start(() => {}, () => {})).rejects.toThrow(/^BLE: cannot reach BlueZ on the system D-Bus \(.*ENOENT.*\)\. Is bluetoothd running\?$/);
});
