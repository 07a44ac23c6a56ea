import { isIPv4 } from "node:net";
import { dlopen, FFIType } from "bun:ffi";
import type { Memory } from "./libcrypto.ts";

/**
 * Sending on the UDP socket werift's ICE agent bound and nominated, synchronously and without
 * allocation. Measured on the development VM (scripts/bench/fastpath-candidates.ts): node:dgram in
 * Bun defers the send behind an address lookup and keeps a view of the caller's buffer (a reused
 * buffer goes out with whatever it holds by then, so it cannot be used with preallocated
 * buffers); Bun's own UDP socket sends at once but needs a Buffer view of the exact length per
 * packet; libc's sendto through bun:ffi on the same file descriptor does neither and costs the
 * least. The address and the nominated pair are looked up again only when ICE changes them.
 */

export interface PacketSender {
  /** Sends mem[at, at+length); false if it could not go (no pair, no consent, socket full or closed). */
  send(mem: Memory, at: number, length: number): boolean;
}

/** The parts of werift's ICE agent (ice/src/ice.ts Connection) this module reads. */
export interface IcePairLike {
  readonly protocol: { readonly transport?: unknown };
  readonly remoteAddr: readonly [string, number];
  packetsSent: number;
  bytesSent: number;
}
export interface IceConnectionLike {
  readonly nominated?: IcePairLike;
  canSendApplicationData(): boolean;
}

/** werift's UdpTransport: a node:dgram socket and a closed flag. */
interface UdpTransportLike {
  readonly socket: object;
  readonly closed: boolean;
}

/** Bun's native socket under a node:dgram socket (the state symbol is private to node:dgram). */
interface NativeUdp {
  readonly fd: number;
  readonly closed: boolean;
  send(data: Uint8Array, port: number, address: string): boolean;
}

function nativeSocket(dgram: object): NativeUdp | null {
  const state = Object.getOwnPropertySymbols(dgram).find((s) => s.description === "state symbol");
  const native = state ? (dgram as Record<symbol, { handle?: { socket?: NativeUdp } }>)[state]?.handle?.socket : undefined;
  return native && typeof native.send === "function" && typeof native.fd === "number" ? native : null;
}

const MSG_DONTWAIT = 0x40;
const AF_INET = 2;

interface LibC {
  sendto(fd: number, buf: number, len: number, flags: number, addr: number, addrlen: number): number;
}
let libc: LibC | null | undefined;
function loadLibc(): LibC | null {
  if (libc !== undefined) return libc;
  try {
    const { i32, u64, i64_fast, ptr, u32 } = FFIType;
    libc = dlopen("libc.so.6", { sendto: { args: [i32, ptr, u64, i32, ptr, u32], returns: i64_fast } }).symbols as unknown as LibC;
  } catch {
    libc = null;
  }
  return libc;
}

export class IceUdpSender implements PacketSender {
  /** Packets the socket refused (full send buffer, closed) since creation. */
  failed = 0;
  readonly #connection: IceConnectionLike;
  readonly #sockaddr: Memory;
  #pair: IcePairLike | undefined = undefined;
  #transport: UdpTransportLike | null = null;
  #native: NativeUdp | null = null;
  /** sendto via libc on this fd, or -1 (Bun's socket send, with a view per packet). */
  #fd = -1;
  #host = "";
  #port = 0;

  constructor(connection: IceConnectionLike, sockaddr: Memory) {
    this.#connection = connection;
    if (sockaddr.bytes.length < 16) throw new Error("sockaddr_in needs 16 bytes");
    this.#sockaddr = sockaddr;
  }

  /** How packets leave: "sendto" (libc), "bun" (Bun's UDP socket) or "none" (no usable pair yet). */
  get path(): "sendto" | "bun" | "none" {
    return this.#fd >= 0 ? "sendto" : this.#native ? "bun" : "none";
  }

  send(mem: Memory, at: number, length: number): boolean {
    const c = this.#connection;
    const pair = c.nominated;
    if (pair !== this.#pair) this.#bind(pair);
    const transport = this.#transport;
    if (transport === null || transport.closed || !c.canSendApplicationData()) return false;
    let ok: boolean;
    if (this.#fd >= 0) {
      ok = libc!.sendto(this.#fd, mem.address + at, length, MSG_DONTWAIT, this.#sockaddr.address, 16) === length;
    } else {
      ok = this.#native!.send(mem.bytes.subarray(at, at + length), this.#port, this.#host);
    }
    if (!ok) {
      this.failed++;
      return false;
    }
    pair!.packetsSent++;
    pair!.bytesSent += length;
    return true;
  }

  #bind(pair: IcePairLike | undefined): void {
    this.#pair = pair;
    this.#transport = null;
    this.#native = null;
    this.#fd = -1;
    const transport = pair?.protocol.transport as UdpTransportLike | undefined;
    // TCP pairs (werift's ICE-TCP) have no datagram socket: nothing here sends on them.
    const native = transport?.socket ? nativeSocket(transport.socket) : null;
    if (!pair || !transport || !native) return;
    this.#transport = transport;
    this.#native = native;
    const [host, port] = pair.remoteAddr;
    this.#host = host;
    this.#port = port;
    if (loadLibc() && isIPv4(host)) {
      const v = this.#sockaddr.view;
      v.setUint16(0, AF_INET, true);
      v.setUint16(2, port, false);
      const parts = host.split(".");
      for (let i = 0; i < 4; i++) v.setUint8(4 + i, Number(parts[i]));
      v.setUint32(8, 0);
      v.setUint32(12, 0);
      this.#fd = native.fd;
    }
  }
}
