import { describe, expect, test } from "bun:test";
import { RtpHeader, RtpPacket } from "werift";
import { isVp8Keyframe, vp8KeyframeHeight, vp8KeyframeWidth } from "./vp8.ts";
import { BandwidthEstimate, START_BPS, chooseLayer } from "./layers.ts";
import { SpeakingDetector } from "./speaking.ts";
import { Router, type RtpSink } from "./router.ts";
import { SequenceGaps } from "./sequence.ts";

/** A VP8 payload: descriptor (optionally with picture id), then a keyframe header or an inter-frame tag. */
function vp8(keyframe: boolean, opts: { start?: boolean; pictureId?: number; width?: number; height?: number } = {}): Buffer {
  const { start = true, pictureId, width = 1280, height = 720 } = opts;
  const descriptor = pictureId === undefined ? [start ? 0x10 : 0x00] : [(start ? 0x10 : 0) | 0x80, 0x80, 0x80 | (pictureId >> 8), pictureId & 0xff];
  const header = keyframe ? [0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, height & 0xff, height >> 8] : [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  return Buffer.from([...descriptor, ...header, 1, 2, 3]);
}

describe("vp8", () => {
  test("keyframes are recognised with and without the extended descriptor, and their size read", () => {
    expect(isVp8Keyframe(vp8(true))).toBe(true);
    expect(isVp8Keyframe(vp8(true, { pictureId: 300 }))).toBe(true);
    expect(isVp8Keyframe(vp8(false))).toBe(false);
    expect(isVp8Keyframe(vp8(true, { start: false }))).toBe(false);
    expect(isVp8Keyframe(Buffer.alloc(0))).toBe(false);
    expect(vp8KeyframeWidth(vp8(true, { pictureId: 5, width: 640 }))).toBe(640);
    expect(vp8KeyframeHeight(vp8(true, { width: 320, height: 180 }))).toBe(180);
    expect(vp8KeyframeWidth(vp8(false))).toBe(0);
  });
});

describe("layer choice", () => {
  const layers = [
    { width: 1280, bitrate: 1_500_000, active: true },
    { width: 320, bitrate: 150_000, active: true },
    { width: 640, bitrate: 500_000, active: true },
  ];
  test("the smallest layer that fills the tile, within the budget", () => {
    expect(chooseLayer(layers, { tileWidth: 600, budget: 5e6, lowBandwidth: false })).toBe(2);
    expect(chooseLayer(layers, { tileWidth: 1200, budget: 5e6, lowBandwidth: false })).toBe(0);
    expect(chooseLayer(layers, { tileWidth: 200, budget: 5e6, lowBandwidth: false })).toBe(1);
    expect(chooseLayer(layers, { tileWidth: 1200, budget: 600_000, lowBandwidth: false })).toBe(2);
    expect(chooseLayer(layers, { tileWidth: 1200, budget: 10_000, lowBandwidth: false })).toBe(1);
  });
  test("low-bandwidth mode takes the smallest; inactive layers are skipped", () => {
    expect(chooseLayer(layers, { tileWidth: 1200, budget: 5e6, lowBandwidth: true })).toBe(1);
    expect(chooseLayer([{ ...layers[0]!, active: false }, layers[2]!], { tileWidth: 1200, budget: 5e6, lowBandwidth: false })).toBe(1);
    expect(chooseLayer([{ ...layers[0]!, active: false }], { tileWidth: 0, budget: 5e6, lowBandwidth: false })).toBe(-1);
  });
  test("the estimate grows under light loss and shrinks under heavy loss", () => {
    const e = new BandwidthEstimate();
    e.onLoss(0);
    expect(e.bps).toBeCloseTo(START_BPS * 1.05);
    e.onLoss(0.05);
    expect(e.bps).toBeCloseTo(START_BPS * 1.05);
    e.onLoss(0.4);
    expect(e.bps).toBeCloseTo(START_BPS * 1.05 * 0.8);
    for (let i = 0; i < 60; i++) e.onLoss(0.5);
    expect(e.bps).toBe(100_000);
  });
});

describe("speaking", () => {
  test("starts on a loud window, stops after two quiet ones", () => {
    const s = new SpeakingDetector();
    for (let i = 0; i < 10; i++) s.note(20);
    expect(s.tick()).toBe(true);
    expect(s.speaking).toBe(true);
    for (let i = 0; i < 10; i++) s.note(100);
    expect(s.tick()).toBe(false);
    expect(s.speaking).toBe(true);
    expect(s.tick()).toBe(true);
    expect(s.speaking).toBe(false);
  });
});

describe("sequence gaps", () => {
  test("padding-only packets are dropped and later numbers close the gap, across the 16-bit wrap", () => {
    const g = new SequenceGaps();
    const out = (seq: number, empty = false) => g.map(seq & 0xffff, empty);
    expect(out(65530)).toBe(65530);
    expect(out(65531, true)).toBe(-1);
    expect(out(65532, true)).toBe(-1);
    expect(out(65533)).toBe(65531);
    expect(out(65534)).toBe(65532);
    expect(out(65535, true)).toBe(-1);
    expect(out(0)).toBe(65533);
    expect(out(1)).toBe(65534);
  });
  test("a late packet is numbered by the drops before it; a late padding packet is ignored", () => {
    const g = new SequenceGaps();
    expect(g.map(100, false)).toBe(100);
    expect(g.map(101, true)).toBe(-1);
    expect(g.map(103, false)).toBe(102);
    expect(g.map(104, true)).toBe(-1);
    expect(g.map(105, false)).toBe(103);
    // 102 was lost and comes back as a retransmission: one drop (101) lies below it.
    expect(g.map(102, false)).toBe(101);
    expect(g.map(99, true)).toBe(-1);
    expect(g.map(99, false)).toBe(99);
  });
});

describe("router", () => {
  class Recorder implements RtpSink {
    sent: number[] = [];
    restarts = 0;
    send(rtp: RtpPacket) {
      this.sent.push(rtp.header.sequenceNumber);
    }
    restart() {
      this.restarts++;
    }
  }
  const packet = (seq: number, payload: Buffer) => new RtpPacket(new RtpHeader({ sequenceNumber: seq, ssrc: 1234 }), payload);

  test("video reaches a consumer from the first keyframe of its target layer, and switches layers on a keyframe", () => {
    const router = new Router();
    const asked: string[] = [];
    const p = router.addProducer(1, "camera", (l) => asked.push(l.rid));
    const low = p.layer("l");
    const high = p.layer("h");
    const sink = new Recorder();
    const c = router.subscribe(p, 2, () => sink);
    c.paused = false;
    router.retarget(c, low, 0);
    expect(asked).toEqual(["l"]);
    p.receive(low, packet(1, vp8(false)), 1);
    p.receive(low, packet(2, vp8(true)), 2);
    p.receive(low, packet(3, vp8(false)), 3);
    p.receive(high, packet(50, vp8(true)), 4);
    expect(sink.sent).toEqual([2, 3]);
    router.retarget(c, high, 1000);
    p.receive(high, packet(51, vp8(false)), 1001);
    p.receive(low, packet(4, vp8(false)), 1002);
    p.receive(high, packet(52, vp8(true, { width: 1280 })), 1003);
    p.receive(low, packet(5, vp8(false)), 1004);
    expect(sink.sent).toEqual([2, 3, 4, 52]);
    expect(sink.restarts).toBe(2);
    expect(high.width).toBe(1280);
  });

  test("padding-only packets are not forwarded, and subscribers see no hole where they were", () => {
    const router = new Router();
    const p = router.addProducer(1, "camera", () => {});
    const layer = p.layer("");
    const sink = new Recorder();
    const c = router.subscribe(p, 2, () => sink);
    c.paused = false;
    p.receive(layer, packet(10, vp8(true)), 0);
    p.receive(layer, packet(11, Buffer.alloc(0)), 0);
    p.receive(layer, packet(12, vp8(false)), 0);
    expect(sink.sent).toEqual([10, 11]);
  });

  test("a paused producer or consumer forwards nothing; a removed producer hands back its consumers", () => {
    const router = new Router();
    const p = router.addProducer(1, "audio", () => {});
    const sink = new Recorder();
    const c = router.subscribe(p, 2, () => sink);
    const layer = p.layer("");
    p.receive(layer, packet(1, Buffer.from([1])), 0);
    c.paused = false;
    p.receive(layer, packet(2, Buffer.from([1])), 0);
    p.paused = true;
    p.receive(layer, packet(3, Buffer.from([1])), 0);
    expect(sink.sent).toEqual([2]);
    expect(router.removeProducer(p.id)).toEqual([c]);
    expect(router.consumersOf(2)).toEqual([]);
  });

  test("keyframe requests for a layer are spaced out", () => {
    const router = new Router();
    let asked = 0;
    const p = router.addProducer(1, "camera", () => asked++);
    const l = p.layer("");
    p.requestKeyframe(l, 0);
    p.requestKeyframe(l, 100);
    p.requestKeyframe(l, 400);
    expect(asked).toBe(2);
  });

  test("a packet lost for good upstream asks for a keyframe of its layer only if someone is forwarded that layer", () => {
    const router = new Router();
    const asked: string[] = [];
    const p = router.addProducer(1, "camera", (l) => asked.push(l.rid));
    const low = p.layer("l");
    const high = p.layer("h");
    const c = router.subscribe(p, 2, () => new Recorder());
    p.lostForGood(low, 0);
    expect(asked).toEqual([]);
    c.paused = false;
    router.retarget(c, low, 0);
    p.receive(low, packet(1, vp8(true)), 1);
    asked.length = 0;
    p.lostForGood(high, 1000);
    expect(asked).toEqual([]);
    p.lostForGood(low, 1000);
    expect(asked).toEqual(["l"]);
    c.paused = true;
    p.lostForGood(low, 2000);
    expect(asked).toEqual(["l"]);
  });

  test("a consumer whose layer the sender stopped falls back to a smaller flowing layer at its keyframe, and back on the target's", () => {
    const router = new Router();
    const asked: string[] = [];
    const p = router.addProducer(1, "camera", (l) => asked.push(l.rid));
    const low = p.layer("l");
    const mid = p.layer("m");
    const high = p.layer("h");
    const sink = new Recorder();
    const c = router.subscribe(p, 2, () => sink);
    c.paused = false;
    router.retarget(c, mid, 0);
    p.receive(high, packet(900, vp8(true, { width: 1280 })), 1);
    p.receive(mid, packet(100, vp8(true, { width: 640 })), 1);
    p.receive(low, packet(10, vp8(true, { width: 320 })), 1);
    expect(sink.sent).toEqual([100]);
    asked.length = 0;
    // m stops at 1; l and h go on. Before STALL_MS nothing changes.
    p.receive(low, packet(11, vp8(false)), 400);
    expect(asked).toEqual([]);
    p.receive(high, packet(901, vp8(true, { width: 1280 })), 600);
    p.receive(low, packet(12, vp8(false)), 600);
    expect(asked).toEqual(["l"]);
    expect(sink.sent).toEqual([100]);
    p.receive(low, packet(13, vp8(true, { width: 320 })), 700);
    p.receive(low, packet(14, vp8(false)), 750);
    expect(sink.sent).toEqual([100, 13, 14]);
    expect(c.layer).toBe(low);
    expect(c.target).toBe(mid);
    // m resumes: the consumer goes back to it at its keyframe.
    p.receive(mid, packet(150, vp8(false)), 2000);
    p.receive(low, packet(15, vp8(false)), 2001);
    p.receive(mid, packet(151, vp8(true, { width: 640 })), 2050);
    p.receive(low, packet(16, vp8(false)), 2051);
    expect(sink.sent).toEqual([100, 13, 14, 15, 151]);
    expect(sink.restarts).toBe(3);
  });

  test("a camera layer resuming after silence asks its sender for a keyframe at once, once", () => {
    const router = new Router();
    const asked: number[] = [];
    const video = router.addProducer(1, "camera", () => asked.push(1));
    const audio = router.addProducer(1, "audio", () => asked.push(2));
    const screen = router.addProducer(1, "screen", () => asked.push(3));
    const l = video.layer("");
    const a = audio.layer("");
    const s = screen.layer("");
    video.receive(l, packet(1, vp8(true)), 1000);
    video.receive(l, packet(2, vp8(false)), 1400);
    expect(asked).toEqual([]);
    video.receive(l, packet(3, vp8(false)), 6400);
    video.receive(l, packet(4, vp8(false)), 6410);
    expect(asked).toEqual([1]);
    // A keyframe that arrives first needs no request; audio has no keyframes; a still screen is slow.
    video.receive(l, packet(5, vp8(true)), 9000);
    audio.receive(a, packet(1, Buffer.from([1])), 1000);
    audio.receive(a, packet(2, Buffer.from([1])), 9000);
    screen.receive(s, packet(1, vp8(true)), 1000);
    screen.receive(s, packet(2, vp8(false)), 9000);
    expect(asked).toEqual([1]);
  });
});
