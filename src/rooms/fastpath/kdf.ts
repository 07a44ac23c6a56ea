import { createCipheriv } from "node:crypto";

/** DTLS-SRTP protection profiles (RFC 5764, RFC 7714) that werift negotiates. */
export const AES128_CM_HMAC_SHA1_80 = 0x0001;
export const AEAD_AES_128_GCM = 0x0007;
export type SrtpProfile = typeof AES128_CM_HMAC_SHA1_80 | typeof AEAD_AES_128_GCM;

export function profileName(profile: SrtpProfile): string {
  return profile === AEAD_AES_128_GCM ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

/** Master salt length: 14 bytes for AES-CM, 12 for AES-GCM; keys are 16 bytes for both. */
export function masterSaltLength(profile: SrtpProfile): number {
  return profile === AEAD_AES_128_GCM ? 12 : 14;
}

export interface SessionKeys {
  rtpKey: Uint8Array;
  rtpSalt: Uint8Array;
  rtpAuth: Uint8Array;
  rtcpKey: Uint8Array;
  rtcpSalt: Uint8Array;
  rtcpAuth: Uint8Array;
}

/**
 * RFC 3711 section 4.3 key derivation with a key derivation rate of 0 (DTLS-SRTP), also used by
 * AES-GCM (RFC 7714 section 11). A 12-byte GCM master salt is padded with zeros at the end, as
 * libsrtp does. Runs once per transport, so it may allocate.
 */
export function deriveSessionKeys(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array): SessionKeys {
  if (masterKey.length !== 16) throw new Error(`SRTP master key must be 16 bytes, not ${masterKey.length}`);
  if (masterSalt.length !== masterSaltLength(profile)) throw new Error(`SRTP master salt must be ${masterSaltLength(profile)} bytes, not ${masterSalt.length}`);
  const saltLength = masterSaltLength(profile);
  const prf = (label: number, length: number): Uint8Array => {
    // x = label (at byte 7 of the 14-byte salt, index r = 0) XOR master salt; keystream from x * 2^16.
    const blocks = Math.ceil(length / 16);
    const input = new Uint8Array(blocks * 16);
    for (let b = 0; b < blocks; b++) {
      const at = b * 16;
      input.set(masterSalt, at);
      input[at + 7]! ^= label;
      input[at + 14] = (b >> 8) & 0xff;
      input[at + 15] = b & 0xff;
    }
    const ecb = createCipheriv("aes-128-ecb", masterKey, null).setAutoPadding(false);
    const out = Buffer.concat([ecb.update(input), ecb.final()]);
    return new Uint8Array(out.subarray(0, length));
  };
  return {
    rtpKey: prf(0x00, 16),
    rtpAuth: prf(0x01, 20),
    rtpSalt: prf(0x02, saltLength),
    rtcpKey: prf(0x03, 16),
    rtcpAuth: prf(0x04, 20),
    rtcpSalt: prf(0x05, saltLength),
  };
}
