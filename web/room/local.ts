// This person's own media: microphone, camera and screen tracks, the devices they chose, and
// the modes that change what is captured (audio only, low bandwidth).

export type Source = "audio" | "camera" | "screen";

export interface LocalHooks {
  /** A track was started, replaced or stopped: the peer connection sends the new one. */
  trackChanged(source: Source): void;
  /** The screen share ended from the browser's own "Stop sharing" control. */
  screenEnded(): void;
}

const FULL = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } };
const LOW = { width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { ideal: 12, max: 15 } };

export class LocalMedia {
  mic: MediaStreamTrack | null = null;
  camera: MediaStreamTrack | null = null;
  screen: MediaStreamTrack | null = null;
  /** Microphone on (not muted). The track stays captured while muted, silenced. */
  micOn = true;
  /** The person wants their camera on (it is off anyway in audio-only mode). */
  cameraOn = true;
  audioOnly = false;
  lowBandwidth = false;
  micDeviceId = "";
  cameraDeviceId = "";
  micFailed = false;
  cameraFailed = false;
  /** What is sent in place of a captured track (the comfort effects, web/room/comfort.ts). */
  output: ((source: Source, raw: MediaStreamTrack) => MediaStreamTrack) | null = null;
  /** Settles when the first attempt to capture has finished, whatever it gave. */
  readonly ready: Promise<void>;
  #readyDone: () => void = () => {};

  constructor(private readonly hooks: LocalHooks) {
    this.ready = new Promise((resolve) => (this.#readyDone = resolve));
  }

  get wantsVideo(): boolean {
    return this.cameraOn && !this.audioOnly;
  }

  #videoConstraints(): MediaTrackConstraints {
    return { ...(this.lowBandwidth ? LOW : FULL), ...(this.cameraDeviceId ? { deviceId: { exact: this.cameraDeviceId } } : {}) };
  }

  #audioConstraints(): MediaTrackConstraints {
    return { echoCancellation: true, noiseSuppression: true, autoGainControl: true, ...(this.micDeviceId ? { deviceId: { exact: this.micDeviceId } } : {}) };
  }

  /** Asks for microphone and camera together (one permission prompt), then each alone. */
  async start(): Promise<void> {
    try {
      const video = this.wantsVideo ? this.#videoConstraints() : false;
      let stream: MediaStream | null = null;
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: this.#audioConstraints(), video });
      } catch {
        stream = null;
      }
      if (stream) {
        this.#setMic(stream.getAudioTracks()[0] ?? null);
        this.#setCamera(stream.getVideoTracks()[0] ?? null);
      } else {
        await this.#startMic();
        if (this.wantsVideo) await this.#startCamera();
      }
      this.micFailed = !this.mic;
      this.cameraFailed = this.wantsVideo && !this.camera;
      if (this.cameraFailed) this.cameraOn = false;
    } finally {
      this.#readyDone();
    }
  }

  async #startMic(): Promise<void> {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: this.#audioConstraints() });
      this.#setMic(s.getAudioTracks()[0] ?? null);
    } catch {
      this.#setMic(null);
    }
  }

  async #startCamera(): Promise<boolean> {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: this.#videoConstraints() });
      this.#setCamera(s.getVideoTracks()[0] ?? null);
      return this.camera !== null;
    } catch {
      this.#setCamera(null);
      return false;
    }
  }

  #setMic(track: MediaStreamTrack | null): void {
    if (this.mic && this.mic !== track) this.mic.stop();
    this.mic = track;
    if (track) track.enabled = this.micOn;
    this.hooks.trackChanged("audio");
  }

  #setCamera(track: MediaStreamTrack | null): void {
    if (this.camera && this.camera !== track) this.camera.stop();
    this.camera = track;
    if (track && "contentHint" in track) track.contentHint = "motion";
    this.hooks.trackChanged("camera");
  }

  setMicOn(on: boolean): void {
    this.micOn = on;
    if (this.mic) this.mic.enabled = on;
  }

  /** Turns the camera on or off; false when it could not be started. */
  async setCameraOn(on: boolean): Promise<boolean> {
    this.cameraOn = on;
    if (!this.wantsVideo) {
      this.#setCamera(null);
      return true;
    }
    if (this.camera) return true;
    const ok = await this.#startCamera();
    this.cameraFailed = !ok;
    if (!ok) this.cameraOn = false;
    return ok;
  }

  /** Audio only: the camera is released (and the screen share stopped) until it is turned off. */
  async setAudioOnly(on: boolean): Promise<void> {
    this.audioOnly = on;
    if (on) {
      this.#setCamera(null);
      this.stopScreen();
    } else if (this.cameraOn) {
      await this.#startCamera();
    }
  }

  /** Low bandwidth: capture smaller and slower (the simulcast layers follow, see link.ts). */
  async setLowBandwidth(on: boolean): Promise<void> {
    this.lowBandwidth = on;
    await this.camera?.applyConstraints(on ? LOW : FULL).catch(() => {});
    this.hooks.trackChanged("camera");
  }

  async useMic(deviceId: string): Promise<void> {
    this.micDeviceId = deviceId;
    await this.#startMic();
    this.micFailed = !this.mic;
  }

  async useCamera(deviceId: string): Promise<void> {
    this.cameraDeviceId = deviceId;
    if (!this.wantsVideo) return;
    // The old camera is released first: some cameras cannot be open twice.
    this.#setCamera(null);
    this.cameraFailed = !(await this.#startCamera());
  }

  async startScreen(): Promise<boolean> {
    if (this.screen) return true;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10, max: 15 } }, audio: false });
    } catch {
      return false;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return false;
    if ("contentHint" in track) track.contentHint = "detail";
    track.addEventListener("ended", () => {
      if (this.screen !== track) return;
      this.screen = null;
      this.hooks.trackChanged("screen");
      this.hooks.screenEnded();
    });
    this.screen = track;
    this.hooks.trackChanged("screen");
    return true;
  }

  stopScreen(): void {
    if (!this.screen) return;
    this.screen.stop();
    this.screen = null;
    this.hooks.trackChanged("screen");
  }

  track(source: Source): MediaStreamTrack | null {
    const raw = source === "audio" ? this.mic : this.audioOnly ? null : source === "camera" ? this.camera : this.screen;
    return raw && this.output ? this.output(source, raw) : raw;
  }

  /** Leaving: every device is released (the camera light goes off). */
  stopAll(): void {
    this.mic?.stop();
    this.camera?.stop();
    this.screen?.stop();
    this.mic = this.camera = this.screen = null;
  }

  async devices(): Promise<{ mics: MediaDeviceInfo[]; cameras: MediaDeviceInfo[] }> {
    const all = await navigator.mediaDevices.enumerateDevices().catch(() => [] as MediaDeviceInfo[]);
    return { mics: all.filter((d) => d.kind === "audioinput"), cameras: all.filter((d) => d.kind === "videoinput") };
  }
}
