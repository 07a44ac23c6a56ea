import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/server";
import type { Hearth } from "../../context.ts";
import { activePasskeys, passkeyByCredentialId, passkeyById, recordUse, relyingParty, verifyAssertion, CEREMONY_TTL_MS } from "../../identity/passkeys.ts";

/**
 * Signing a note with a passkey. The WebAuthn challenge is the note's SHA-256 followed by 16
 * random bytes (so no two ceremonies share a challenge): the authenticator signs
 * authenticatorData || SHA-256(clientDataJSON), and clientDataJSON carries that challenge, so the
 * stored assertion binds this passkey's holder, with user verification, to exactly this text.
 * Anyone holding the passkey's stored public key can check it again later (verifyStoredSignature).
 * The pending challenge is kept per sign-in session and note, five minutes, single use.
 */
export interface StoredSignature {
  passkeyId: number;
  signedBy: number;
  contentHash: string;
  challenge: string;
  clientDataJSON: string;
  authenticatorData: string;
  signature: string;
}

interface Pending {
  challenge: string;
  contentHash: string;
  personId: number;
  expiresAt: number;
  /** What else the ceremony was about (an addendum's text), returned at verification. */
  data: Record<string, string>;
}

const pendings = new WeakMap<Hearth, Map<string, Pending>>();

function store(hearth: Hearth): Map<string, Pending> {
  let m = pendings.get(hearth);
  if (!m) pendings.set(hearth, (m = new Map()));
  return m;
}

/** The challenge for a content hash: hash bytes, then a nonce. */
export function challengeFor(contentHash: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(48);
  out.set(Buffer.from(contentHash, "hex"), 0);
  out.set(randomBytes(16), 32);
  return out;
}

export async function signingOptions(
  hearth: Hearth,
  signer: { id: number; sessionIdHash: string },
  what: string,
  contentHash: string,
  data: Record<string, string> = {},
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(hearth).id,
    userVerification: "required",
    timeout: CEREMONY_TTL_MS,
    challenge: challengeFor(contentHash),
    allowCredentials: activePasskeys(hearth, signer.id).map((k) => ({ id: k.credentialId, transports: k.transports })),
  });
  const m = store(hearth);
  const now = hearth.now();
  for (const [k, p] of m) if (p.expiresAt <= now) m.delete(k);
  m.set(`${signer.sessionIdHash}:${what}`, { challenge: options.challenge, contentHash, personId: signer.id, expiresAt: now + CEREMONY_TTL_MS, data });
  return options;
}

/**
 * Checks the assertion against the pending challenge with the signer's own passkey (not revoked,
 * user verified) and returns what to store, with the ceremony's data; null when it fails.
 */
export async function verifySigning(
  hearth: Hearth,
  signer: { id: number; sessionIdHash: string },
  what: string,
  response: AuthenticationResponseJSON,
): Promise<{ signature: StoredSignature; data: Record<string, string> } | null> {
  const m = store(hearth);
  const key = `${signer.sessionIdHash}:${what}`;
  const pending = m.get(key);
  m.delete(key);
  if (!pending || pending.expiresAt <= hearth.now() || pending.personId !== signer.id) return null;
  const passkey = passkeyByCredentialId(hearth, response.id);
  if (!passkey || passkey.personId !== signer.id || passkey.revokedAt !== null) return null;
  const counter = await verifyAssertion(hearth, response, pending.challenge, passkey);
  if (counter === null) return null;
  recordUse(hearth, passkey.id, counter);
  return {
    data: pending.data,
    signature: {
      passkeyId: passkey.id,
      signedBy: signer.id,
      contentHash: pending.contentHash,
      challenge: pending.challenge,
      clientDataJSON: response.response.clientDataJSON,
      authenticatorData: response.response.authenticatorData,
      signature: response.response.signature,
    },
  };
}

export interface SignatureRow extends StoredSignature {
  id: number;
  noteId: number;
  addendumId: number | null;
  signedAt: number;
}

export function signaturesOf(hearth: Hearth, noteId: number): SignatureRow[] {
  return hearth.db
    .query<SignatureRow, [number]>(
      `SELECT id, note_id AS noteId, addendum_id AS addendumId, passkey_id AS passkeyId, signed_by AS signedBy, signed_at AS signedAt,
              content_hash AS contentHash, challenge, client_data_json AS clientDataJSON, authenticator_data AS authenticatorData, signature
       FROM note_signatures WHERE note_id = ? ORDER BY id`,
    )
    .all(noteId);
}

/**
 * Checks a stored signature again, from the stored assertion and the passkey's stored public
 * key alone: the signature over authenticatorData || SHA-256(clientDataJSON) verifies, user
 * verification was done, the origin and RP are this appliance's, and the signed challenge starts
 * with `expectedHash` (the hash of the text as it is now).
 */
export async function verifyStoredSignature(hearth: Hearth, sig: StoredSignature, expectedHash: string): Promise<boolean> {
  const key = passkeyById(hearth, sig.passkeyId);
  if (!key) return false;
  const challengeBytes = Buffer.from(sig.challenge, "base64url");
  const hash = Buffer.from(expectedHash, "hex");
  if (challengeBytes.length < 32 || hash.length !== 32 || !timingSafeEqual(challengeBytes.subarray(0, 32), hash)) return false;
  const rp = relyingParty(hearth);
  try {
    const result = await verifyAuthenticationResponse({
      response: {
        id: key.credentialId,
        rawId: key.credentialId,
        type: "public-key",
        clientExtensionResults: {},
        response: { clientDataJSON: sig.clientDataJSON, authenticatorData: sig.authenticatorData, signature: sig.signature },
      },
      expectedChallenge: sig.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // The counter was checked when it was signed; a later check is about the signature only.
      credential: { id: key.credentialId, publicKey: new Uint8Array(key.publicKey), counter: 0 },
      requireUserVerification: true,
    });
    return result.verified;
  } catch {
    return false;
  }
}
