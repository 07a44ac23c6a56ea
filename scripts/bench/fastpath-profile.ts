#!/usr/bin/env bun
/**
 * Which SRTP protection profile a werift peer connection, configured as the SFU configures it
 * (src/rooms/ice.ts peerConfig), negotiates with Debian's Chromium and with a werift peer
 * configured like the load tool's bots. Loopback only; SDP is exchanged in this process.
 *
 *   bun scripts/bench/fastpath-profile.ts
 *
 * Prints one JSON line: {"chromium": "...", "werift": "..."}.
 */
import { chromium } from "playwright-core";
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCDtlsTransport } from "werift";
import { guardWeriftSockets, loopbackMemberIce, loopbackStunSink, peerConfig } from "../../src/rooms/ice.ts";

const PROFILE_NAMES: Record<number, string> = { 1: "AES_CM_128_HMAC_SHA1_80", 7: "AEAD_AES_128_GCM" };

guardWeriftSockets();
const stun = await loopbackStunSink();
const settings = { addresses: ["127.0.0.1"], ports: [45000, 45999] as [number, number], stun, stunConfigured: false };

function profileOf(pc: RTCPeerConnection): string {
  const dtls = pc.dtlsTransports[0] as unknown as RTCDtlsTransport & { dtls: { srtp: { srtpProfile?: number } } };
  const id = dtls.dtls?.srtp.srtpProfile ?? 0;
  return PROFILE_NAMES[id] ?? `unknown (${id})`;
}

async function serverOffer(): Promise<RTCPeerConnection> {
  const pc = new RTCPeerConnection(peerConfig(settings));
  pc.addTransceiver("video", { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete") await pc.iceGatheringStateChange.watch((s) => s === "complete", 5000);
  return pc;
}

async function withChromium(): Promise<string> {
  const server = await serverOffer();
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--allow-loopback-in-peer-connection"],
  });
  try {
    const page = await browser.newPage();
    const answer = await page.evaluate(async (sdp) => {
      const pc = new RTCPeerConnection();
      (globalThis as unknown as { pc: RTCPeerConnection }).pc = pc;
      await pc.setRemoteDescription({ type: "offer", sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      await new Promise<void>((r) => {
        if (pc.iceGatheringState === "complete") r();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && r();
      });
      return pc.localDescription!.sdp;
    }, server.localDescription!.sdp);
    await server.setRemoteDescription({ type: "answer", sdp: answer });
    await server.connectionStateChange.watch((s) => s === "connected", 10_000);
    const browserSide = await page.evaluate(async () => {
      const pc = (globalThis as unknown as { pc: RTCPeerConnection }).pc;
      for (let i = 0; i < 50; i++) {
        let cipher = "";
        (await pc.getStats()).forEach((s: { type: string; srtpCipher?: string }) => {
          if (s.type === "transport" && s.srtpCipher) cipher = s.srtpCipher;
        });
        if (cipher) return cipher;
        await new Promise((r) => setTimeout(r, 100));
      }
      return "";
    });
    const serverSide = profileOf(server);
    // Chromium names them with an SRTP_ prefix.
    return browserSide.replace(/^SRTP_/, "") === serverSide ? serverSide : `server ${serverSide}, browser ${browserSide}`;
  } finally {
    await browser.close();
    await server.close();
  }
}

async function withWerift(): Promise<string> {
  const server = await serverOffer();
  // As scripts/bench/sfu-bot.ts configures its members (no srtp option: werift's defaults).
  const bot = new RTCPeerConnection({
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90000, payloadType: 96 })] },
    ...loopbackMemberIce(stun),
    bundlePolicy: "max-bundle",
  });
  try {
    await bot.setRemoteDescription(server.localDescription!);
    await bot.setLocalDescription(await bot.createAnswer());
    if (bot.iceGatheringState !== "complete") await bot.iceGatheringStateChange.watch((s) => s === "complete", 5000);
    await server.setRemoteDescription(bot.localDescription!);
    await server.connectionStateChange.watch((s) => s === "connected", 10_000);
    return profileOf(server);
  } finally {
    await bot.close();
    await server.close();
  }
}

const werift = await withWerift();
const browser = await withChromium();
console.log(JSON.stringify({ chromium: browser, werift }));
process.exit(0);
