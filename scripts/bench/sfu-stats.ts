/**
 * What the SFU bench's receiving bots count, per packet and without allocation: packets per
 * sending stream (for loss) and one-way latency in a fixed histogram (for percentiles). Both are
 * read as deltas between samples, so a long soak reports each interval on its own without keeping
 * every latency value (600 s at 32k packets/s would be 19 million of them).
 */

/** 10 µs buckets up to 100 ms, then 1 ms buckets up to 10.1 s, then one overflow bucket. */
const FINE = 10_000;
const COARSE = 10_000;
export const HISTOGRAM_BUCKETS = FINE + COARSE + 1;

function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0;
  if (ms < 100) return Math.floor(ms * 100);
  const i = FINE + Math.floor(ms - 100);
  return i < FINE + COARSE ? i : FINE + COARSE;
}

/** The upper edge of bucket i in ms: a percentile read from it errs high by at most one bucket. */
export function bucketUpperMs(i: number): number {
  if (i < FINE) return (i + 1) / 100;
  if (i < FINE + COARSE) return 100 + (i - FINE) + 1;
  return Infinity;
}

export class LatencyHistogram {
  readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  total = 0;

  add(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.total++;
  }

  /** Non-empty buckets as [index, count, index, count, ...] (small enough for a JSON line). */
  sparse(): number[] {
    const out: number[] = [];
    const c = this.counts;
    for (let i = 0; i < c.length; i++) if (c[i]! > 0) out.push(i, c[i]!);
    return out;
  }

  addSparse(pairs: readonly number[]): void {
    for (let k = 0; k + 1 < pairs.length; k += 2) {
      this.counts[pairs[k]!]! += pairs[k + 1]!;
      this.total += pairs[k + 1]!;
    }
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** The p-th quantile (0..1) in ms, as the upper edge of its bucket; NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.min(this.total - 1, Math.floor(p * this.total));
    let seen = 0;
    const c = this.counts;
    for (let i = 0; i < c.length; i++) {
      seen += c[i]!;
      if (seen > rank) return bucketUpperMs(i);
    }
    return bucketUpperMs(c.length - 1);
  }
}

/**
 * Packets received per sending stream (stream = sending bot id * 2 + kind, ids are small
 * integers within one process), and the highest and lowest per-stream counter seen. Expected
 * packets over an interval are the advance of the highest counter: what was lost in the
 * interval, or is still in flight at its end, is charged to the interval in which a later
 * packet of that stream arrives.
 */
export class StreamTable {
  #packets = new Float64Array(64);
  #first = new Float64Array(64);
  #last = new Float64Array(64);
  #seen = new Uint8Array(64);
  /** At the previous take(): packets, and the highest counter (or -1 if the stream was not seen). */
  #packetsAt = new Float64Array(64);
  #lastAt = new Float64Array(64).fill(-1);

  add(stream: number, seq: number): void {
    if (stream >= this.#seen.length) this.#grow(stream + 1);
    this.#packets[stream]!++;
    if (this.#seen[stream] === 0) {
      this.#seen[stream] = 1;
      this.#first[stream] = seq;
      this.#last[stream] = seq;
    } else if (seq > this.#last[stream]!) this.#last[stream] = seq;
    else if (seq < this.#first[stream]!) this.#first[stream] = seq;
  }

  /** Packets received and expected since the previous take(). */
  take(): { received: number; expected: number } {
    let received = 0;
    let expected = 0;
    for (let s = 0; s < this.#seen.length; s++) {
      if (this.#seen[s] === 0) continue;
      received += this.#packets[s]! - this.#packetsAt[s]!;
      const from = this.#lastAt[s]! < 0 ? this.#first[s]! - 1 : this.#lastAt[s]!;
      expected += this.#last[s]! - from;
      this.#packetsAt[s] = this.#packets[s]!;
      this.#lastAt[s] = this.#last[s]!;
    }
    return { received, expected };
  }

  #grow(size: number): void {
    const n = Math.max(size, this.#seen.length * 2);
    const more = <T extends Float64Array | Uint8Array>(a: T, fill = 0): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.fill(fill);
      b.set(a);
      return b;
    };
    this.#packets = more(this.#packets);
    this.#first = more(this.#first);
    this.#last = more(this.#last);
    this.#seen = more(this.#seen);
    this.#packetsAt = more(this.#packetsAt);
    this.#lastAt = more(this.#lastAt, -1);
  }
}
