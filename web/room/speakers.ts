// The others' voices: one <audio> element per incoming audio stream. A browser may hold back
// sound until the person has interacted with the page; then the page offers a button for it.
import { byId } from "./dom.ts";
import type { Remote } from "./link.ts";

export class Speakers {
  readonly #box = byId("room-audio");
  readonly #notice = byId("sound-blocked");
  readonly #players = new Map<MediaStream, HTMLAudioElement>();

  constructor() {
    byId("enable-sound").addEventListener("click", () => {
      this.#notice.hidden = true;
      for (const a of this.#players.values()) this.#play(a);
    });
  }

  update(remotes: Remote[]): void {
    const want = new Set(remotes.filter((r) => r.source === "audio").map((r) => r.stream));
    for (const [stream, audio] of this.#players) {
      if (want.has(stream)) continue;
      audio.srcObject = null;
      audio.remove();
      this.#players.delete(stream);
    }
    for (const stream of want) {
      if (this.#players.has(stream)) continue;
      const audio = document.createElement("audio");
      audio.autoplay = true;
      audio.srcObject = stream;
      this.#box.append(audio);
      this.#players.set(stream, audio);
      this.#play(audio);
    }
  }

  clear(): void {
    this.update([]);
  }

  #play(audio: HTMLAudioElement): void {
    audio.play().catch((err: Error) => {
      if (err.name === "NotAllowedError") this.#notice.hidden = false;
    });
  }
}
