// Comfort at home: background blur (MediaPipe selfie segmentation) and noise suppression
// (RNNoise in an AudioWorklet), both done on this device, both off until the person turns them
// on. Their choice is kept by the box (GET/POST /rooms/comfort), never in the browser's storage.
// The model, the WebAssembly and the worklet are files of the box (src/ui/assets.ts): nothing
// is fetched from anywhere else.
//
// The peer connection sends what LocalMedia.track() gives, and LocalMedia asks `output()` here:
// the processed track once its pipeline runs, the camera or microphone as it is until then.
import type { Results, SelfieSegmentation } from "@mediapipe/selfie_segmentation";
import mediapipe from "@mediapipe/selfie_segmentation/package.json";
import rnnoise from "@jitsi/rnnoise-wasm/package.json";
import { comfortStrings } from "../../src/rooms/comfort-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import type { ConnectionCheck } from "./check.ts";
import { el, pageLocale, setPressed } from "./dom.ts";
import type { Source } from "./local.ts";
import { createDenoiser, FRAME } from "./rnnoise.ts";

type S = ReturnType<typeof comfortStrings>;
type Kind = "blur" | "noise";

export interface ComfortHooks {
  /** The track to send for this source changed (processed, or back to the raw one). */
  changed(source: Source): void;
  /** The camera or microphone as captured, to process before anything asks to send it. */
  raw(source: "camera" | "audio"): MediaStreamTrack | null;
  say(text: string): void;
}

/** The library files carry their package version, so a new version is never read from a stale cache. */
const MEDIAPIPE = (file: string) => `/static/${file}?v=${mediapipe.version}`;
const RNNOISE_WASM = `/static/rnnoise.wasm?v=${rnnoise.version}`;
const WORKLET = "/static/noise-worklet.js";
/** Background blur radius, in pixels of a 640-wide frame. */
const BLUR_PX = 12;
/** Above this share of one core for both effects together, the check suggests turning them off. */
const HEAVY = 0.6;

function csrf(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = el("script", { src });
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => reject(new Error(`could not load ${src}`)));
    document.head.append(script);
  });
}

/** Work done over the last few seconds: its share of the time, and how many units. */
class WorkMeter {
  readonly #done: { at: number; ms: number }[] = [];
  static readonly WINDOW_MS = 3000;
  readonly #since = performance.now();
  add(ms: number): void {
    const now = performance.now();
    this.#done.push({ at: now, ms });
    while (this.#done.length && this.#done[0]!.at < now - WorkMeter.WINDOW_MS) this.#done.shift();
  }
  /** Share of one core and units a second over the window; null until there is a window's worth. */
  rate(): { share: number; perSecond: number } | null {
    const now = performance.now();
    if (now - this.#since < WorkMeter.WINDOW_MS || this.#done.length < 2) return null;
    const from = now - WorkMeter.WINDOW_MS;
    const recent = this.#done.filter((d) => d.at >= from);
    // Work that began before the window counts only for its part inside it.
    const busy = recent.reduce((a, d) => a + Math.min(d.ms, d.at - from), 0);
    return { share: busy / WorkMeter.WINDOW_MS, perSecond: (recent.length * 1000) / WorkMeter.WINDOW_MS };
  }
}

/** The camera, segmented and composited on a canvas: the person sharp, the room behind blurred. */
class BlurredCamera {
  readonly track: MediaStreamTrack;
  readonly meter = new WorkMeter();
  readonly fps: number;
  readonly #video = el("video", { muted: "", playsinline: "" });
  readonly #canvas = el("canvas");
  readonly #ctx: CanvasRenderingContext2D;
  #stopped = false;

  constructor(
    readonly raw: MediaStreamTrack,
    private readonly segmenter: SelfieSegmentation,
  ) {
    const settings = raw.getSettings();
    this.fps = settings.frameRate ?? 24;
    this.#canvas.width = settings.width ?? 640;
    this.#canvas.height = settings.height ?? 480;
    this.#ctx = this.#canvas.getContext("2d")!;
    segmenter.onResults((r) => this.#draw(r));
    this.#video.muted = true;
    this.#video.srcObject = new MediaStream([raw]);
    void this.#video.play().catch(() => {});
    this.track = this.#canvas.captureStream(this.fps).getVideoTracks()[0]!;
    if ("contentHint" in this.track) this.track.contentHint = "motion";
    this.#next();
  }

  #next(): void {
    if (this.#stopped) return;
    // One frame at a time: a slow device sends fewer frames rather than queueing them.
    if ("requestVideoFrameCallback" in this.#video) this.#video.requestVideoFrameCallback(() => void this.#frame());
    else window.setTimeout(() => void this.#frame(), 1000 / this.fps);
  }

  async #frame(): Promise<void> {
    if (this.#stopped || this.raw.readyState === "ended") return;
    const started = performance.now();
    try {
      await this.segmenter.send({ image: this.#video });
      this.meter.add(performance.now() - started);
    } catch {
      // A frame the model could not take (the camera was changing): the next one will do.
    }
    this.#next();
  }

  #draw(r: Results): void {
    if (this.#stopped) return;
    const ctx = this.#ctx;
    const { width: w, height: h } = this.#canvas;
    // The camera's own frame (the video element), not r.image: MediaPipe's copy lives in its
    // WebGL canvas, which reads back blank in Chromium without a GPU.
    const frame = this.#video;
    ctx.save();
    ctx.globalCompositeOperation = "copy";
    ctx.filter = "none";
    ctx.drawImage(r.segmentationMask, 0, 0, w, h);
    ctx.globalCompositeOperation = "source-in";
    ctx.drawImage(frame, 0, 0, w, h);
    ctx.globalCompositeOperation = "destination-over";
    ctx.filter = `blur(${BLUR_PX * (w / 640)}px)`;
    ctx.drawImage(frame, 0, 0, w, h);
    // The blur fades at the frame's edges; the plain frame underneath fills them.
    ctx.filter = "none";
    ctx.drawImage(frame, 0, 0, w, h);
    ctx.restore();
  }

  /**
   * Share of one core: the time spent segmenting and drawing over the last seconds. Frames are
   * done one at a time, so a slow device shows fewer pictures a second rather than more than a core.
   */
  rate(): { share: number; perSecond: number } | null {
    return this.meter.rate();
  }

  stop(): void {
    this.#stopped = true;
    this.track.stop();
    this.#video.srcObject = null;
  }
}

/** The microphone through RNNoise in an AudioWorklet. */
class QuietMic {
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

export class Comfort {
  readonly s: S = comfortStrings(pageLocale());
  readonly on = { blur: false, noise: false };
  #check: ConnectionCheck | null = null;
  #segmenter: Promise<SelfieSegmentation | null> | null = null;
  #wasm: Promise<ArrayBuffer | null> | null = null;
  #blur: BlurredCamera | null = null;
  #noise: QuietMic | null = null;
  readonly #building = new Set<MediaStreamTrack>();
  readonly #failed = { blur: false, noise: false };
  /** Share of one core RNNoise takes on this device, measured once it is first turned on. */
  #noiseShare: number | null = null;

  constructor(private readonly hooks: ComfortHooks) {}

  /** Reads the person's choice from the box, adds the switches and the check's cost line. */
  async start(check: ConnectionCheck): Promise<void> {
    this.#check = check;
    check.addRow("comfort", this.s.checkCost);
    this.#controls();
    try {
      const res = await fetch("/rooms/comfort", { credentials: "same-origin", cache: "no-store" });
      if (res.ok) Object.assign(this.on, (await res.json()) as { blur: boolean; noise: boolean });
    } catch {
      // Off, as for everyone who never chose.
    }
    this.#pressed();
    this.#showCost();
    // In the waiting room nothing is sent yet, but the effects start now: the check measures
    // them, and the preview shows the blur. The devices may come (or change) at any time.
    this.#prepare();
    window.setInterval(() => this.#prepare(), 1000);
  }

  #prepare(): void {
    for (const source of ["camera", "audio"] as const) {
      const raw = this.hooks.raw(source);
      if (raw && raw.readyState === "live") this.output(source, raw);
    }
  }

  /** What to send for this source: the processed track when it is ready, otherwise the raw one. */
  output(source: Source, raw: MediaStreamTrack): MediaStreamTrack {
    if (source === "camera") {
      if (this.#blur && (this.#blur.raw !== raw || !this.on.blur)) this.#dropBlur();
      if (!this.on.blur) return raw;
      if (this.#blur) return this.#blur.track;
      void this.#buildBlur(raw);
      return raw;
    }
    if (source === "audio") {
      if (this.#noise && (this.#noise.raw !== raw || !this.on.noise)) this.#dropNoise();
      if (!this.on.noise) return raw;
      if (this.#noise) return this.#noise.track;
      void this.#buildNoise(raw);
      return raw;
    }
    return raw;
  }

  // ---- switches ------------------------------------------------------------------------------

  #controls(): void {
    const devices = document.getElementById("devices");
    if (!devices) return;
    const box = el("div", { class: "comfort", role: "group", "aria-labelledby": "comfort-legend" });
    box.append(el("p", { id: "comfort-legend", class: "comfort-legend" }, this.s.legend));
    for (const [kind, label, hint] of [["blur", this.s.blur, this.s.blurHint], ["noise", this.s.noise, this.s.noiseHint]] as const) {
      const button = el("button", { type: "button", id: `comfort-${kind}`, class: "toggle secondary", "aria-pressed": "false", "aria-describedby": `comfort-${kind}-hint` }, label);
      button.addEventListener("click", () => void this.#toggle(kind));
      const field = el("div", { class: "field" });
      field.append(button, el("p", { id: `comfort-${kind}-hint`, class: "hint" }, hint));
      box.append(field);
    }
    devices.append(box);
  }

  #pressed(): void {
    for (const kind of ["blur", "noise"] as const) {
      const b = document.getElementById(`comfort-${kind}`);
      if (b) setPressed(b, this.on[kind]);
    }
  }

  async #toggle(kind: Kind): Promise<void> {
    this.on[kind] = !this.on[kind];
    this.#failed[kind] = false;
    this.#pressed();
    const s = this.s;
    this.hooks.say(kind === "blur" ? (this.on.blur ? s.blurOn : s.blurOff) : this.on.noise ? s.noiseOn : s.noiseOff);
    this.hooks.changed(kind === "blur" ? "camera" : "audio");
    this.#prepare();
    this.#showCost();
    const saved = await fetch("/rooms/comfort", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf() },
      body: JSON.stringify({ [kind]: this.on[kind] }),
    }).then((r) => r.ok, () => false);
    if (!saved) this.hooks.say(s.notSaved);
  }

  // ---- pipelines -----------------------------------------------------------------------------

  #loadSegmenter(): Promise<SelfieSegmentation | null> {
    this.#segmenter ??= (async () => {
      try {
        await loadScript(MEDIAPIPE("selfie_segmentation.js"));
        const Ctor = (window as unknown as { SelfieSegmentation: typeof SelfieSegmentation }).SelfieSegmentation;
        const segmenter = new Ctor({ locateFile: (file) => MEDIAPIPE(file) });
        // The landscape model: smaller input, made for video calls.
        segmenter.setOptions({ modelSelection: 1, selfieMode: false });
        await segmenter.initialize();
        return segmenter;
      } catch {
        return null;
      }
    })();
    return this.#segmenter;
  }

  async #buildBlur(raw: MediaStreamTrack): Promise<void> {
    if (this.#building.has(raw)) return;
    this.#building.add(raw);
    try {
      const segmenter = await this.#loadSegmenter();
      if (!segmenter) return this.#fail("blur");
      if (!this.on.blur || raw.readyState === "ended" || this.#blur) return;
      this.#blur = new BlurredCamera(raw, segmenter);
      this.hooks.changed("camera");
      this.#watchBlurCost();
    } finally {
      this.#building.delete(raw);
    }
  }

  async #buildNoise(raw: MediaStreamTrack): Promise<void> {
    if (this.#building.has(raw)) return;
    this.#building.add(raw);
    try {
      this.#wasm ??= fetch(RNNOISE_WASM).then((r) => (r.ok ? r.arrayBuffer() : null), () => null);
      const wasm = await this.#wasm;
      const quiet = wasm ? await QuietMic.start(raw, wasm.slice(0)) : null;
      if (!quiet) return this.#fail("noise");
      if (!this.on.noise || raw.readyState === "ended" || this.#noise) return quiet.stop();
      this.#noise = quiet;
      this.hooks.changed("audio");
      if (this.#noiseShare === null) this.#noiseShare = measureNoise(wasm!);
      this.#showCost();
    } finally {
      this.#building.delete(raw);
    }
  }

  #fail(kind: Kind): void {
    this.#failed[kind] = true;
    this.#showCost();
  }

  #dropBlur(): void {
    this.#blur?.stop();
    this.#blur = null;
  }

  #dropNoise(): void {
    this.#noise?.stop();
    this.#noise = null;
  }

  // ---- cost ----------------------------------------------------------------------------------

  #watchBlurCost(): void {
    const timer = window.setInterval(() => {
      if (!this.#blur) return window.clearInterval(timer);
      this.#showCost();
    }, 1000);
  }

  #showCost(): void {
    const check = this.#check;
    if (!check) return;
    const s = this.s;
    if (!this.on.blur && !this.on.noise) return check.set("comfort", "ok", s.costNone);
    const parts: string[] = [];
    let total = 0;
    let measuring = false;
    let failed = false;
    const percent = (share: number) => String(Math.max(1, Math.round(share * 100)));
    if (this.on.blur) {
      const rate = this.#blur?.rate() ?? null;
      if (this.#failed.blur) failed = true;
      else if (rate === null) measuring = true;
      else {
        total += rate.share;
        parts.push(fill(s.costBlur, { share: percent(rate.share), fps: String(Math.round(rate.perSecond)) }));
      }
    }
    if (this.on.noise) {
      if (this.#failed.noise) failed = true;
      else if (this.#noiseShare === null) measuring = true;
      else {
        total += this.#noiseShare;
        parts.push(fill(s.costNoise, { share: percent(this.#noiseShare) }));
      }
    }
    if (measuring) parts.push(s.costMeasuring);
    if (failed) parts.push(s.costFailed);
    if (total > HEAVY) parts.push(s.costHeavy);
    const text = parts.map((p) => (/[.…!?]$/.test(p) ? p : `${p}.`)).join(" ");
    check.set("comfort", failed || total > HEAVY ? "warn" : measuring ? "pending" : "ok", text);
  }
}

/**
 * RNNoise's cost here: two seconds of sound (noise, as a busy room gives) through the same code
 * the worklet runs, timed on this page. The share of one core is the time taken over two seconds.
 */
function measureNoise(wasm: ArrayBuffer): number {
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
