// Noise suppression: the microphone through RNNoise (web/room/rnnoise.ts) in an AudioWorklet
// (web/entries/noise-worklet.ts), its WebAssembly served by the box.
import rnnoise from "@jitsi/rnnoise-wasm/package.json";
import { createDenoiser, FRAME } from "./rnnoise.ts";

export const RNNOISE_WASM = `/static/rnnoise.wasm?v=${rnnoise.version}`;
/** Asked for by its bare name: the box serves it with "no-cache" (src/ui/routes.ts). */
const WORKLET = "/static/noise-worklet.js";

/** The microphone through RNNoise in an AudioWorklet. */
export class QuietMic {
  private constructor(
    readonly raw: MediaStreamTrack,
    readonly track: MediaStreamTrack,
    private readonly context: AudioContext,
  ) {}

  static async start(raw: MediaStreamTrack, wasm: ArrayBuffer): Promise<QuietMic | null> {
    const context = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" });
    try {
      await context.audioWorklet.addModule(WORKLET);
      const node = new AudioWorkletNode(context, "hearth-denoise", { processorOptions: { wasm }, outputChannelCount: [1] });
      const ready = await new Promise<boolean>((resolve) => {
        node.port.onmessage = (e: MessageEvent<{ ready: boolean }>) => resolve(e.data.ready);
      });
      if (!ready) throw new Error("RNNoise did not start");
      const out = context.createMediaStreamDestination();
      context.createMediaStreamSource(new MediaStream([raw])).connect(node).connect(out);
      // Capturing a microphone lets the page run audio without a click; if not, the first click does.
      if (context.state !== "running") {
        void context.resume().catch(() => {});
        document.addEventListener("click", () => void context.resume().catch(() => {}), { once: true });
      }
      return new QuietMic(raw, out.stream.getAudioTracks()[0]!, context);
    } catch (err) {
      console.warn("noise suppression not started", (err as Error).message, context.state);
      void context.close();
      return null;
    }
  }

  stop(): void {
    this.track.stop();
    void this.context.close();
  }
}

/**
 * RNNoise's cost here: two seconds of sound (noise, as a busy room gives) through the same code
 * the worklet runs, timed on this page. The share of one core is the time taken over two seconds.
 */
export function measureNoise(wasm: ArrayBuffer): number {
  const denoiser = createDenoiser(new WebAssembly.Module(wasm));
  const input = new Float32Array(FRAME);
  const output = new Float32Array(FRAME);
  let seed = 1;
  const frames = 200;
  let ms = 0;
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < FRAME; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      input[k] = (seed / 0xffffffff - 0.5) * 0.2 + 0.3 * Math.sin((f * FRAME + k) / 20);
    }
    const t0 = performance.now();
    denoiser.process(input, output);
    ms += performance.now() - t0;
  }
  denoiser.destroy();
  return ms / (frames * 10);
}
