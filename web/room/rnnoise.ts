// RNNoise (@jitsi/rnnoise-wasm's rnnoise.wasm, served from the box) without its Emscripten glue:
// the glue looks for a document and a script URL, which an AudioWorklet has neither of. The
// module needs only two imports (heap growth and a large memcpy); its exports are minified, and
// the letters below are the ones the package's own rnnoise.js maps to these names.
// Shared by the worklet (noise-worklet.ts) and the page's cost measurement (comfort.ts), so the
// measured code is the code that runs.

/** RNNoise works on 10 ms frames at 48 kHz. */
export const FRAME = 480;
/** RNNoise expects 16-bit sample values in float. */
const SCALE = 32768;

export interface Denoiser {
  /** Denoises one frame of FRAME samples in [-1, 1] from `input` into `output`. */
  process(input: Float32Array, output: Float32Array): void;
  destroy(): void;
}

interface Exports {
  c: WebAssembly.Memory;
  d(): void; // constructors
  f(model: number): number; // rnnoise_create
  g(bytes: number): number; // malloc
  h(state: number): void; // rnnoise_destroy
  i(ptr: number): void; // free
  j(state: number, out: number, input: number): number; // rnnoise_process_frame
}

export function createDenoiser(module: WebAssembly.Module): Denoiser {
  let memory: WebAssembly.Memory | null = null;
  const imports = {
    a: {
      // emscripten_resize_heap: grow to at least the requested size.
      a: (requested: number) => {
        const m = memory!;
        try {
          m.grow(Math.ceil((requested - m.buffer.byteLength) / 65536));
          return 1;
        } catch {
          return 0;
        }
      },
      // emscripten_memcpy_big
      b: (dest: number, src: number, num: number) => {
        new Uint8Array(memory!.buffer).copyWithin(dest, src, src + num);
      },
    },
  };
  const ex = new WebAssembly.Instance(module, imports).exports as unknown as Exports;
  memory = ex.c;
  ex.d();
  const state = ex.f(0);
  const inPtr = ex.g(FRAME * 4);
  const outPtr = ex.g(FRAME * 4);
  let heap = new Float32Array(memory.buffer);
  return {
    process(input, output) {
      if (heap.buffer !== memory!.buffer) heap = new Float32Array(memory!.buffer);
      const i0 = inPtr >> 2;
      const o0 = outPtr >> 2;
      for (let k = 0; k < FRAME; k++) heap[i0 + k] = input[k]! * SCALE;
      ex.j(state, outPtr, inPtr);
      for (let k = 0; k < FRAME; k++) output[k] = heap[o0 + k]! / SCALE;
    },
    destroy() {
      ex.i(inPtr);
      ex.i(outPtr);
      ex.h(state);
    },
  };
}
