/**
 * Which simulcast layer each subscriber gets, and how much a subscriber's link can take.
 * Pure policy: the router applies the choice; the room re-evaluates it once a second and
 * whenever a subscriber's tiles or mode change.
 */

export interface LayerInfo {
  /** Picture width from the layer's last keyframe; 0 until one was seen. */
  width: number;
  /** Measured over the last second, in bits per second. */
  bitrate: number;
  /** Packets arrived recently (a browser stops a layer when its own uplink is short). */
  active: boolean;
}

export interface Want {
  /** Width of the tile this video is shown in, in device pixels; 0 when unknown. */
  tileWidth: number;
  /** This consumer's share of the subscriber's estimated bandwidth, in bits per second. */
  budget: number;
  /** The member chose low-bandwidth mode: always the smallest layer. */
  lowBandwidth: boolean;
}

/** Layer order from smallest to largest: by width when known, else by bitrate. */
function size(l: LayerInfo): number {
  return l.width > 0 ? l.width * 1e6 : l.bitrate;
}

/** The layer index to forward, or -1 when no layer is active. */
export function chooseLayer(layers: readonly LayerInfo[], want: Want): number {
  const order: number[] = [];
  for (let i = 0; i < layers.length; i++) if (layers[i]!.active) order.push(i);
  if (order.length === 0) return -1;
  order.sort((a, b) => size(layers[a]!) - size(layers[b]!));
  if (want.lowBandwidth) return order[0]!;
  // Smallest layer that fills the tile (a tenth of slack), or the largest one there is.
  let pick = order.length - 1;
  if (want.tileWidth > 0) {
    const fits = order.findIndex((i) => layers[i]!.width === 0 || layers[i]!.width >= want.tileWidth * 0.9);
    if (fits >= 0) pick = fits;
  }
  while (pick > 0 && layers[order[pick]!]!.bitrate > want.budget) pick--;
  return order[pick]!;
}

const MIN_BPS = 100_000;
const MAX_BPS = 20_000_000;
export const START_BPS = 2_500_000;

/**
 * The loss-based half of Google Congestion Control (draft-ietf-rmcat-gcc-02, section 6):
 * raise the estimate 5% while receivers report under 2% loss, cut it by half the loss rate
 * above 10%. Fed from the fraction-lost of the subscriber's receiver reports.
 *
 * Not REMB: a browser's receive-side estimate stays near 1.5x what it already receives, so as
 * a cap it pinned every subscriber to the layer it started on (measured with Chromium 156:
 * 300 kbit/s REMB, 320-wide layer, for 25 s while a 640-wide one was on offer and nothing was
 * lost). Moving up needs probing, which a later forwarding engine may add.
 */
export class BandwidthEstimate {
  #bps = START_BPS;

  get bps(): number {
    return this.#bps;
  }

  /** fractionLost: 0..1 over the last report interval. */
  onLoss(fractionLost: number): void {
    if (fractionLost > 0.1) this.#bps *= 1 - 0.5 * fractionLost;
    else if (fractionLost < 0.02) this.#bps *= 1.05;
    this.#bps = Math.min(MAX_BPS, Math.max(MIN_BPS, this.#bps));
  }
}
