// The AudioWorklet of noise suppression (web/room/comfort.ts loads it with addModule): the
// microphone in, RNNoise on every 10 ms, out to the peer connection. Not a page script.
import { createDenoiser, FRAME, type Denoiser } from "../room/rnnoise.ts";

declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}

/**
 * Output starts one frame (10 ms) of silence behind input, so a 128-sample render quantum always
 * finds samples ready between two 480-sample frames (never more than two frames are queued).
 */
const RING = FRAME * 4;

class Denoise extends AudioWorkletProcessor {
  readonly #denoiser: Denoiser | null;
  readonly #input = new Float32Array(FRAME);
  readonly #output = new Float32Array(FRAME);
  readonly #ring = new Float32Array(RING);
  #filled = 0;
  #read = 0;
  #write = FRAME;
  #queued = FRAME;

  constructor(options: { processorOptions: { wasm: ArrayBuffer } }) {
    super();
    let denoiser: Denoiser | null = null;
    try {
      // RNNoise is made for 48 kHz; at any other rate the page leaves the microphone as it is.
      if (sampleRate === 48000) denoiser = createDenoiser(new WebAssembly.Module(options.processorOptions.wasm));
    } catch {
      denoiser = null;
    }
    this.#denoiser = denoiser;
    this.port.postMessage({ ready: denoiser !== null });
  }

  process(inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const input = inputs[0]?.[0];
    const out = outputs[0]?.[0];
    if (!out) return true;
    if (!this.#denoiser) {
      if (input) out.set(input);
      return true;
    }
    const n = out.length;
    for (let k = 0; k < n; k++) {
      this.#input[this.#filled++] = input ? input[k]! : 0;
      if (this.#filled === FRAME) {
        this.#denoiser.process(this.#input, this.#output);
        this.#filled = 0;
        for (let m = 0; m < FRAME; m++) {
          this.#ring[this.#write] = this.#output[m]!;
          this.#write = (this.#write + 1) % RING;
        }
        this.#queued = Math.min(RING, this.#queued + FRAME);
      }
    }
    for (let k = 0; k < n; k++) {
      if (this.#queued > 0) {
        out[k] = this.#ring[this.#read]!;
        this.#read = (this.#read + 1) % RING;
        this.#queued--;
      } else out[k] = 0;
    }
    // The same sound on every channel the graph asks for.
    for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]![c]!.set(out);
    return true;
  }
}

registerProcessor("hearth-denoise", Denoise);
