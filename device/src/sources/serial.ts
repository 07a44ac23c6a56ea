// A CMS50 pulse oximeter on a serial port (its CP210x/PL2303 USB bridge shows up as /dev/ttyUSB0).
// The `serialport` package's native binding calls libuv's uv_poll_init, which Bun 1.4 does not
// implement (the process panics: oven-sh/bun#18546). So the line is set with stty(1) (termios:
// 19200 baud, raw, no echo) and the tty read as a stream, which is all the CMS50 stream needs.
import { createReadStream, type ReadStream } from "node:fs";
import { Cms50Decoder, cms50Reading } from "./cms50.ts";
import type { Source, SourceReading } from "./source.ts";

export type SerialOptions = { path: string; baudRate?: number; /** keep one reading per this many ms */ everyMs?: number; now?: () => number };

export class SerialSource implements Source {
  readonly name: string;
  private stream: ReadStream | undefined;
  readonly decoder = new Cms50Decoder();
  private lastKept = -Infinity;
  constructor(private readonly opts: SerialOptions) {
    this.name = `serial:${opts.path}`;
  }
  async start(emit: (r: SourceReading) => void, fail: (e: Error) => void): Promise<void> {
    const now = this.opts.now ?? Date.now;
    const stty = Bun.spawnSync(["stty", "-F", this.opts.path, String(this.opts.baudRate ?? 19200), "raw", "-echo", "cs8", "-cstopb", "-parenb"], { stderr: "pipe" });
    if (stty.exitCode !== 0) throw new Error(`serial ${this.opts.path}: cannot set the line (${stty.stderr.toString().trim()})`);
    const stream = createReadStream(this.opts.path);
    this.stream = stream;
    stream.on("data", (chunk) => {
      for (const sample of this.decoder.push(chunk as Buffer)) {
        const t = now();
        if (t - this.lastKept < (this.opts.everyMs ?? 1000)) continue;
        this.lastKept = t;
        emit(cms50Reading(sample));
      }
    });
    stream.on("error", fail);
    await new Promise<void>((resolve, reject) => { stream.once("open", () => resolve()); stream.once("error", reject); });
  }
  async stop(): Promise<void> {
    this.stream?.destroy();
    this.stream = undefined;
  }
}
