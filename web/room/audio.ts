// One AudioContext for the page: the microphone level meter and the knock chime. Browsers keep
// a context suspended until the person has interacted with the page, so every click or key
// press gives it another chance to start.

let context: AudioContext | null = null;

export function audioContext(): AudioContext | null {
  if (!context && typeof AudioContext !== "undefined") context = new AudioContext();
  return context;
}

export function wakeAudio(): void {
  if (context?.state === "suspended") void context.resume().catch(() => {});
}

for (const event of ["pointerdown", "keydown"]) document.addEventListener(event, wakeAudio, { capture: true });

/**
 * A short, soft two-note chime for a knock: generated here, so there is no sound file to
 * serve. Quiet on purpose: it is heard in a room where someone may be speaking.
 */
export function chime(): boolean {
  const ctx = audioContext();
  if (!ctx) return false;
  wakeAudio();
  const start = ctx.currentTime + 0.02;
  [659.25, 987.77].forEach((frequency, i) => {
    const t0 = start + i * 0.16;
    const osc = ctx.createOscillator();
    osc.type = "sine";
    osc.frequency.value = frequency;
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.08, t0 + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.9);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + 0.95);
  });
  return ctx.state === "running";
}

/** The loudness of a microphone track, 0 (silence) to 1, for the level meter. */
export class LevelMeter {
  readonly #analyser: AnalyserNode | null = null;
  readonly #source: MediaStreamAudioSourceNode | null = null;
  readonly #buffer: Float32Array<ArrayBuffer>;

  constructor(track: MediaStreamTrack) {
    const ctx = audioContext();
    this.#buffer = new Float32Array(512);
    if (!ctx) return;
    this.#source = ctx.createMediaStreamSource(new MediaStream([track]));
    this.#analyser = ctx.createAnalyser();
    this.#analyser.fftSize = 512;
    this.#source.connect(this.#analyser);
  }

  level(): number {
    if (!this.#analyser) return 0;
    this.#analyser.getFloatTimeDomainData(this.#buffer);
    let sum = 0;
    for (const v of this.#buffer) sum += v * v;
    const rms = Math.sqrt(sum / this.#buffer.length);
    // -60 dBFS and below reads as silence, 0 dBFS as full scale.
    const db = 20 * Math.log10(rms || 1e-9);
    return Math.min(1, Math.max(0, (db + 60) / 60));
  }

  stop(): void {
    this.#source?.disconnect();
  }
}
