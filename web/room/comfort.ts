// Comfort at home: background blur (MediaPipe selfie segmentation) and noise suppression
// (RNNoise in an AudioWorklet), both done on this device, both off until the person turns them
// on. Their choice is kept by the box (GET/POST /rooms/comfort), never in the browser's storage.
// The model, the WebAssembly and the worklet are files of the box (src/ui/assets.ts): nothing
// is fetched from anywhere else.
//
// The peer connection sends what LocalMedia.track() gives, and LocalMedia asks `output()` here:
// the processed track once its pipeline runs, the camera or microphone as it is until then.
import type { SelfieSegmentation } from "@mediapipe/selfie_segmentation";
import { comfortStrings } from "../../src/rooms/comfort-strings.ts";
import { fill } from "../../src/ui/i18n.ts";
import { BlurredCamera, loadSegmenter } from "./blur.ts";
import type { ConnectionCheck } from "./check.ts";
import { el, pageLocale, setPressed } from "./dom.ts";
import type { Source } from "./local.ts";
import { measureNoise, QuietMic, RNNOISE_WASM } from "./noise.ts";

type S = ReturnType<typeof comfortStrings>;
type Kind = "blur" | "noise";

export interface ComfortHooks {
  /** The track to send for this source changed (processed, or back to the raw one). */
  changed(source: Source): void;
  /** The camera or microphone as captured, to process before anything asks to send it. */
  raw(source: "camera" | "audio"): MediaStreamTrack | null;
  say(text: string): void;
}

/** Above this share of one core for both effects together, the check suggests turning them off. */
const HEAVY = 0.6;

function csrf(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
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
    this.#segmenter ??= loadSegmenter();
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

