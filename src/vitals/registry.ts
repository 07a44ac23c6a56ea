// The device registry as admins see it: how each paired device is doing, never what it measured.
import type { Hearth } from "../context.ts";
import { refusals } from "./ingest.ts";
import { readingsApart } from "./readings.ts";

/** A device that has not uploaded for this long is shown as silent. */
export const SILENT_AFTER_MS = 60 * 60 * 1000;

export type DeviceStatus = "active" | "silent" | "never" | "revoked";

export type DeviceRow = {
  id: string;
  name: string;
  pairedAt: number;
  lastSeen: number | null;
  battery: number | null;
  firmware: string | null;
  status: DeviceStatus;
  refused: Record<string, number>;
  apart: number;
  assigned: boolean;
};

export function statusOf(hearth: Hearth, d: { revoked_at: number | null; last_seen: number | null }): DeviceStatus {
  if (d.revoked_at !== null) return "revoked";
  if (d.last_seen === null) return "never";
  return hearth.now() - d.last_seen > SILENT_AFTER_MS ? "silent" : "active";
}

export function listDevices(hearth: Hearth): DeviceRow[] {
  const now = hearth.now();
  const rows = hearth.db.query("SELECT id, name, paired_at, revoked_at, last_seen, battery, firmware FROM vitals_devices ORDER BY revoked_at IS NOT NULL, name, id").all() as
    { id: string; name: string; paired_at: number; revoked_at: number | null; last_seen: number | null; battery: number | null; firmware: string | null }[];
  const assigned = hearth.db.query("SELECT 1 FROM vitals_assignments WHERE device_id = ? AND declined_at IS NULL AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)");
  return rows.map((d) => ({
    id: d.id, name: d.name, pairedAt: d.paired_at, lastSeen: d.last_seen, battery: d.battery, firmware: d.firmware,
    status: statusOf(hearth, d), refused: refusals(hearth, d.id), apart: readingsApart(hearth, d.id),
    assigned: assigned.get(d.id, now, now) !== null,
  }));
}

export function deviceCounts(hearth: Hearth): Record<DeviceStatus, number> {
  const counts: Record<DeviceStatus, number> = { active: 0, silent: 0, never: 0, revoked: 0 };
  for (const d of hearth.db.query("SELECT revoked_at, last_seen FROM vitals_devices").all() as { revoked_at: number | null; last_seen: number | null }[]) counts[statusOf(hearth, d)]++;
  return counts;
}
