// Device-facing routes (and, below, the people's pages of vitals). Devices have no session: a device proves itself by the key it paired with
// (every reading is signed), so these routes are public to the guard and check the device here.
import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { policy } from "../identity/policy.ts";
import { checkDevice, ingest } from "./ingest.ts";
import { completePairing } from "./pairing.ts";
import { advertiseAppliance } from "./advertise.ts";
import { vitalsAdminRoutes } from "./admin-routes.ts";
import { vitalsCareRoutes } from "./care-routes.ts";
import { vitalsConsentRoutes } from "./consent-routes.ts";

const Reading = t.Object({
  deviceId: t.String({ maxLength: 64 }),
  seq: t.Integer({ minimum: 1 }),
  sensor: t.String({ maxLength: 64 }),
  loinc: t.String({ pattern: "^[0-9]{1,7}-[0-9]$" }),
  value: t.Union([t.Number(), t.Null()]),
  unit: t.String({ maxLength: 32 }),
  special: t.Union([t.String({ maxLength: 16 }), t.Null()]),
  measuredAt: t.String({ maxLength: 40 }),
  artefact: t.Union([t.String({ maxLength: 64 }), t.Null()]),
  battery: t.Union([t.Integer({ minimum: 0, maximum: 100 }), t.Null()]),
  firmware: t.Union([t.String({ maxLength: 64 }), t.Null()]),
  sig: t.String({ maxLength: 128 }),
});

export function vitalsDeviceRoutes(hearth: Hearth) {
  let advertiser: { stop(): void } | null = null;
  return new Elysia({ name: "vitals-devices" })
    .onStart(({ server }) => { advertiser = advertiseAppliance(hearth, server?.port ?? 0); })
    .onStop(() => { advertiser?.stop(); advertiser = null; })
    // The people's pages of this capability: admins' registry, clinicians' charts, patients' consent.
    .use(vitalsAdminRoutes(hearth))
    .use(vitalsCareRoutes(hearth))
    .use(vitalsConsentRoutes(hearth))
    .post("/vitals/pair", ({ body, set }) => {
      const r = completePairing(hearth, body.code, body.publicKey, body.name);
      if (!r.ok) {
        set.status = 400;
        return { code: r.code, message: r.code === "expired-code" ? "This pairing code has expired; ask for a new one." : r.code === "bad-key" ? "The public key must be 32 bytes of Ed25519." : "This pairing code is not valid." };
      }
      return { deviceId: r.deviceId };
    }, {
      body: t.Object({ code: t.String({ pattern: "^[0-9]{8}$" }), publicKey: t.String({ maxLength: 64 }), name: t.String({ minLength: 1, maxLength: 80 }) }),
      detail: policy({ allow: "public" }),
    })
    .post("/vitals/readings", async ({ body, headers, set }) => {
      const device = checkDevice(hearth, body.deviceId);
      if (!device.ok) {
        set.status = device.status;
        return { code: device.code, message: device.message };
      }
      const key = headers["idempotency-key"];
      if (!key || key.length > 128) {
        set.status = 400;
        return { code: "idempotency-key", message: "An Idempotency-Key header is required." };
      }
      return ingest(hearth, body.deviceId, device.publicKey, key, body.readings);
    }, {
      body: t.Object({ deviceId: t.String({ maxLength: 64 }), readings: t.Array(Reading, { maxItems: 500 }) }),
      detail: policy({ allow: "public" }),
    });
}
