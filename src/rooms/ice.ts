import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";
import {
  type PeerConfig,
  RTCRtpCodecParameters,
  UdpTransport,
  useAudioLevelIndication,
  useSdesMid,
  useSdesRTPStreamId,
  useRepairedRtpStreamId,
  useAbsSendTime,
} from "werift";
import type { Config } from "../config.ts";

/**
 * The WebRTC settings every peer connection gets. werift's defaults would reach the internet:
 * with no ICE server it still asks a public Google STUN host (a DNS query and a UDP packet per
 * connection, and a 5 s wait where DNS works but UDP out is blocked). Here the only addresses
 * are the ones the clinic configured (or this box's own), ports come from the configured range,
 * and STUN goes to a clinic-configured server or to a loopback port nobody answers.
 */

/**
 * Bun turns on IP_RECVERR for UDP sockets, so an ICMP "port unreachable" (a browser that went
 * away while media was still flowing to it) arrives as an 'error' event; werift's sockets have
 * no listener, and an unheard 'error' ends the process (oven-sh/bun#29116, #35922). Each werift
 * socket gets one: before it is bound, an error fails that socket's binding (werift then skips
 * the address); after, it is the one lost datagram it describes.
 */
let socketsGuarded = false;
export function guardWeriftSockets(): void {
  if (socketsGuarded) return;
  socketsGuarded = true;
  // `init` is private in werift's types; it is the one place every transport's socket is bound.
  const proto = UdpTransport.prototype as unknown as { init(this: UdpTransport): Promise<void> };
  const init = proto.init;
  proto.init = function (this: UdpTransport): Promise<void> {
    const socket = this.socket;
    socket.on("error", () => {});
    const bindFailed = new Promise<never>((_, reject) => socket.once("error", reject));
    bindFailed.catch(() => {});
    return Promise.race([init.call(this), bindFailed]);
  };
}

/**
 * werift always sends a STUN binding request while gathering, to Google's public server unless
 * told otherwise. Without a clinic STUN server it goes here instead: a loopback socket of this
 * process that reads and drops (a closed port would answer with ICMP, see above).
 */
let sink: UdpSocket | null = null;
let sinkPort = 0;
export async function loopbackStunSink(): Promise<string> {
  if (!sink) {
    sink = createSocket("udp4");
    sink.on("error", () => {});
    sink.on("message", () => {});
    await new Promise<void>((resolve) => sink!.bind(0, "127.0.0.1", resolve));
    sink.unref();
    sinkPort = sink.address().port;
  }
  return `stun:127.0.0.1:${sinkPort}`;
}

export interface RtcSettings {
  /** Host candidate addresses; empty means this box's IPv4 addresses plus loopback. */
  addresses: string[];
  ports: [number, number];
  /** The clinic's STUN server, or this process's loopback sink. */
  stun: string;
  /** A real STUN server was configured: worth waiting for its answer while gathering. */
  stunConfigured: boolean;
  /** How the SFU forwards (HEARTH_SFU_ENGINE); werift's stock path when absent. */
  engine?: "fast" | "werift";
}

export async function rtcSettings(config: Config): Promise<RtcSettings> {
  guardWeriftSockets();
  const stun = config.rtcStun ?? (await loopbackStunSink());
  return { addresses: config.rtcAddresses, ports: config.rtcPorts, stun, stunConfigured: config.rtcStun !== undefined, engine: config.sfuEngine };
}

/** This box's IPv4 addresses (LAN) and loopback, for a clinic that configured none. */
export function defaultAddresses(): string[] {
  const out = ["127.0.0.1"];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal && !a.address.startsWith("169.254.")) out.push(a.address);
  }
  return out;
}

export function hostAddresses(settings: RtcSettings): string[] {
  return settings.addresses.length > 0 ? settings.addresses : defaultAddresses();
}

export const OPUS_PAYLOAD_TYPE = 111;
/**
 * RFC 2198 redundant Opus, offered before Opus itself so Chromium sends it (each packet repeats
 * the frame before): a subscriber that negotiated it recovers a lost packet from the next one
 * (fastpath/red.ts; measured in the bad-network benchmark). Members answer the SFU's offer, so
 * every member sends RED with this payload type.
 */
export const RED_PAYLOAD_TYPE = 63;

/**
 * Codecs the SFU forwards: Opus (RED-wrapped first, above) and VP8 (its keyframes are what layer switching waits for).
 * Congestion feedback is receiver-report loss (and REMB, offered), not transport-cc: measured with
 * Chromium 156 over loopback, werift's transport-cc feedback drove Chromium's send estimate
 * down from 280 to 83 kbit/s in 16 s (one 320x240 layer), while without it Chromium ramped up
 * on loss reports to 1.2 Mbit/s and two layers in 20 s. abs-send-time lets receiving browsers
 * estimate; the layer choice itself uses their loss reports (layers.ts says why not REMB).
 */
function codecs() {
  const feedback = [{ type: "nack" }, { type: "nack", parameter: "pli" }, { type: "ccm", parameter: "fir" }, { type: "goog-remb" }];
  return {
    audio: [
      new RTCRtpCodecParameters({
        mimeType: "audio/red",
        clockRate: 48000,
        channels: 2,
        payloadType: RED_PAYLOAD_TYPE,
        parameters: `${OPUS_PAYLOAD_TYPE}/${OPUS_PAYLOAD_TYPE}`,
        rtcpFeedback: [],
      }),
      new RTCRtpCodecParameters({
        mimeType: "audio/opus",
        clockRate: 48000,
        channels: 2,
        payloadType: OPUS_PAYLOAD_TYPE,
        parameters: "minptime=10;useinbandfec=1",
        rtcpFeedback: [],
      }),
    ],
    video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96, rtcpFeedback: feedback })],
  };
}

export function peerConfig(settings: RtcSettings): Partial<PeerConfig> {
  return {
    codecs: codecs(),
    headerExtensions: {
      audio: [useSdesMid(), useAudioLevelIndication()],
      video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId(), useAbsSendTime()],
    },
    iceServers: [{ urls: settings.stun }],
    // Without a clinic STUN server there is nothing to wait for; the sink never answers.
    iceStunGatherTimeout: settings.stunConfigured ? 3 : 0.05,
    // Host candidates exactly on these addresses: werift's own interface scan is switched off.
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: hostAddresses(settings),
    icePortRange: settings.ports,
    iceUseTcp: false,
    bundlePolicy: "max-bundle",
  };
}

/**
 * ICE settings for a werift member on this same machine (test bots, the load tool): loopback
 * only, nothing gathered from the interfaces, STUN to the given sink so nothing leaves the box.
 */
export function loopbackMemberIce(stun: string): Partial<PeerConfig> {
  return {
    iceServers: [{ urls: stun }],
    iceStunGatherTimeout: 0.05,
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
  };
}

/**
 * Keeps a browser's candidate only if it names a literal address: werift would resolve a name
 * with DNS, or an mDNS ".local" name with multicast, and neither may leave the box. Browsers
 * that hide their address still connect: their checks reach our host candidates and werift
 * learns their address from those (peer-reflexive).
 */
export function acceptableCandidate(candidate: string): boolean {
  const parts = candidate.replace(/^a=/, "").trim().split(/\s+/);
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  if (parts.length < 8 || !parts[0]!.startsWith("candidate:")) return false;
  return parts[2]!.toLowerCase() === "udp" && isIP(parts[4]!) !== 0;
}

/** Drops the candidate lines of an SDP that acceptableCandidate refuses. */
export function filterSdpCandidates(sdp: string): string {
  return sdp
    .split(/\r\n/)
    .filter((line) => !line.startsWith("a=candidate:") || acceptableCandidate(line))
    .join("\r\n");
}
