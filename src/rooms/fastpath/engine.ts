import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { EVP_CTRL_GCM_GET_TAG, EVP_CTRL_GCM_SET_TAG, libcrypto, Memory, SHA_CTX_SIZE, type LibCrypto } from "./libcrypto.ts";

/**
 * The three primitives SRTP needs (AES-128-GCM, AES-128-CTR, HMAC-SHA1), working in place on
 * Memory at given offsets. Two engines: libcrypto through bun:ffi (one context per key, IV
 * re-set per packet, nothing allocated per packet) and node:crypto (a cipher object per packet:
 * slower and allocating, for a box where libcrypto cannot be loaded).
 *
 * Each key object owns its IV: the caller writes `iv` and then calls the operation.
 */

export interface AesGcm {
  /** 12 bytes, written by the caller before each seal/open. */
  readonly iv: Uint8Array;
  /** Encrypts mem[data, data+dataLen) in place and writes the 16-byte tag at `tag`. AAD is mem[aad, aad+aadLen) then mem[aad2, aad2+aad2Len). */
  seal(mem: Memory, aad: number, aadLen: number, aad2: number, aad2Len: number, data: number, dataLen: number, tag: number): boolean;
  /** Decrypts in place; false (and the data garbled) when the tag does not match. */
  open(mem: Memory, aad: number, aadLen: number, aad2: number, aad2Len: number, data: number, dataLen: number, tag: number): boolean;
  close(): void;
}

export interface AesCtr {
  /** 16 bytes, written by the caller before each xor. */
  readonly iv: Uint8Array;
  /** XORs the keystream into mem[data, data+len): encryption and decryption alike. */
  xor(mem: Memory, data: number, len: number): boolean;
  close(): void;
}

export interface HmacSha1 {
  /** The last MAC (20 bytes). */
  readonly digest: Uint8Array;
  mac(mem: Memory, data: number, len: number): boolean;
  close(): void;
}

export interface CipherEngine {
  readonly name: "libcrypto" | "node:crypto";
  gcm(key: Uint8Array): AesGcm;
  ctr(key: Uint8Array): AesCtr;
  hmacSha1(key: Uint8Array): HmacSha1;
}

// ---------------------------------------------------------------------------------------------
// libcrypto

/** Frees native contexts that were never closed (a peer dropped without close()). */
const contexts = new FinalizationRegistry<() => void>((free) => free());

/** Per-key scratch: IV at 0, output length at 16, final block at 32. */
const IV_AT = 0;
const OUTL_AT = 16;
const FINAL_AT = 32;

class NativeGcm implements AesGcm {
  readonly iv: Uint8Array;
  readonly #scratch = new Memory(64);
  readonly #lib: LibCrypto;
  /** Held apart from `this` so the finalizer can free them without keeping the object alive. */
  readonly #ctx = { enc: 0, dec: 0 };
  readonly #key: Uint8Array;

  constructor(lib: LibCrypto, key: Uint8Array) {
    this.#lib = lib;
    this.iv = this.#scratch.bytes.subarray(IV_AT, IV_AT + 12);
    this.#key = Uint8Array.from(key);
    const ctx = this.#ctx;
    contexts.register(this, () => freeContexts(lib, ctx), this);
  }

  /** Contexts are made on first use: a context that only ever seals never keys a decryptor. */
  #context(decrypt: boolean): number {
    const lib = this.#lib;
    const ctx = Number(lib.EVP_CIPHER_CTX_new());
    if (!ctx) throw new Error("EVP_CIPHER_CTX_new failed");
    const key = new Memory(16);
    key.bytes.set(this.#key);
    const init = decrypt ? lib.EVP_DecryptInit_ex : lib.EVP_EncryptInit_ex;
    const ok = init(ctx, lib.EVP_aes_128_gcm(), null, key.address, null);
    key.bytes.fill(0);
    if (ok !== 1) {
      lib.EVP_CIPHER_CTX_free(ctx);
      throw new Error("EVP_*Init_ex (aes-128-gcm) failed");
    }
    return ctx;
  }

  seal(mem: Memory, aad: number, aadLen: number, aad2: number, aad2Len: number, data: number, dataLen: number, tag: number): boolean {
    const lib = this.#lib;
    const ctx = this.#ctx.enc || (this.#ctx.enc = this.#context(false));
    const s = this.#scratch.address;
    const m = mem.address;
    let ok = lib.EVP_EncryptInit_ex(ctx, null, null, null, s + IV_AT);
    ok &= lib.EVP_EncryptUpdate(ctx, null, s + OUTL_AT, m + aad, aadLen);
    if (aad2Len > 0) ok &= lib.EVP_EncryptUpdate(ctx, null, s + OUTL_AT, m + aad2, aad2Len);
    if (dataLen > 0) ok &= lib.EVP_EncryptUpdate(ctx, m + data, s + OUTL_AT, m + data, dataLen);
    ok &= lib.EVP_EncryptFinal_ex(ctx, s + FINAL_AT, s + OUTL_AT);
    ok &= lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, m + tag);
    return ok === 1;
  }

  open(mem: Memory, aad: number, aadLen: number, aad2: number, aad2Len: number, data: number, dataLen: number, tag: number): boolean {
    const lib = this.#lib;
    const ctx = this.#ctx.dec || (this.#ctx.dec = this.#context(true));
    const s = this.#scratch.address;
    const m = mem.address;
    let ok = lib.EVP_DecryptInit_ex(ctx, null, null, null, s + IV_AT);
    ok &= lib.EVP_DecryptUpdate(ctx, null, s + OUTL_AT, m + aad, aadLen);
    if (aad2Len > 0) ok &= lib.EVP_DecryptUpdate(ctx, null, s + OUTL_AT, m + aad2, aad2Len);
    if (dataLen > 0) ok &= lib.EVP_DecryptUpdate(ctx, m + data, s + OUTL_AT, m + data, dataLen);
    ok &= lib.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, m + tag);
    // Final returns 0 when the tag does not match; it writes nothing for GCM.
    ok &= lib.EVP_DecryptFinal_ex(ctx, s + FINAL_AT, s + OUTL_AT) > 0 ? 1 : 0;
    return ok === 1;
  }

  close(): void {
    contexts.unregister(this);
    freeContexts(this.#lib, this.#ctx);
    this.#key.fill(0);
  }
}

function freeContexts(lib: LibCrypto, ctx: { enc: number; dec: number }): void {
  if (ctx.enc) lib.EVP_CIPHER_CTX_free(ctx.enc);
  if (ctx.dec) lib.EVP_CIPHER_CTX_free(ctx.dec);
  ctx.enc = ctx.dec = 0;
}

class NativeCtr implements AesCtr {
  readonly iv: Uint8Array;
  readonly #scratch = new Memory(64);
  readonly #lib: LibCrypto;
  #ctx: number;

  constructor(lib: LibCrypto, key: Uint8Array) {
    this.#lib = lib;
    this.iv = this.#scratch.bytes.subarray(IV_AT, IV_AT + 16);
    const ctx = Number(lib.EVP_CIPHER_CTX_new());
    if (!ctx) throw new Error("EVP_CIPHER_CTX_new failed");
    const k = new Memory(16);
    k.bytes.set(key);
    // CTR is its own inverse: one encrypting context serves both directions.
    const ok = lib.EVP_EncryptInit_ex(ctx, lib.EVP_aes_128_ctr(), null, k.address, this.#scratch.address + IV_AT);
    k.bytes.fill(0);
    if (ok !== 1) throw new Error("EVP_EncryptInit_ex (aes-128-ctr) failed");
    this.#ctx = ctx;
    contexts.register(this, () => lib.EVP_CIPHER_CTX_free(ctx), this);
  }

  xor(mem: Memory, data: number, len: number): boolean {
    const lib = this.#lib;
    const s = this.#scratch.address;
    let ok = lib.EVP_EncryptInit_ex(this.#ctx, null, null, null, s + IV_AT);
    if (len > 0) ok &= lib.EVP_EncryptUpdate(this.#ctx, mem.address + data, s + OUTL_AT, mem.address + data, len);
    return ok === 1;
  }

  close(): void {
    if (!this.#ctx) return;
    contexts.unregister(this);
    this.#lib.EVP_CIPHER_CTX_free(this.#ctx);
    this.#ctx = 0;
  }
}

/** Scratch layout: inner state, outer state, working state, inner digest (SHA_CTX is 96 bytes). */
const INNER = 0;
const OUTER = 96;
const WORK = 192;
const DIGEST = 288;

class NativeHmacSha1 implements HmacSha1 {
  readonly digest: Uint8Array;
  readonly #state = new Memory(320);
  readonly #lib: LibCrypto;

  constructor(lib: LibCrypto, key: Uint8Array) {
    this.#lib = lib;
    this.digest = this.#state.bytes.subarray(DIGEST, DIGEST + 20);
    if (key.length > 64) throw new Error("HMAC-SHA1 keys for SRTP are 20 bytes");
    const pad = new Memory(64);
    const s = this.#state.address;
    for (const [at, byte] of [[INNER, 0x36], [OUTER, 0x5c]] as const) {
      for (let i = 0; i < 64; i++) pad.bytes[i] = (key[i] ?? 0) ^ byte;
      lib.SHA1_Init(s + at);
      lib.SHA1_Update(s + at, pad.address, 64);
    }
    pad.bytes.fill(0);
  }

  mac(mem: Memory, data: number, len: number): boolean {
    const lib = this.#lib;
    const st = this.#state;
    const s = st.address;
    st.bytes.copyWithin(WORK, INNER, INNER + SHA_CTX_SIZE);
    let ok = lib.SHA1_Update(s + WORK, mem.address + data, len);
    ok &= lib.SHA1_Final(s + DIGEST, s + WORK);
    st.bytes.copyWithin(WORK, OUTER, OUTER + SHA_CTX_SIZE);
    ok &= lib.SHA1_Update(s + WORK, s + DIGEST, 20);
    ok &= lib.SHA1_Final(s + DIGEST, s + WORK);
    return ok === 1;
  }

  close(): void {
    this.#state.bytes.fill(0);
  }
}

class LibcryptoEngine implements CipherEngine {
  readonly name = "libcrypto" as const;
  constructor(private readonly lib: LibCrypto) {}
  gcm(key: Uint8Array): AesGcm {
    return new NativeGcm(this.lib, key);
  }
  ctr(key: Uint8Array): AesCtr {
    return new NativeCtr(this.lib, key);
  }
  hmacSha1(key: Uint8Array): HmacSha1 {
    return new NativeHmacSha1(this.lib, key);
  }
}

// ---------------------------------------------------------------------------------------------
// node:crypto

class NodeGcm implements AesGcm {
  readonly iv = new Uint8Array(12);
  readonly #key: Buffer;
  constructor(key: Uint8Array) {
    this.#key = Buffer.from(key);
  }

  seal(mem: Memory, aad: number, aadLen: number, aad2: number, aad2Len: number, data: number, dataLen: number, tag: number): boolean {
    const b = mem.bytes;
    const c = createCipheriv("aes-128-gcm", this.#key, this.iv);
    c.setAAD(b.subarray(aad, aad + aadLen));
    if (aad2Len > 0) c.setAAD(b.subarray(aad2, aad2 + aad2Len));
    b.set(c.update(b.subarray(data, data + dataLen)), data);
    c.final();
    b.set(c.getAuthTag(), tag);
    return true;
  }

  open(mem: Memory, aad: number, aadLen: number, aad2: number, aad2Len: number, data: number, dataLen: number, tag: number): boolean {
    const b = mem.bytes;
    const d = createDecipheriv("aes-128-gcm", this.#key, this.iv);
    d.setAAD(b.subarray(aad, aad + aadLen));
    if (aad2Len > 0) d.setAAD(b.subarray(aad2, aad2 + aad2Len));
    d.setAuthTag(b.subarray(tag, tag + 16));
    b.set(d.update(b.subarray(data, data + dataLen)), data);
    try {
      d.final();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#key.fill(0);
  }
}

class NodeCtr implements AesCtr {
  readonly iv = new Uint8Array(16);
  readonly #key: Buffer;
  constructor(key: Uint8Array) {
    this.#key = Buffer.from(key);
  }
  xor(mem: Memory, data: number, len: number): boolean {
    const b = mem.bytes;
    b.set(createCipheriv("aes-128-ctr", this.#key, this.iv).update(b.subarray(data, data + len)), data);
    return true;
  }
  close(): void {
    this.#key.fill(0);
  }
}

class NodeHmacSha1 implements HmacSha1 {
  readonly digest = new Uint8Array(20);
  readonly #key: Buffer;
  constructor(key: Uint8Array) {
    this.#key = Buffer.from(key);
  }
  mac(mem: Memory, data: number, len: number): boolean {
    this.digest.set(createHmac("sha1", this.#key).update(mem.bytes.subarray(data, data + len)).digest());
    return true;
  }
  close(): void {
    this.#key.fill(0);
  }
}

class NodeEngine implements CipherEngine {
  readonly name = "node:crypto" as const;
  gcm(key: Uint8Array): AesGcm {
    return new NodeGcm(key);
  }
  ctr(key: Uint8Array): AesCtr {
    return new NodeCtr(key);
  }
  hmacSha1(key: Uint8Array): HmacSha1 {
    return new NodeHmacSha1(key);
  }
}

// ---------------------------------------------------------------------------------------------

export const nodeEngine: CipherEngine = new NodeEngine();

/**
 * Agrees with node:crypto on a random key and packet, for every primitive, both ways. A
 * libcrypto whose ABI is not what the bindings expect fails here rather than on the wire.
 */
export function engineAgreesWithNode(engine: CipherEngine): boolean {
  try {
    const key = randomBytes(16);
    const authKey = randomBytes(20);
    const iv = randomBytes(16);
    const data = randomBytes(200);
    const a = new Memory(256);
    const b = new Memory(256);
    for (const [engineUsed, mem] of [[engine, a], [nodeEngine, b]] as const) {
      mem.bytes.set(data);
      const gcm = engineUsed.gcm(key);
      gcm.iv.set(iv.subarray(0, 12));
      gcm.seal(mem, 0, 12, 190, 4, 12, 100, 112);
      const ctr = engineUsed.ctr(key);
      ctr.iv.set(iv);
      ctr.xor(mem, 128, 50);
      const hmac = engineUsed.hmacSha1(authKey);
      hmac.mac(mem, 0, 180);
      mem.bytes.set(hmac.digest, 200);
      gcm.close();
      ctr.close();
      hmac.close();
    }
    if (!timingSafeEqual(a.bytes, b.bytes)) return false;
    // Open what was sealed, then refuse it with one bit of ciphertext flipped.
    const gcm = engine.gcm(key);
    gcm.iv.set(iv.subarray(0, 12));
    const c = new Memory(256);
    c.bytes.set(data);
    gcm.seal(c, 0, 12, 190, 4, 12, 100, 112);
    const sealed = Uint8Array.from(c.bytes);
    const opened = gcm.open(c, 0, 12, 190, 4, 12, 100, 112) && timingSafeEqual(c.bytes.subarray(12, 112), data.subarray(12, 112));
    c.bytes.set(sealed);
    c.bytes[20]! ^= 1;
    const forged = gcm.open(c, 0, 12, 190, 4, 12, 100, 112);
    gcm.close();
    return opened && !forged;
  } catch {
    return false;
  }
}

let chosen: CipherEngine | undefined;

/** libcrypto when it loads and agrees with node:crypto; node:crypto otherwise. Decided once. */
export function defaultEngine(): CipherEngine {
  if (chosen) return chosen;
  const lib = libcrypto();
  const native = lib ? new LibcryptoEngine(lib) : null;
  chosen = native && engineAgreesWithNode(native) ? native : nodeEngine;
  return chosen;
}
