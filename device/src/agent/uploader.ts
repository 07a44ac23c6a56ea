// Batched uploads: the oldest pending readings go up in one POST with an idempotency key naming the
// device and the seq range, so a retry after a lost response is recognised. Only what the appliance
// acknowledges (stored now, or stored before: a duplicate) leaves the outbox.
import type { Outbox } from "./outbox.ts";

export type UploadAnswer = {
  accepted: number[];
  duplicate: number[];
  refused: { seq: number; code: string; message: string }[];
};

export class DeviceRevokedError extends Error {}

export type UploaderOptions = {
  url: string;
  deviceId: string;
  batch?: number;
  fetch?: typeof fetch;
  log?: (line: string) => void;
};

export async function uploadOnce(outbox: Outbox, o: UploaderOptions): Promise<number> {
  const batch = outbox.pending(o.batch ?? 200);
  if (batch.length === 0) return 0;
  const key = `${o.deviceId}:${batch[0]!.seq}-${batch.at(-1)!.seq}`;
  const res = await (o.fetch ?? fetch)(new URL("/vitals/readings", o.url), {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ deviceId: o.deviceId, readings: batch }),
  });
  if (res.status === 401 || res.status === 403) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new DeviceRevokedError(`The appliance no longer accepts this device (${body.message ?? res.status}). Pair it again: hearth-agent pair`);
  }
  if (!res.ok) throw new Error(`upload refused with HTTP ${res.status}`);
  const answer = (await res.json()) as UploadAnswer;
  outbox.acknowledge([...answer.accepted, ...answer.duplicate]);
  for (const r of answer.refused) {
    outbox.hold(r.seq, `${r.code}: ${r.message}`);
    o.log?.(`reading ${r.seq} refused by the appliance: ${r.code}: ${r.message} (kept in the outbox)`);
  }
  return answer.accepted.length + answer.duplicate.length;
}
