#!/usr/bin/env bun
/**
 * The pieces of a forwarding fast path, measured one by one on this machine (docs/benchmarks.md,
 * "SFU fast path (microbenchmark)"): what SRTP costs per packet with each candidate
 * implementation, what a UDP send costs each way it can be done from Bun, and what the receive
 * side costs before a packet reaches the router.
 *
 *   bun scripts/bench/fastpath-candidates.ts [--packets 100000] [--pin CORE]
 *
 * Figures are the median of 5 rounds, in ns per packet: wall time for the crypto and receive
 * parts (single-threaded CPU loops), CPU time of this process (user + system, so the kernel's
 * share of a send counts) for the send part. The send part sends to a process on another core
 * that reads and drops. The last line is one JSON object.
 */
import { spawnSync } from "node:child_process";
import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cc, dlopen, FFIType } from "bun:ffi";
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtpSession,
  StunProtocol,
  UdpTransport,
} from "werift";
import { defaultEngine, nodeEngine, type CipherEngine } from "../../src/rooms/fastpath/engine.ts";
import { MediaIngress } from "../../src/rooms/fastpath/ingress.ts";
import { AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80, type SrtpProfile } from "../../src/rooms/fastpath/kdf.ts";
import { EVP_CTRL_GCM_GET_TAG, libcrypto, Memory } from "../../src/rooms/fastpath/libcrypto.ts";
import { SrtpContext } from "../../src/rooms/fastpath/srtp.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { packets: { type: "string", default: "100000" }, pin: { type: "string" }, sink: { type: "boolean", default: false } },
  strict: true,
});

/** The sink: reads and drops datagrams, says its port, and how many it got when stdin closes. */
async function sink(): Promise<void> {
  const s = createSocket("udp4");
  let n = 0;
  s.on("message", () => n++);
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  console.log(s.address().port);
  for await (const _ of console) break;
  console.log(n);
  process.exit(0);
}

const N = Number(values.packets);
const results: Record<string, number> = {};
const log = (line: string) => console.error(line);

function record(name: string, ns: number): void {
  results[name] = Math.round(ns);
  log(`${name.padEnd(58)} ${Math.round(ns).toString().padStart(6)} ns`);
}

/** Median ns per call of `fn` over 5 rounds of n calls (wall clock), after a warm-up. */
function wall(name: string, n: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(i);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = Bun.nanoseconds();
    for (let i = 0; i < n; i++) fn(i);
    rounds.push((Bun.nanoseconds() - t0) / n);
  }
  record(name, rounds.sort((a, b) => a - b)[2]!);
}

/** Median CPU ns (user + system) per packet over 5 rounds; `flush` waits for deferred work. */
async function cpu(name: string, n: number, perCall: number, fn: (i: number) => void, flush: () => Promise<void> = async () => {}): Promise<void> {
  for (let i = 0; i < Math.min(n, 5000); i++) fn(i);
  await flush();
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      fn(i);
      if ((i & 1023) === 1023) await flush();
    }
    await flush();
    const c = process.cpuUsage(c0);
    rounds.push(((c.user + c.system) * 1000) / (n * perCall));
  }
  record(name, rounds.sort((a, b) => a - b)[2]!);
}

const tick = () => new Promise<void>((r) => setImmediate(r));

function header(seq: number): RtpHeader {
  const h = new RtpHeader({ payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: seq * 3000, ssrc: 0x1234, marker: true });
  h.extensionProfile = 0xbede;
  h.extensions = [{ id: 4, payload: Buffer.from([1, 2, 3]) }];
  return h;
}

/** The five calls of a GCM seal in one C function, so JS crosses into native code once a packet. */
const GCM_SEAL_C = `
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
int EVP_EncryptInit_ex(EVP_CIPHER_CTX *, const void *, void *, const unsigned char *, const unsigned char *);
int EVP_EncryptUpdate(EVP_CIPHER_CTX *, unsigned char *, int *, const unsigned char *, int);
int EVP_EncryptFinal_ex(EVP_CIPHER_CTX *, unsigned char *, int *);
int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *, int, int, void *);
int gcm_seal(EVP_CIPHER_CTX *c, const unsigned char *iv, unsigned char *pkt, int hlen, int plen) {
  int outl;
  unsigned char fin[16];
  if (!EVP_EncryptInit_ex(c, 0, 0, 0, iv)) return 0;
  if (!EVP_EncryptUpdate(c, 0, &outl, pkt, hlen)) return 0;
  if (!EVP_EncryptUpdate(c, pkt + hlen, &outl, pkt + hlen, plen)) return 0;
  if (!EVP_EncryptFinal_ex(c, fin, &outl)) return 0;
  return EVP_CIPHER_CTX_ctrl(c, 0x10, 16, pkt + hlen + plen);
}
`;

function crypto(size: number): void {
  const payload = randomBytes(size);
  const profiles: [string, SrtpProfile, number][] = [
    ["gcm", AEAD_AES_128_GCM, ProtectionProfileAeadAes128Gcm],
    ["cm", AES128_CM_HMAC_SHA1_80, ProtectionProfileAes128CmHmacSha1_80],
  ];
  for (const [name, profile, weriftProfile] of profiles) {
    const salt = randomBytes(profile === AEAD_AES_128_GCM ? 12 : 14);
    const key = randomBytes(16);
    const session = new SrtpSession({ keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt }, profile: weriftProfile });
    const h = header(0);
    wall(`encrypt ${name} ${size} B: (a) werift SrtpSession.encrypt`, N, (i) => {
      h.sequenceNumber = i & 0xffff;
      session.encrypt(payload, h);
    });
    const plain = new RtpPacket(header(0), payload).serialize();
    for (const [engineName, engine] of [["(c) libcrypto via bun:ffi", defaultEngine()], ["(b) node:crypto per packet", nodeEngine]] as [string, CipherEngine][]) {
      const ctx = new SrtpContext(profile, key, salt, engine);
      const mem = new Memory(2048);
      wall(`encrypt ${name} ${size} B: ${engineName}, SrtpContext`, N, (i) => {
        mem.bytes.set(plain);
        mem.bytes[2] = (i >> 8) & 0xff;
        mem.bytes[3] = i & 0xff;
        ctx.protectRtp(mem, 0, plain.length);
      });
    }
    // Decrypt: werift's session against ours, on the same sealed packets.
    const sealer = new SrtpContext(profile, key, salt);
    const sealed: Buffer[] = [];
    const m = new Memory(2048);
    for (let i = 0; i < 60_000; i++) {
      m.bytes.set(plain);
      m.bytes[2] = (i >> 8) & 0xff;
      m.bytes[3] = i & 0xff;
      sealed.push(Buffer.from(m.bytes.subarray(0, sealer.protectRtp(m, 0, plain.length))));
    }
    // A session (and below, a context) per round: sequence numbers start again from 0 each time.
    const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
    let reader = new SrtpSession({ keys, profile: weriftProfile });
    wall(`decrypt ${name} ${size} B: (a) werift SrtpSession.decrypt`, 50_000, (i) => {
      if (i === 0) reader = new SrtpSession({ keys, profile: weriftProfile });
      reader.decrypt(sealed[i]!);
    });
    let opener = new SrtpContext(profile, key, salt);
    wall(`decrypt ${name} ${size} B: (c) libcrypto via bun:ffi, SrtpContext`, 50_000, (i) => {
      if (i === 0) opener = new SrtpContext(profile, key, salt);
      const s = sealed[i]!;
      m.bytes.set(s);
      opener.unprotectRtp(m, 0, s.length);
    });
  }

  // Variants that did not make it into SrtpContext.
  const key = randomBytes(16);
  const authKey = randomBytes(20);
  const out = Buffer.alloc(2048);
  const hdr = Buffer.alloc(12, 0x80);
  const iv16 = Buffer.alloc(16);
  const ecb = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
  const blocks = Buffer.alloc(Math.ceil(size / 16) * 16);
  wall(`encrypt cm ${size} B: (d) node, keystream from one reused ECB cipher + createHmac`, N, (i) => {
    hdr.copy(out, 0);
    payload.copy(out, 12);
    iv16.writeUInt16BE(i & 0xffff, 12);
    for (let b = 0; b < blocks.length; b += 16) {
      iv16.copy(blocks, b);
      blocks.writeUInt16BE(b >> 4, b + 14);
    }
    const ks = ecb.update(blocks);
    for (let k = 0; k < size; k++) out[12 + k]! ^= ks[k]!;
    createHmac("sha1", authKey).update(out.subarray(0, 12 + size)).update(iv16.subarray(0, 4)).digest().copy(out, 12 + size, 0, 10);
  });
  const lib = libcrypto();
  if (!lib) return;
  const raw = dlopen("libcrypto.so.3", {
    HMAC_CTX_new: { args: [], returns: FFIType.ptr },
    HMAC_Init_ex: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    HMAC_Update: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
    HMAC_Final: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    EVP_sha1: { args: [], returns: FFIType.ptr },
  }).symbols as unknown as Record<string, (...a: (number | null)[]) => number>;
  const mem = new Memory(4096);
  const b = mem.address;
  mem.bytes.set(payload, 12);
  const keyMem = new Memory(64);
  keyMem.bytes.set(key, 0);
  keyMem.bytes.set(authKey, 16);
  const hmac = raw.HMAC_CTX_new!()!;
  raw.HMAC_Init_ex!(hmac, keyMem.address + 16, 20, raw.EVP_sha1!(), null);
  wall(`mac ${size} B: (c') libcrypto HMAC_Init_ex with the key reused`, N, () => {
    raw.HMAC_Init_ex!(hmac, null, 0, null, null);
    raw.HMAC_Update!(hmac, b, 12 + size);
    raw.HMAC_Final!(hmac, b + 3200, b + 3100);
  });
  const mac = defaultEngine().hmacSha1(authKey);
  wall(`mac ${size} B: (c) libcrypto SHA_CTX copied per packet (SrtpContext)`, N, () => mac.mac(mem, 0, 12 + size));
  // One native call per packet instead of five, through TinyCC glue (bun:ffi cc).
  const gcm = Number(lib.EVP_CIPHER_CTX_new());
  lib.EVP_EncryptInit_ex(gcm, lib.EVP_aes_128_gcm(), null, keyMem.address, b + 3000);
  try {
    const source = join(mkdtempSync(join(tmpdir(), "hearth-fastpath-")), "gcm_seal.c");
    writeFileSync(source, GCM_SEAL_C);
    const glue = cc({
      source,
      library: ["crypto"],
      symbols: { gcm_seal: { args: ["ptr", "ptr", "ptr", "int", "int"], returns: "int" } },
    }).symbols as unknown as { gcm_seal: (...a: number[]) => number };
    wall(`encrypt gcm ${size} B: (c'') libcrypto via one bun:ffi cc call`, N, (i) => {
      mem.bytes[3011] = i;
      glue.gcm_seal(gcm, b + 3000, b, 12, size);
    });
  } catch (e) {
    log(`cc glue unavailable: ${String(e).slice(0, 120)}`);
  }
  wall(`encrypt gcm ${size} B: (c) the same five libcrypto calls, inline`, N, (i) => {
    mem.bytes[3011] = i;
    lib.EVP_EncryptInit_ex(gcm, null, null, null, b + 3000);
    lib.EVP_EncryptUpdate(gcm, null, b + 3100, b, 12);
    lib.EVP_EncryptUpdate(gcm, b + 12, b + 3100, b + 12, size);
    lib.EVP_EncryptFinal_ex(gcm, b + 3200, b + 3100);
    lib.EVP_CIPHER_CTX_ctrl(gcm, EVP_CTRL_GCM_GET_TAG, 16, b + 12 + size);
  });
  wall("one bun:ffi call to libcrypto (EVP_aes_128_gcm)", N * 10, () => lib.EVP_aes_128_gcm());
}

async function send(port: number): Promise<void> {
  const size = 1128;
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const state = Object.getOwnPropertySymbols(s).find((x) => x.description === "state symbol")!;
  const native = (s as unknown as Record<symbol, { handle: { socket: { fd: number; send(d: Uint8Array, p: number, a: string): boolean; sendMany(a: unknown[]): number } } }>)[state]!.handle.socket;
  const { i32, u64, u32, ptr, i64_fast } = FFIType;
  const libc = dlopen("libc.so.6", {
    sendto: { args: [i32, ptr, u64, i32, ptr, u32], returns: i64_fast },
    sendmmsg: { args: [i32, ptr, u32, i32], returns: i32 },
  }).symbols as unknown as { sendto(...a: number[]): number; sendmmsg(...a: number[]): number };
  const mem = new Memory(65536);
  const base = mem.address;
  const SA = 60000;
  mem.view.setUint16(SA, 2, true);
  mem.view.setUint16(SA + 2, port, false);
  mem.bytes.set([127, 0, 0, 1], SA + 4);
  const n = Math.min(N, 50_000);
  let pending = 0;
  const settle = async () => {
    while (pending > 0) await tick();
  };
  const done = () => pending--;
  await cpu(`send 1,128 B: node:dgram socket.send (fresh Buffer, as werift must)`, n, 1, () => {
    pending++;
    s.send(Buffer.allocUnsafe(size), port, "127.0.0.1", done);
  }, settle);
  const udp = await UdpTransport.init("udp4", {});
  await cpu(`send 1,128 B: werift UdpTransport.send (its ICE send path)`, n, 1, () => {
    pending++;
    void udp.send(Buffer.allocUnsafe(size), ["127.0.0.1", port]).then(done);
  }, settle);
  await cpu(`send 1,128 B: Bun's UDP socket send (a view per packet)`, n, 1, () => {
    native.send(mem.bytes.subarray(0, size), port, "127.0.0.1");
  });
  const view = mem.bytes.subarray(0, size);
  const batch: unknown[] = [];
  for (let k = 0; k < 11; k++) batch.push(view, port, "127.0.0.1");
  await cpu(`send 1,128 B: Bun's UDP socket sendMany, 11 a call`, Math.floor(n / 11), 11, () => {
    native.sendMany(batch);
  });
  await cpu(`send 1,128 B: libc sendto via bun:ffi`, n, 1, () => {
    libc.sendto(native.fd, base, size, 0x40, base + SA, 16);
  });
  // 11 struct mmsghdr (64 bytes each on 64-bit Linux) and their iovecs, all to the same address.
  const MM = 40000;
  const IOV = 45000;
  for (let k = 0; k < 11; k++) {
    const h = MM + k * 64;
    const io = IOV + k * 16;
    mem.view.setBigUint64(io, BigInt(base), true);
    mem.view.setBigUint64(io + 8, BigInt(size), true);
    mem.view.setBigUint64(h, BigInt(base + SA), true);
    mem.view.setUint32(h + 8, 16, true);
    mem.view.setBigUint64(h + 16, BigInt(base + io), true);
    mem.view.setBigUint64(h + 24, 1n, true);
  }
  await cpu(`send 1,128 B: libc sendmmsg via bun:ffi, 11 a call`, Math.floor(n / 11), 11, () => {
    libc.sendmmsg(native.fd, base + MM, 11, 0x40);
  });
  s.close();
  await udp.close();
}

function receive(size: number): void {
  const key = randomBytes(16);
  const salt = randomBytes(12);
  const plain = new RtpPacket(header(0), randomBytes(size)).serialize();
  const sealer = new SrtpContext(AEAD_AES_128_GCM, key, salt);
  const m = new Memory(2048);
  const sealed: Buffer[] = [];
  for (let i = 0; i < 50_000; i++) {
    m.bytes.set(plain);
    m.bytes[2] = (i >> 8) & 0xff;
    m.bytes[3] = i & 0xff;
    sealed.push(Buffer.from(m.bytes.subarray(0, sealer.protectRtp(m, 0, plain.length))));
  }
  // werift: StunProtocol.datagramReceived (STUN parse first), then what its DTLS transport does per RTP datagram.
  const keys = { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt };
  let session = new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm });
  const protocol = new StunProtocol() as unknown as { localCandidate: unknown; datagramReceived(data: Buffer, addr: unknown): void; onDataReceived: StunProtocol["onDataReceived"] };
  protocol.localCandidate = {};
  let got = 0;
  protocol.onDataReceived.subscribe((data: Buffer) => {
    const rtp = RtpPacket.deSerialize(session.decrypt(data));
    got += rtp.payload.length > 0 ? 1 : 0;
  });
  const addr = ["127.0.0.1", 5000] as [string, number];
  wall(`receive ${size} B: werift (STUN parse, decrypt, RtpPacket)`, 50_000, (i) => {
    if (i === 0) session = new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm });
    protocol.datagramReceived(sealed[i]!, addr);
  });
  let ingress: MediaIngress;
  const fake = { localCandidate: {}, datagramReceived: (_data: Buffer, _addr: unknown) => {} };
  wall(`receive ${size} B: fast ingress (copy, decrypt in place, parse)`, 50_000, (i) => {
    if (i === 0) {
      ingress?.uninstall();
      ingress = new MediaIngress({ protocols: [fake] }, new SrtpContext(AEAD_AES_128_GCM, key, salt), (p) => (got += p.payload.length > 0 ? 1 : 0) > 0);
      ingress.install();
    }
    fake.datagramReceived(sealed[i]!, addr);
  });
  if (got === 0) throw new Error("nothing was received");
}

async function main(): Promise<void> {
  const cores = cpus().length;
  const pin = values.pin === undefined ? null : Number(values.pin);
  if (pin !== null) spawnSync("taskset", ["-pc", String(pin), String(process.pid)], { stdio: "ignore" });
  const other = pin === null ? null : String((pin + 1) % cores);
  const child = Bun.spawn(other === null ? ["bun", import.meta.path, "--sink"] : ["taskset", "-c", other, "bun", import.meta.path, "--sink"], { stdin: "pipe", stdout: "pipe" });
  const reader = child.stdout.getReader();
  const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
  log(`libcrypto: ${libcrypto()?.version ?? "not loaded"}; engine ${defaultEngine().name}; ${cores} cores; pinned ${pin ?? "no"}`);
  for (const size of [1100, 100]) crypto(size);
  await send(port);
  for (const size of [1100, 100]) receive(size);
  child.stdin.end();
  const received = Number(new TextDecoder().decode((await reader.read()).value).trim());
  log(`sink received ${received} datagrams`);
  console.log(JSON.stringify({ bench: "fastpath-candidates", unit: "ns/packet", packets: N, pinned_core: pin, libcrypto: libcrypto()?.version ?? null, ...results }));
  process.exit(0);
}

if (values.sink) await sink();
else await main();
