import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { RtcpPacketConverter, RtcpSrPacket, RtcpSenderInfo, RtpHeader, RtpPacket, SrtcpSession, SrtpSession } from "werift";
import { defaultEngine, engineAgreesWithNode, nodeEngine, type CipherEngine } from "./engine.ts";
import { AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80, deriveSessionKeys, masterSaltLength, type SrtpProfile } from "./kdf.ts";
import { libcrypto, Memory } from "./libcrypto.ts";
import { SRTP_AUTH_FAILED, SRTP_REPLAYED, SrtpContext } from "./srtp.ts";

const PROFILES: [string, SrtpProfile][] = [
  ["AEAD_AES_128_GCM", AEAD_AES_128_GCM],
  ["AES_CM_128_HMAC_SHA1_80", AES128_CM_HMAC_SHA1_80],
];
const ENGINES: [string, CipherEngine][] = [
  ["default", defaultEngine()],
  ["node:crypto", nodeEngine],
];

/** Keys as werift's DTLS transport would extract them: ours (local) and the member's (remote). */
function keys(profile: SrtpProfile) {
  const salt = masterSaltLength(profile);
  return { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(salt), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(salt) };
}

/** werift's view of the same transport from the other end: its local keys are our remote ones. */
function weriftPeer(k: ReturnType<typeof keys>, profile: SrtpProfile) {
  const config = {
    keys: { localMasterKey: k.remoteMasterKey, localMasterSalt: k.remoteMasterSalt, remoteMasterKey: k.localMasterKey, remoteMasterSalt: k.localMasterSalt },
    profile,
  };
  return { srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) };
}

function rtp(seq: number, payload: Buffer, ssrc = 0x11223344): RtpPacket {
  const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq, timestamp: (seq * 3000) >>> 0, ssrc, marker: true });
  header.extensionProfile = 0xbede;
  header.extensions = [{ id: 3, payload: Buffer.from([1, 2, 3]) }];
  return new RtpPacket(header, payload);
}

function load(mem: Memory, bytes: Uint8Array, at = 0): number {
  mem.bytes.set(bytes, at);
  return bytes.length;
}

test("libcrypto is used on this machine and agrees with node:crypto", () => {
  // Debian ships libssl3; the fallback is tested below with the node:crypto engine.
  expect(libcrypto()?.version).toStartWith("OpenSSL 3.");
  expect(defaultEngine().name).toBe("libcrypto");
  expect(engineAgreesWithNode(defaultEngine())).toBe(true);
});

test("an engine that disagrees with node:crypto in any primitive is refused (the fallback is then used)", () => {
  const base = defaultEngine();
  const broken = (which: "gcm" | "ctr" | "hmacSha1"): CipherEngine => ({
    name: base.name,
    gcm: (key) => (which === "gcm" ? base.gcm(key.map((x, i) => (i === 0 ? x ^ 1 : x))) : base.gcm(key)),
    ctr: (key) => (which === "ctr" ? base.ctr(key.map((x, i) => (i === 0 ? x ^ 1 : x))) : base.ctr(key)),
    hmacSha1: (key) => (which === "hmacSha1" ? base.hmacSha1(key.map((x, i) => (i === 0 ? x ^ 1 : x))) : base.hmacSha1(key)),
  });
  expect(engineAgreesWithNode(nodeEngine)).toBe(true);
  for (const which of ["gcm", "ctr", "hmacSha1"] as const) expect(engineAgreesWithNode(broken(which))).toBe(false);
});

test("session keys match RFC 3711 appendix B.3 and werift's derivation", () => {
  const key = Buffer.from("E1F97A0D3E018BE0D64FA32C06DE4139", "hex");
  const salt = Buffer.from("0EC675AD498AFEEBB6960B3AABE6", "hex");
  const derived = deriveSessionKeys(AES128_CM_HMAC_SHA1_80, key, salt);
  expect(Buffer.from(derived.rtpKey).toString("hex")).toBe("c61e7a93744f39ee10734afe3ff7a087");
  expect(Buffer.from(derived.rtpSalt).toString("hex")).toBe("30cbbc08863d8c85d49db34a9ae1");
  expect(Buffer.from(derived.rtpAuth).toString("hex")).toBe("cebe321f6ff7716b6fd4ab49af256a156d38baa4");
  for (const [, profile] of PROFILES) {
    const k = keys(profile);
    const theirs = new SrtpSession({ keys: k, profile }).localContext;
    const ours = deriveSessionKeys(profile, k.localMasterKey, k.localMasterSalt);
    const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
    expect(hex(ours.rtpKey)).toBe(hex(theirs.srtpSessionKey));
    expect(hex(ours.rtcpKey)).toBe(hex(theirs.srtcpSessionKey));
    expect(hex(ours.rtpSalt)).toBe(hex(theirs.srtpSessionSalt.subarray(0, masterSaltLength(profile))));
    expect(hex(ours.rtpAuth)).toBe(hex(theirs.srtpSessionAuthTag));
  }
});

for (const [profileName, profile] of PROFILES) {
  for (const [engineName, engine] of ENGINES) {
    describe(`${profileName} with ${engineName}`, () => {
      test("RTP from werift opens here, RTP from here opens in werift", () => {
        const k = keys(profile);
        const peer = weriftPeer(k, profile);
        const inbound = new SrtpContext(profile, k.remoteMasterKey, k.remoteMasterSalt, engine);
        const outbound = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt, engine);
        const mem = new Memory(2048);
        for (const [i, size] of [1100, 100, 1].entries()) {
          const packet = rtp(1000 + i, randomBytes(size));
          const plain = packet.serialize();
          // werift -> us, at an offset inside the buffer.
          const enc = peer.srtp.encrypt(packet.payload, packet.header);
          const n = inbound.unprotectRtp(mem, 7, load(mem, enc, 7));
          expect(n).toBe(plain.length);
          expect(Buffer.from(mem.bytes.subarray(7, 7 + n))).toEqual(plain);
          // us -> werift.
          const m = outbound.protectRtp(mem, 0, load(mem, plain));
          expect(m).toBe(plain.length + outbound.rtpOverhead);
          const dec = peer.srtp.decrypt(Buffer.from(mem.bytes.subarray(0, m)));
          expect(dec).toEqual(plain);
        }
      });

      test("SRTCP from werift opens here, SRTCP from here opens in werift", () => {
        const k = keys(profile);
        const peer = weriftPeer(k, profile);
        const inbound = new SrtpContext(profile, k.remoteMasterKey, k.remoteMasterSalt, engine);
        const outbound = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt, engine);
        const sr = new RtcpSrPacket({ ssrc: 0xabcdef01, senderInfo: new RtcpSenderInfo({ ntpTimestamp: 123456789n, rtpTimestamp: 42, packetCount: 7, octetCount: 7000 }) });
        const plain = sr.serialize();
        const mem = new Memory(512);
        for (let i = 0; i < 3; i++) {
          const enc = peer.srtcp.encrypt(plain);
          expect(inbound.unprotectRtcp(mem, 0, load(mem, enc))).toBe(plain.length);
          expect(Buffer.from(mem.bytes.subarray(0, plain.length))).toEqual(plain);
          const m = outbound.protectRtcp(mem, 3, load(mem, plain, 3));
          expect(m).toBe(plain.length + outbound.rtcpOverhead);
          const dec = peer.srtcp.decrypt(Buffer.from(mem.bytes.subarray(3, 3 + m)));
          const [parsed] = RtcpPacketConverter.deSerialize(dec) as RtcpSrPacket[];
          expect(parsed!.ssrc).toBe(0xabcdef01);
          expect(parsed!.senderInfo.packetCount).toBe(7);
        }
      });

      test("the rollover counter carries across sequence number 65535, both ways", () => {
        const k = keys(profile);
        const peer = weriftPeer(k, profile);
        const inbound = new SrtpContext(profile, k.remoteMasterKey, k.remoteMasterSalt, engine);
        const outbound = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt, engine);
        const mem = new Memory(2048);
        const payload = randomBytes(200);
        const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3];
        for (const seq of seqs) {
          const packet = rtp(seq, payload);
          const n = inbound.unprotectRtp(mem, 0, load(mem, peer.srtp.encrypt(packet.payload, packet.header)));
          expect(n).toBeGreaterThan(0);
          const m = outbound.protectRtp(mem, 0, load(mem, packet.serialize()));
          expect(peer.srtp.decrypt(Buffer.from(mem.bytes.subarray(0, m)))).toEqual(packet.serialize());
        }
        expect(inbound.rtpIndex(0x11223344)).toBe(65536 + 3);
        expect(outbound.rtpIndex(0x11223344)).toBe(65536 + 3);
        // A late packet from before the wrap still opens (ROC - 1), once.
        const late = rtp(65529, payload);
        const lateEnc = peer.srtp.encrypt(late.payload, late.header);
        expect(inbound.unprotectRtp(mem, 0, load(mem, lateEnc))).toBeGreaterThan(0);
        expect(inbound.unprotectRtp(mem, 0, load(mem, lateEnc))).toBe(SRTP_REPLAYED);
        expect(inbound.rtpIndex(0x11223344)).toBe(65536 + 3);
      });

      test("replayed and too-old packets are refused, reordered ones accepted once", () => {
        const k = keys(profile);
        const peer = weriftPeer(k, profile);
        const inbound = new SrtpContext(profile, k.remoteMasterKey, k.remoteMasterSalt, engine);
        const mem = new Memory(2048);
        const payload = randomBytes(50);
        const sealed = new Map<number, Buffer>();
        for (let seq = 100; seq <= 1300; seq++) {
          const p = rtp(seq, payload);
          sealed.set(seq, Buffer.from(peer.srtp.encrypt(p.payload, p.header)));
        }
        const open = (seq: number) => inbound.unprotectRtp(mem, 0, load(mem, sealed.get(seq)!));
        expect(open(100)).toBeGreaterThan(0);
        expect(open(100)).toBe(SRTP_REPLAYED);
        expect(open(102)).toBeGreaterThan(0);
        expect(open(101)).toBeGreaterThan(0);
        expect(open(101)).toBe(SRTP_REPLAYED);
        for (let seq = 103; seq <= 1300; seq++) expect(open(seq)).toBeGreaterThan(0);
        // 1300 - 1024 = 276: older than the window.
        expect(open(1300 - 1024)).toBe(SRTP_REPLAYED);
        const rtcp = new RtcpSrPacket({ ssrc: 5, senderInfo: new RtcpSenderInfo({ ntpTimestamp: 1n, rtpTimestamp: 1, packetCount: 1, octetCount: 1 }) }).serialize();
        const enc = peer.srtcp.encrypt(rtcp);
        expect(inbound.unprotectRtcp(mem, 0, load(mem, enc))).toBe(rtcp.length);
        expect(inbound.unprotectRtcp(mem, 0, load(mem, enc))).toBe(SRTP_REPLAYED);
      });

      test("an SSRC and index are never encrypted twice; a reordered, unused one is", () => {
        const k = keys(profile);
        const peer = weriftPeer(k, profile);
        const outbound = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt, engine);
        const mem = new Memory(2048);
        const seal = (seq: number) => outbound.protectRtp(mem, 0, load(mem, rtp(seq, randomBytes(40)).serialize()));
        expect(seal(10)).toBeGreaterThan(0);
        expect(seal(12)).toBeGreaterThan(0);
        expect(seal(10)).toBe(SRTP_REPLAYED);
        const n = seal(11);
        expect(n).toBeGreaterThan(0);
        expect(RtpPacket.deSerialize(peer.srtp.decrypt(Buffer.from(mem.bytes.subarray(0, n)))).header.sequenceNumber).toBe(11);
        expect(seal(12)).toBe(SRTP_REPLAYED);
      });

      test("encrypting again gives the first bytes, and only for an index encrypted before and still in the window", () => {
        const k = keys(profile);
        const outbound = new SrtpContext(profile, k.localMasterKey, k.localMasterSalt, engine);
        const mem = new Memory(2048);
        const plain = new Map<number, Buffer>();
        const sealed = new Map<number, Buffer>();
        const seal = (seq: number) => {
          plain.set(seq, rtp(seq, randomBytes(80)).serialize());
          const n = outbound.protectRtp(mem, 0, load(mem, plain.get(seq)!));
          sealed.set(seq, Buffer.from(mem.bytes.subarray(0, n)));
        };
        const again = (seq: number, bytes = plain.get(seq)!): number | Buffer => {
          const n = outbound.reprotectRtp(mem, 0, load(mem, bytes));
          return n < 0 ? n : Buffer.from(mem.bytes.subarray(0, n));
        };
        seal(10);
        seal(500);
        expect(again(10)).toEqual(sealed.get(10)!);
        expect(again(500)).toEqual(sealed.get(500)!);
        // Never encrypted (skipped over, or ahead): refused.
        expect(again(11, rtp(11, randomBytes(80)).serialize())).toBe(SRTP_REPLAYED);
        expect(again(501, rtp(501, randomBytes(80)).serialize())).toBe(SRTP_REPLAYED);
        // Encrypting again moves nothing: 11 can still go once, the normal way.
        expect(outbound.protectRtp(mem, 0, load(mem, rtp(11, randomBytes(80)).serialize()))).toBeGreaterThan(0);
        expect(outbound.rtpIndex(0x11223344)).toBe(500);
        // Out of the window (1024 packets) once the stream has moved on.
        seal(1100);
        expect(again(10)).toBe(SRTP_REPLAYED);
        expect(again(500)).toEqual(sealed.get(500)!);
        seal(1600);
        expect(again(500)).toBe(SRTP_REPLAYED);
        expect(again(1100)).toEqual(sealed.get(1100)!);
        // An SSRC never sent on: refused.
        expect(again(10, rtp(10, randomBytes(80), 0x99).serialize())).toBe(SRTP_REPLAYED);
      });

      test("a tampered packet is refused and leaves no state behind", () => {
        const k = keys(profile);
        const peer = weriftPeer(k, profile);
        const inbound = new SrtpContext(profile, k.remoteMasterKey, k.remoteMasterSalt, engine);
        const mem = new Memory(2048);
        const p = rtp(5, randomBytes(300));
        const enc = Buffer.from(peer.srtp.encrypt(p.payload, p.header));
        for (const at of [3, 20, enc.length - 1]) {
          const bad = Buffer.from(enc);
          bad[at]! ^= 0x01;
          expect(inbound.unprotectRtp(mem, 0, load(mem, bad))).toBe(SRTP_AUTH_FAILED);
        }
        expect(inbound.rtpIndex(0x11223344)).toBe(-1);
        expect(inbound.unprotectRtp(mem, 0, load(mem, enc))).toBe(p.serialize().length);
        const rtcp = new RtcpSrPacket({ ssrc: 5, senderInfo: new RtcpSenderInfo({ ntpTimestamp: 1n, rtpTimestamp: 1, packetCount: 1, octetCount: 1 }) }).serialize();
        const badRtcp = Buffer.from(peer.srtcp.encrypt(rtcp));
        badRtcp[10]! ^= 0x80;
        expect(inbound.unprotectRtcp(mem, 0, load(mem, badRtcp))).toBe(SRTP_AUTH_FAILED);
      });
    });
  }
}
