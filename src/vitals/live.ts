// New trustworthy readings, as they are stored: the room tile listens here so a facilitator's tile
// for a patient updates while the session runs. Only patient ids travel, never values.
import type { Hearth } from "../context.ts";

type Listener = (patientIds: ReadonlySet<number>) => void;
const listeners = new WeakMap<Hearth, Set<Listener>>();

export function onNewReadings(hearth: Hearth, listener: Listener): () => void {
  let set = listeners.get(hearth);
  if (!set) listeners.set(hearth, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

export function newReadings(hearth: Hearth, patientIds: ReadonlySet<number>): void {
  if (patientIds.size === 0) return;
  for (const l of listeners.get(hearth) ?? []) l(patientIds);
}
