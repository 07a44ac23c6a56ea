// Background blur: the camera through MediaPipe's selfie segmentation (its model and
// WebAssembly served by the box), composited on a canvas: the person sharp, the room behind
// blurred. The canvas's stream is what the peer connection sends (web/room/comfort.ts).
import type { Results, SelfieSegmentation } from "@mediapipe/selfie_segmentation";
import mediapipe from "@mediapipe/selfie_segmentation/package.json";
import { el } from "./dom.ts";

/** The library's files carry its package version, so a new version is never read from a stale cache. */
const MEDIAPIPE = (file: string) => `/static/${file}?v=${mediapipe.version}`;
/** Background blur radius, in pixels of a 640-wide frame. */
const BLUR_PX = 12;
/** The landscape model's own mask size. */
const MASK_W = 256;
const MASK_H = 144;
/** Mask confidence below LOW is room, above HIGH is person; in between fades. */
const LOW = 0.4;
const HIGH = 0.7;
/** Weight of the new mask against the last one: steadier edges, less flicker. */
const FRESH = 0.6;

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = el("script", { src });
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => reject(new Error(`could not load ${src}`)));
    document.head.append(script);
  });
}

/** The segmenter, loaded from the box; null when this browser cannot run it. */
export async function loadSegmenter(): Promise<SelfieSegmentation | null> {
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
}

/** Work done over the last few seconds: its share of the time, and how many units. */
export class WorkMeter {
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
export class BlurredCamera {
  readonly track: MediaStreamTrack;
  readonly meter = new WorkMeter();
  readonly fps: number;
  readonly #video = el("video", { muted: "", playsinline: "" });
  readonly #canvas = el("canvas");
  readonly #ctx: CanvasRenderingContext2D;
  /** The model's mask, cleaned: small, so reading it back each frame costs little. */
  readonly #mask = el("canvas", { width: String(MASK_W), height: String(MASK_H) });
  readonly #maskCtx = this.#mask.getContext("2d", { willReadFrequently: true })!;
  readonly #previous = new Float32Array(MASK_W * MASK_H);
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
    ctx.drawImage(this.#cleanMask(r.segmentationMask), 0, 0, w, h);
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
   * The model is unsure in places (it sees a person in a bookcase for a frame): a confidence
   * threshold and a little memory of the last frame keep the room blurred and the edge still.
   */
  #cleanMask(mask: CanvasImageSource): HTMLCanvasElement {
    const c = this.#maskCtx;
    c.globalCompositeOperation = "copy";
    c.drawImage(mask, 0, 0, MASK_W, MASK_H);
    const image = c.getImageData(0, 0, MASK_W, MASK_H);
    const px = image.data;
    const prev = this.#previous;
    for (let i = 0; i < prev.length; i++) {
      const a = px[i * 4 + 3]! / 255;
      const t = Math.min(1, Math.max(0, (a - LOW) / (HIGH - LOW)));
      const v = FRESH * t + (1 - FRESH) * prev[i]!;
      prev[i] = v;
      px[i * 4 + 3] = Math.round(v * 255);
    }
    c.putImageData(image, 0, 0);
    return this.#mask;
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

