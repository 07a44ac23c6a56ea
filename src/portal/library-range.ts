/**
 * HTTP byte ranges over a sealed file. age encrypts in 64 KiB STREAM chunks, so a chunk could in
 * principle be opened on its own, but age-encryption 0.3 exposes no seek: its Decrypter reads
 * from the start. A range is therefore served by decrypting from the start, dropping the bytes
 * before the range and stopping (cancelling the decryption) after its end. Memory stays one
 * chunk per viewer; the cost is time to decrypt up to the start (see docs/benchmarks.md).
 */

/** A single "bytes=a-b" (or "a-" or "-n") range within `size`; null for none or many; "unsatisfiable" past the end. */
export function parseRange(header: string | null, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

/** The bytes start..end (inclusive) of a stream: earlier bytes dropped, the source cancelled once past the end. */
export function sliceStream(source: ReadableStream<Uint8Array>, start: number, end: number): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        const from = at;
        at += value.length;
        if (at <= start) continue;
        const piece = value.subarray(Math.max(0, start - from), Math.min(value.length, end + 1 - from));
        if (piece.length) controller.enqueue(piece);
        if (at > end) {
          controller.close();
          await reader.cancel();
        }
        return;
      }
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
