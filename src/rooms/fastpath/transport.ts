import { randomInt } from "node:crypto";
import type { RTCDtlsTransport } from "werift";
import type { CipherEngine } from "./engine.ts";
import { MediaIngress, type IngressConnectionLike, type IngressPacket } from "./ingress.ts";
import { AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80, type SrtpProfile } from "./kdf.ts";
import { Memory } from "./libcrypto.ts";
import { SrtpContext } from "./srtp.ts";
import { IceUdpSender, type IceConnectionLike } from "./udp.ts";

/**
 * The fast path's view of one peer's transport once werift's DTLS is connected: werift keeps ICE,
 * DTLS, the keys and everything RTCP it already does; this takes the SRTP master keys werift
 * extracted, makes its own sending and receiving contexts from them, and sends on the nominated
 * pair's socket.
 *
 * One per DTLS transport, for the transport's whole life (FastTransport.of): a second sending
 * context under the same keys would start its SRTP indices again, and an index used twice
 * reuses a nonce. A new DTLS transport (new keys) gets a new one.
 */
const made = new WeakMap<RTCDtlsTransport, FastTransport | "closed">();

export class FastTransport {
  /** The transport's FastTransport, made on first call; throws once it was closed. */
  static of(dtls: RTCDtlsTransport, engine?: CipherEngine): FastTransport {
    const existing = made.get(dtls);
    if (existing === "closed") throw new Error("this DTLS transport's fast path was closed; its keys must not be used again");
    if (existing) return existing;
    const fresh = new FastTransport(dtls, engine);
    made.set(dtls, fresh);
    return fresh;
  }

  readonly profile: SrtpProfile;
  /** Protects what this server sends (local master key). */
  readonly outbound: SrtpContext;
  /** Unprotects what the member sends (remote master key). */
  readonly inbound: SrtpContext;
  readonly sender: IceUdpSender;
  /**
   * The SSRC our own RTCP (receiver reports, NACKs, PLIs for upstream streams) goes out with: one
   * werift never uses, so its SRTCP index stream is ours alone.
   */
  readonly feedbackSsrc: number;
  readonly #rtcp = new Memory(1536);
  #ingress: MediaIngress | null = null;
  readonly #connection: IceConnectionLike & IngressConnectionLike;

  readonly #dtls: RTCDtlsTransport;

  private constructor(dtls: RTCDtlsTransport, engine?: CipherEngine) {
    this.#dtls = dtls;
    if (dtls.state !== "connected" || !dtls.srtp) throw new Error("the DTLS transport has no SRTP keys yet (not connected)");
    const { keys, profile } = dtls.srtp.config;
    if (profile !== AEAD_AES_128_GCM && profile !== AES128_CM_HMAC_SHA1_80) throw new Error(`SRTP profile ${profile} is not one the fast path knows`);
    this.profile = profile;
    this.outbound = new SrtpContext(profile, keys.localMasterKey, keys.localMasterSalt, engine);
    this.inbound = new SrtpContext(profile, keys.remoteMasterKey, keys.remoteMasterSalt, engine);
    this.#connection = dtls.iceTransport.connection as unknown as IceConnectionLike & IngressConnectionLike;
    this.sender = new IceUdpSender(this.#connection, new Memory(32));
    this.feedbackSsrc = randomInt(1, 0xffffffff);
  }

  /**
   * Sends one (compound) RTCP packet: `write` fills the bytes from offset 0 and returns the length;
   * it is protected with SRTCP and sent on the nominated pair. Low rate (reports, NACKs, PLIs).
   */
  sendRtcp(write: (b: Uint8Array) => number): boolean {
    const length = write(this.#rtcp.bytes);
    if (length <= 0 || length + this.outbound.rtcpOverhead > this.#rtcp.bytes.length) return false;
    const n = this.outbound.protectRtcp(this.#rtcp, 0, length);
    return n > 0 && this.sender.send(this.#rtcp, 0, n);
  }

  /**
   * Takes the member's RTP before werift parses it: `handle` gets each authenticated packet and
   * returns false to leave it to werift (e.g. a stream the fast path does not forward).
   */
  receive(handle: (packet: IngressPacket) => boolean): MediaIngress {
    this.#ingress?.uninstall();
    this.#ingress = new MediaIngress(this.#connection, this.inbound, handle);
    this.#ingress.install();
    return this.#ingress;
  }

  close(): void {
    made.set(this.#dtls, "closed");
    this.#ingress?.uninstall();
    this.#ingress = null;
    this.outbound.close();
    this.inbound.close();
  }
}
