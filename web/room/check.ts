// The waiting room's connection check: what a person can fix before they are let in. A waiting
// member has no media connection (the server makes none), so this checks what it can: the
// room's socket, the delay to the appliance, the camera, the microphone and the browser.
import { fill } from "../../src/ui/i18n.ts";
import type { sessionPageStrings } from "../../src/rooms/page-strings.ts";

type S = ReturnType<typeof sessionPageStrings>;
type State = "pending" | "ok" | "warn" | "bad";
export type CheckKey = "server" | "delay" | "camera" | "mic" | "browser" | "comfort";

/** Above this round trip to the appliance, video is likely to stutter. */
const SLOW_MS = 250;

export class ConnectionCheck {
  constructor(private readonly s: S) {}

  set(key: CheckKey, state: State, text: string): void {
    const dd = document.querySelector<HTMLElement>(`[data-check="${key}"]`);
    if (!dd || (dd.dataset.state === state && dd.textContent === text)) return;
    dd.dataset.state = state;
    dd.textContent = text;
  }

  /** A line the page adds itself (the comfort effects' cost: web/room/comfort.ts). */
  addRow(key: CheckKey, label: string): void {
    const list = document.querySelector(".check-list");
    if (!list || list.querySelector(`[data-check="${key}"]`)) return;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.dataset.check = key;
    dd.dataset.state = "pending";
    list.append(dt, dd);
  }

  browser(): void {
    const ok = typeof RTCPeerConnection !== "undefined" && !!navigator.mediaDevices?.getUserMedia;
    this.set("browser", ok ? "ok" : "bad", ok ? this.s.browserOk : this.s.browserNo);
  }

  /** Median of a few small requests to the appliance (its health check: no session, no data). */
  async delay(): Promise<void> {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      try {
        const res = await fetch("/healthz", { cache: "no-store", credentials: "omit" });
        await res.arrayBuffer();
        if (!res.ok) continue;
      } catch {
        continue;
      }
      times.push(performance.now() - t0);
    }
    if (!times.length) return this.set("delay", "bad", this.s.serverLost);
    times.sort((a, b) => a - b);
    const ms = Math.round(times[Math.floor(times.length / 2)]!);
    this.set("delay", ms > SLOW_MS ? "warn" : "ok", fill(ms > SLOW_MS ? this.s.delaySlow : this.s.delayGood, { ms }));
  }
}
