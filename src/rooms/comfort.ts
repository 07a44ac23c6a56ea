import { Elysia, t } from "elysia";
import type { Hearth } from "../context.ts";
import { requireViewer } from "../identity/guard.ts";
import { EVERYONE, policy } from "../identity/policy.ts";
import { json } from "../identity/respond.ts";

/**
 * Comfort at home: background blur and noise suppression (web/room/comfort.ts does the work in
 * the browser). Both are off until the person turns them on; their choice is kept here, on the
 * box, so it follows them to another device and never sits in the browser's storage.
 */
export interface ComfortSettings {
  blur: boolean;
  noise: boolean;
}

export const COMFORT_OFF: ComfortSettings = { blur: false, noise: false };

export function comfortOf(hearth: Hearth, personId: number): ComfortSettings {
  const row = hearth.db.query<{ blur: number; noise: number }, [number]>("SELECT blur, noise FROM comfort_settings WHERE person_id = ?").get(personId);
  return row ? { blur: row.blur === 1, noise: row.noise === 1 } : { ...COMFORT_OFF };
}

/** Changes only what is given; the other switch stays as it was. */
export function chooseComfort(hearth: Hearth, personId: number, change: Partial<ComfortSettings>): ComfortSettings {
  const next = { ...comfortOf(hearth, personId), ...change };
  hearth.db
    .query(
      `INSERT INTO comfort_settings (person_id, blur, noise, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (person_id) DO UPDATE SET blur = excluded.blur, noise = excluded.noise, updated_at = excluded.updated_at`,
    )
    .run(personId, next.blur ? 1 : 0, next.noise ? 1 : 0, hearth.now());
  return next;
}

export function comfortRoutes(hearth: Hearth) {
  return new Elysia({ name: "room-comfort" })
    .get("/rooms/comfort", ({ request }) => json(comfortOf(hearth, requireViewer(request).id)), {
      // Only ever the asking person's own switches.
      detail: policy({ allow: EVERYONE }),
    })
    .post("/rooms/comfort", ({ request, body }) => json(chooseComfort(hearth, requireViewer(request).id, body)), {
      body: t.Object({ blur: t.Optional(t.Boolean()), noise: t.Optional(t.Boolean()) }, { additionalProperties: false }),
      detail: policy({ allow: EVERYONE }),
    });
}

/** `hearth demo`: two patients who chose a comfort effect (the others have never chosen). */
export async function comfortDemo(hearth: Hearth, clinic: { patients: readonly { id: number }[] }): Promise<void> {
  const [first, second] = clinic.patients;
  if (first) chooseComfort(hearth, first.id, { blur: true });
  if (second) chooseComfort(hearth, second.id, { noise: true });
}
