/**
 * Growing delays after repeated failures, per key ("addr:…", "acct:…", "invite:…"). After `free`
 * failures each further attempt must wait base·2^k, up to `cap`; a quiet spell of `forgetMs`
 * forgets the key. Kept in memory: a restart forgets, which costs an attacker nothing they
 * could not get by waiting, and spares the database a write per failure.
 */
export interface ThrottleRule {
  free: number;
  baseMs: number;
  capMs: number;
  forgetMs: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  nextAllowedAt: number;
  forgetMs: number;
}

/** Per address: generous, because a whole clinic may share one address behind NAT. */
export const PER_ADDRESS: ThrottleRule = { free: 10, baseMs: 1000, capMs: 60_000, forgetMs: 60 * 60 * 1000 };
/** Per account or per invitation: stricter, since it targets one person. */
export const PER_ACCOUNT: ThrottleRule = { free: 5, baseMs: 1000, capMs: 5 * 60_000, forgetMs: 60 * 60 * 1000 };

export class Throttle {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Milliseconds before this key may try again (0 when it may now). */
  waitMs(key: string): number {
    const e = this.#live(key);
    return e ? Math.max(0, e.nextAllowedAt - this.now()) : 0;
  }

  fail(key: string, rule: ThrottleRule): void {
    const now = this.now();
    const e = this.#live(key) ?? { failures: 0, lastFailureAt: now, nextAllowedAt: 0, forgetMs: rule.forgetMs };
    e.failures++;
    e.lastFailureAt = now;
    const over = e.failures - rule.free;
    e.nextAllowedAt = over > 0 ? now + Math.min(rule.capMs, rule.baseMs * 2 ** Math.min(over - 1, 30)) : 0;
    // Map order is insertion order: re-inserting keeps the oldest first for eviction.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    if (this.#entries.size > this.maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeed(key: string): void {
    this.#entries.delete(key);
  }

  failures(key: string): number {
    return this.#live(key)?.failures ?? 0;
  }

  #live(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && this.now() - e.lastFailureAt > e.forgetMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
}

const throttles = new WeakMap<object, Throttle>();

/** The appliance's one throttle for sign-in, recovery and invitation attempts. */
export function throttleOf(hearth: { now: () => number }): Throttle {
  let t = throttles.get(hearth);
  if (!t) throttles.set(hearth, (t = new Throttle(() => hearth.now())));
  return t;
}
