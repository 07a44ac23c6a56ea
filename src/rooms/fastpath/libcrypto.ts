import { dlopen, FFIType, ptr } from "bun:ffi";

/**
 * The system's OpenSSL 3 (Debian's libssl3, also on Raspberry Pi OS) through bun:ffi, for SRTP
 * without a cipher object per packet: one EVP_CIPHER_CTX per key is set up once, and each
 * packet only re-initialises the IV. Pointers are plain numbers (addresses of buffers this
 * process keeps alive), so a call allocates nothing on the JS heap.
 *
 * Returns null when the library cannot be loaded; callers fall back to node:crypto.
 */

const { ptr: P, i32, u64, void: VOID, cstring } = FFIType;

const SYMBOLS = {
  OpenSSL_version: { args: [i32], returns: cstring },
  EVP_aes_128_gcm: { args: [], returns: P },
  EVP_aes_128_ctr: { args: [], returns: P },
  EVP_CIPHER_CTX_new: { args: [], returns: P },
  EVP_CIPHER_CTX_free: { args: [P], returns: VOID },
  EVP_CIPHER_CTX_ctrl: { args: [P, i32, i32, P], returns: i32 },
  EVP_EncryptInit_ex: { args: [P, P, P, P, P], returns: i32 },
  EVP_EncryptUpdate: { args: [P, P, P, P, i32], returns: i32 },
  EVP_EncryptFinal_ex: { args: [P, P, P], returns: i32 },
  EVP_DecryptInit_ex: { args: [P, P, P, P, P], returns: i32 },
  EVP_DecryptUpdate: { args: [P, P, P, P, i32], returns: i32 },
  EVP_DecryptFinal_ex: { args: [P, P, P], returns: i32 },
  // HMAC-SHA1 for AES-CM: the SHA_CTX after the ipad (and opad) block is kept and copied per packet,
  // so a MAC is two SHA1_Update/SHA1_Final pairs with no OpenSSL allocation (measured 20-35% less
  // than HMAC_Init_ex with a reused key). Deprecated in OpenSSL 3, still exported; SHA_CTX is a
  // public 96-byte struct in <openssl/sha.h>, fixed by the libcrypto.so.3 ABI.
  SHA1_Init: { args: [P], returns: i32 },
  SHA1_Update: { args: [P, P, u64], returns: i32 },
  SHA1_Final: { args: [P, P], returns: i32 },
} as const;

export const SHA_CTX_SIZE = 96;

export const EVP_CTRL_GCM_GET_TAG = 0x10;
export const EVP_CTRL_GCM_SET_TAG = 0x11;

/** Pointers are plain numbers (addresses) or null; bun:ffi's branded Pointer type is not used. */
type Addr = number | null;
export interface LibCrypto {
  readonly version: string;
  EVP_aes_128_gcm(): Addr;
  EVP_aes_128_ctr(): Addr;
  EVP_CIPHER_CTX_new(): Addr;
  EVP_CIPHER_CTX_free(ctx: number): void;
  EVP_CIPHER_CTX_ctrl(ctx: number, type: number, arg: number, ptr: Addr): number;
  EVP_EncryptInit_ex(ctx: number, cipher: Addr, engine: Addr, key: Addr, iv: Addr): number;
  EVP_EncryptUpdate(ctx: number, out: Addr, outl: number, input: number, inl: number): number;
  EVP_EncryptFinal_ex(ctx: number, out: number, outl: number): number;
  EVP_DecryptInit_ex(ctx: number, cipher: Addr, engine: Addr, key: Addr, iv: Addr): number;
  EVP_DecryptUpdate(ctx: number, out: Addr, outl: number, input: number, inl: number): number;
  EVP_DecryptFinal_ex(ctx: number, out: number, outl: number): number;
  SHA1_Init(ctx: number): number;
  SHA1_Update(ctx: number, data: number, len: number): number;
  SHA1_Final(md: number, ctx: number): number;
}

const NAMES = ["libcrypto.so.3", "libcrypto.so"];

let loaded: LibCrypto | null | undefined;

/** The loaded library, or null (not installed, or not OpenSSL 3). */
export function libcrypto(): LibCrypto | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  for (const name of NAMES) {
    try {
      const lib = dlopen(name, SYMBOLS);
      const version = String(lib.symbols.OpenSSL_version(0));
      if (!version.startsWith("OpenSSL 3.")) {
        lib.close();
        continue;
      }
      loaded = Object.assign(lib.symbols as unknown as Omit<LibCrypto, "version">, { version });
      break;
    } catch {
      // Not this name: try the next, then give up (node:crypto serves instead).
    }
  }
  return loaded;
}

/**
 * Memory that native code writes into: a Uint8Array over its own ArrayBuffer (never moved by the
 * GC) and that memory's address. The address is only meaningful while `bytes` is reachable, so
 * whoever holds the address holds the Memory.
 */
export class Memory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly address: number;

  constructor(size: number) {
    this.bytes = new Uint8Array(new ArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer);
    this.address = Number(ptr(this.bytes));
  }
}
