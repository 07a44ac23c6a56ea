import { open, readFile, type FileHandle } from "node:fs/promises";
import * as age from "age-encryption";
import type { Vault } from "../store/vault.ts";

/**
 * A recording on disk: data/recordings/<uuid>.age, a run of frames, each a 4-byte big-endian
 * length and one age file sealed to the appliance's recipient. Media is held in memory until a
 * frame is full, sealed, and only then written: no plaintext byte of it ever reaches the disk.
 * The writer needs only the public recipient (an SFU worker never holds the appliance's key).
 *
 * The first frame holds the WebM header alone. When the recording ends, werift's writer hands
 * back the header again with the real duration; sealed to the same recipient it is exactly as
 * long, so it replaces the first frame in place (what werift does to a plain file, done sealed).
 */

/** Plaintext held before it is sealed as one frame. */
const FRAME_BYTES = 64 * 1024;

export class SealedRecordingWriter {
  #file: FileHandle | null = null;
  readonly #encrypter = new age.Encrypter();
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #headerLength = -1;
  /** The sealed length of the first frame (the header), once written. */
  #headerSealed = -1;
  #chain: Promise<void> = Promise.resolve();
  /** Bytes on disk so far. */
  bytes = 0;
  failed: Error | null = null;

  constructor(
    readonly path: string,
    recipient: string,
  ) {
    this.#encrypter.addRecipient(recipient);
  }

  /** One chunk of the WebM stream, in order. */
  write(chunk: Uint8Array): void {
    if (this.#headerLength < 0) {
      this.#headerLength = chunk.length;
      this.#enqueue([chunk]);
      return;
    }
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= FRAME_BYTES) this.#flush();
  }

  /** Seals what is held, puts the final header in place, and closes the file. */
  async finish(header: Uint8Array | null): Promise<void> {
    this.#flush();
    this.#then(async () => {
      if (header && header.length === this.#headerLength && this.#file) {
        const sealed = await this.#encrypter.encrypt(header);
        if (sealed.length === this.#headerSealed) await this.#file.write(sealed, 0, sealed.length, 4);
      }
    });
    await this.#chain;
    // Closed even when a write failed: no handle is left to the collector.
    await this.#file?.close();
    this.#file = null;
    if (this.failed) throw this.failed;
  }

  #flush(): void {
    if (this.#pendingBytes === 0) return;
    const parts = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#enqueue(parts);
  }

  #enqueue(parts: Uint8Array[]): void {
    this.#then(async () => {
      const plain = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      const sealed = await this.#encrypter.encrypt(plain);
      this.#file ??= await open(this.path, "wx", 0o600);
      const frame = Buffer.allocUnsafe(4 + sealed.length);
      frame.writeUInt32BE(sealed.length, 0);
      frame.set(sealed, 4);
      if (this.#headerSealed < 0) this.#headerSealed = sealed.length;
      await this.#file.write(frame, 0, frame.length, this.bytes);
      this.bytes += frame.length;
    });
  }

  #then(work: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.failed) return;
      try {
        await work();
      } catch (err) {
        this.failed = err as Error;
      }
    });
  }
}

/** Each frame's sealed bytes, in order. */
export function* sealedFrames(file: Uint8Array): Generator<Uint8Array> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let at = 0;
  while (at + 4 <= file.length) {
    const length = view.getUint32(at);
    at += 4;
    if (at + length > file.length) throw new Error("recording file is truncated");
    yield file.subarray(at, at + length);
    at += length;
  }
}

/** The whole recording, opened in memory with the vault (for playback and tests). */
export async function openRecording(vault: Vault, path: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const frame of sealedFrames(await readFile(path))) parts.push(await vault.open(frame));
  return Buffer.concat(parts);
}

/** age's payload: a 16-byte nonce, then chunks of up to 64 KiB of plaintext, each with a 16-byte tag. */
const AGE_NONCE = 16;
const AGE_TAG = 16;
const AGE_CHUNK = 64 * 1024;
const HEADER_PEEK = 1024;

interface Frame {
  /** Where its sealed bytes start in the file, and how many. */
  at: number;
  sealed: number;
  /** Where its plaintext starts in the recording, and how long it is. */
  from: number;
  plain: number;
}

/** The plaintext length of a sealed frame from its size and its header's end, without opening it. */
function plainLengthOf(sealedLength: number, head: Uint8Array): number {
  const marker = Buffer.from(head).indexOf("\n--- ");
  if (marker < 0) throw new Error("recording frame has no age header");
  const headerEnd = Buffer.from(head).indexOf("\n", marker + 5) + 1;
  if (headerEnd <= 0) throw new Error("recording frame header is longer than expected");
  const payload = sealedLength - headerEnd - AGE_NONCE;
  const chunks = Math.max(1, Math.ceil(payload / (AGE_CHUNK + AGE_TAG)));
  return payload - chunks * AGE_TAG;
}

/** Where every frame is, read from lengths and headers only: no frame is opened. */
export async function indexRecording(path: string): Promise<{ frames: Frame[]; size: number }> {
  const file = await open(path, "r");
  try {
    const frames: Frame[] = [];
    const total = (await file.stat()).size;
    const len = Buffer.alloc(4);
    const head = Buffer.alloc(HEADER_PEEK);
    let at = 0;
    let from = 0;
    while (at + 4 <= total) {
      await file.read(len, 0, 4, at);
      const sealed = len.readUInt32BE(0);
      if (at + 4 + sealed > total) break; // an unfinished last frame (the worker died): playable up to here
      const { bytesRead } = await file.read(head, 0, Math.min(HEADER_PEEK, sealed), at + 4);
      const plain = plainLengthOf(sealed, head.subarray(0, bytesRead));
      frames.push({ at: at + 4, sealed, from, plain });
      at += 4 + sealed;
      from += plain;
    }
    return { frames, size: from };
  } finally {
    await file.close();
  }
}

/**
 * Bytes `start`..`end` (inclusive) of the recording, opened frame by frame as they are sent:
 * only the frames the range touches are read and opened, and nothing opened is kept.
 */
export function streamRange(vault: Vault, path: string, frames: Frame[], start: number, end: number): ReadableStream<Uint8Array> {
  const wanted = frames.filter((f) => f.from + f.plain > start && f.from <= end);
  const file = Bun.file(path);
  let i = 0;
  // No handle is held between reads: a player that drops the request leaves nothing open.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const f = wanted[i++];
      if (!f) return controller.close();
      const plain = await vault.open(await file.slice(f.at, f.at + f.sealed).bytes());
      controller.enqueue(plain.subarray(Math.max(0, start - f.from), Math.min(f.plain, end - f.from + 1)));
    },
  });
}
