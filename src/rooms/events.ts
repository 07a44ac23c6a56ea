/**
 * A tiny typed in-process event emitter: how a room tells the rest of the app (a clinician's
 * open page, attendance, the appliance's capacity view) what happened, without either knowing
 * the other's internals. Listeners run synchronously; one that throws does not stop the others.
 */
export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch {
        // A listener's failure is its own; the room's state is already consistent.
      }
    }
  }
}
