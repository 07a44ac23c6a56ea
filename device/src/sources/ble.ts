// Bluetooth LE health devices through BlueZ over D-Bus (org.bluez on the system bus), with
// @homebridge/dbus-native, a pure-JS D-Bus client: no native module to build for the Pi.
//
// How it goes: the adapter discovers; every device BlueZ knows that offers one of the health
// services (Device1.UUIDs) is asked to Connect; every GATT characteristic of the five profiles
// (src/profiles/index.ts) gets StartNotify, and each PropertiesChanged with a new Value is parsed
// by the profile's parser and emitted as a reading, with the device's Battery1 percentage when
// BlueZ has it. The object tree is read again every `rescanMs`, so a cuff that wakes up later (a
// blood-pressure monitor connects only after a measurement) is picked up.
// StartNotify sessions belong to this D-Bus connection: BlueZ ends them when the agent exits.
import dbusNative from "@homebridge/dbus-native";
import { PROFILES, profileFor, uuid128 } from "../profiles/index.ts";
import type { Source, SourceReading } from "./source.ts";

/** The part of @homebridge/dbus-native used here (its bundled typings declare less than it has). */
export type Bus = {
  invoke(message: Record<string, unknown>, callback: (error: { name?: string; message?: string } | undefined, value: unknown) => void): void;
  exportInterface(obj: object, path: string, iface: { name: string; methods: Record<string, string[]>; signals: Record<string, string[]> }): void;
  requestName(name: string, flags: number, callback: (error: unknown, code: number) => void): void;
  connection: { on(event: string, listener: (...args: never[]) => void): void; end(): void };
};
export const dbus = dbusNative as unknown as {
  systemBus(): Bus;
  sessionBus(opts: { busAddress: string }): Bus;
  messageType: { signal: number };
};
/** dbus-native's variant: [[signature tree], [value]]. */
type Variant = [unknown, [unknown]];
type Props = Map<string, unknown>;
type Tree = Map<string, Map<string, Props>>;

const BLUEZ = "org.bluez";
const HEALTH_SERVICES = new Set(PROFILES.map((p) => uuid128(p.service)));

function unwrap(v: unknown): unknown {
  return Array.isArray(v) && v.length === 2 && Array.isArray(v[1]) && v[1].length === 1 ? (v as Variant)[1][0] : v;
}

function props(entries: [string, unknown][]): Props {
  return new Map(entries.map(([k, v]) => [k, unwrap(v)]));
}

export function parseManagedObjects(body: [string, [string, [string, unknown][]][]][]): Tree {
  return new Map(body.map(([path, ifaces]) => [path, new Map(ifaces.map(([name, p]) => [name, props(p)]))]));
}

export type BleOptions = {
  /** A bus to use instead of the system bus (tests give a session bus with a fake org.bluez). */
  bus?: Bus;
  adapter?: string;
  rescanMs?: number;
};

export class BleSource implements Source {
  readonly name = "ble";
  private bus: Bus | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly watching = new Set<string>();
  private readonly connecting = new Set<string>();
  private tree: Tree = new Map();
  constructor(private readonly opts: BleOptions = {}) {}

  private call<T>(path: string, iface: string, member: string, signature = "", body: unknown[] = []): Promise<T> {
    return new Promise((resolve, reject) =>
      this.bus!.invoke({ destination: BLUEZ, path, interface: iface, member, ...(signature ? { signature, body } : {}) }, (err, value) =>
        err ? reject(new Error(`${iface}.${member} on ${path}: ${[err.name, err.message].filter(Boolean).join(": ")}`)) : resolve(value as T)));
  }

  private addMatch(rule: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.bus!.invoke({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "AddMatch", signature: "s", body: [rule] },
        (err) => (err ? reject(new Error(`AddMatch: ${String(err)}`)) : resolve())));
  }

  async start(emit: (r: SourceReading) => void, fail: (e: Error) => void): Promise<void> {
    const bus = this.opts.bus ?? dbus.systemBus();
    this.bus = bus;
    // No bus at all (no BlueZ, no permission) ends start() with the reason; later errors are reported.
    let started = false;
    const unreachable = new Promise<never>((_, reject) => bus.connection.on("error", (e: Error) => {
      if (started) fail(new Error(`D-Bus: ${e.message}`));
      else reject(new Error(`BLE: cannot reach BlueZ on the system D-Bus (${e.message}). Is bluetoothd running?`));
    }));
    const adapter = this.opts.adapter ?? "/org/bluez/hci0";
    await Promise.race([unreachable, this.addMatch(`type='signal',sender='${BLUEZ}',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',arg0='org.bluez.GattCharacteristic1'`)]);
    started = true;
    void unreachable.catch(() => {});
    bus.connection.on("message", (m: { type: number; path: string; interface: string; member: string; body?: unknown[] }) => {
      if (m.type !== dbus.messageType.signal || m.member !== "PropertiesChanged" || !this.watching.has(m.path)) return;
      const [iface, changed] = m.body as [string, [string, unknown][]];
      if (iface !== "org.bluez.GattCharacteristic1") return;
      const value = props(changed).get("Value");
      if (value) this.notified(m.path, Uint8Array.from(value as number[] | Buffer), emit, fail);
    });
    try {
      await this.call(adapter, "org.bluez.Adapter1", "StartDiscovery");
    } catch (e) {
      // Already discovering (another client) is fine; anything else is worth a line in the log.
      if (!/InProgress/.test((e as Error).message)) fail(e as Error);
    }
    await this.rescan(fail);
    this.timer = setInterval(() => void this.rescan(fail), this.opts.rescanMs ?? 10_000);
  }

  private notified(charPath: string, bytes: Uint8Array, emit: (r: SourceReading) => void, fail: (e: Error) => void): void {
    const ch = this.tree.get(charPath)?.get("org.bluez.GattCharacteristic1");
    const profile = ch && profileFor(String(ch.get("UUID")));
    if (!profile) return;
    const devicePath = charPath.split("/").slice(0, 5).join("/");
    const device = this.tree.get(devicePath);
    try {
      const { observations } = profile.parse(bytes);
      const battery = device?.get("org.bluez.Battery1")?.get("Percentage");
      emit({
        sensor: `${profile.sensor}@${String(device?.get("org.bluez.Device1")?.get("Address") ?? devicePath)}`,
        observations,
        ...(typeof battery === "number" ? { battery } : {}),
      });
    } catch (e) {
      fail(new Error(`${profile.sensor} notification from ${devicePath} not understood: ${(e as Error).message}`));
    }
  }

  private async rescan(fail: (e: Error) => void): Promise<void> {
    try {
      this.tree = parseManagedObjects(await this.call("/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"));
      for (const [path, ifaces] of this.tree) {
        const device = ifaces.get("org.bluez.Device1");
        if (device && !device.get("Connected") && !this.connecting.has(path) && ((device.get("UUIDs") as string[] | undefined) ?? []).some((u) => HEALTH_SERVICES.has(u.toLowerCase()))) {
          this.connecting.add(path);
          this.call(path, "org.bluez.Device1", "Connect").catch((e) => fail(e as Error)).finally(() => this.connecting.delete(path));
        }
        const ch = ifaces.get("org.bluez.GattCharacteristic1");
        if (ch && !this.watching.has(path) && profileFor(String(ch.get("UUID")))) {
          this.watching.add(path);
          await this.call(path, "org.bluez.GattCharacteristic1", "StartNotify").catch((e) => { this.watching.delete(path); fail(e as Error); });
        }
      }
    } catch (e) {
      fail(e as Error);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const path of this.watching) await this.call(path, "org.bluez.GattCharacteristic1", "StopNotify").catch(() => {});
    this.watching.clear();
    this.bus?.connection.end();
    this.bus = undefined;
  }
}
