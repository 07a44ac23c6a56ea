import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import type { Hearth } from "../context.ts";
import { readCookie } from "../ui/request.ts";
import { isSecure } from "./sessions.ts";
import { newToken } from "./tokens.ts";

/**
 * Passkeys: WebAuthn registration and discoverable sign-in, user verification required.
 * The RP ID and origin come from the public URL (https://name:port in a clinic,
 * http://localhost:PORT in development and tests, where localhost is a secure context).
 */

/** ES256, EdDSA, RS256: what phones, laptops and security keys offer. */
const ALGORITHMS = [-7, -8, -257];

export function relyingParty(hearth: Hearth): { id: string; origin: string; name: string } {
  const url = new URL(hearth.config.publicUrl);
  return { id: url.hostname, origin: url.origin, name: "Hearth" };
}

export interface StoredPasskey {
  id: number;
  personId: number;
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: AuthenticatorTransport[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface Row {
  id: number;
  person_id: number;
  credential_id: string;
  public_key: Uint8Array;
  counter: number;
  transports: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

function toPasskey(r: Row): StoredPasskey {
  return {
    id: r.id,
    personId: r.person_id,
    credentialId: r.credential_id,
    publicKey: r.public_key,
    counter: r.counter,
    transports: JSON.parse(r.transports) as AuthenticatorTransport[],
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

const COLUMNS = "id, person_id, credential_id, public_key, counter, transports, created_at, last_used_at, revoked_at";

export function passkeyByCredentialId(hearth: Hearth, credentialId: string): StoredPasskey | null {
  const r = hearth.db.query<Row, [string]>(`SELECT ${COLUMNS} FROM passkeys WHERE credential_id = ?`).get(credentialId);
  return r ? toPasskey(r) : null;
}

export function passkeyById(hearth: Hearth, id: number): StoredPasskey | null {
  const r = hearth.db.query<Row, [number]>(`SELECT ${COLUMNS} FROM passkeys WHERE id = ?`).get(id);
  return r ? toPasskey(r) : null;
}

export function activePasskeys(hearth: Hearth, personId: number): StoredPasskey[] {
  return hearth.db
    .query<Row, [number]>(`SELECT ${COLUMNS} FROM passkeys WHERE person_id = ? AND revoked_at IS NULL ORDER BY id`)
    .all(personId)
    .map(toPasskey);
}

export async function passkeyName(hearth: Hearth, id: number): Promise<string | null> {
  if (!hearth.vault.unlocked) return null;
  const r = hearth.db.query<{ name: Uint8Array }, [number]>("SELECT name FROM passkeys WHERE id = ?").get(id);
  return r ? hearth.vault.openText(r.name) : null;
}

export interface NewPasskey {
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: AuthenticatorTransport[];
  backedUp: boolean;
}

/** Stores a verified credential; call inside the transaction that creates or updates its person. */
export function insertPasskey(hearth: Hearth, personId: number, key: NewPasskey, sealedName: Uint8Array): number {
  const res = hearth.db
    .query("INSERT INTO passkeys (person_id, credential_id, public_key, counter, transports, backed_up, name, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .run(personId, key.credentialId, key.publicKey, key.counter, JSON.stringify(key.transports), key.backedUp ? 1 : 0, sealedName, hearth.now(), hearth.now());
  return Number(res.lastInsertRowid);
}

export function revokePasskey(hearth: Hearth, id: number): void {
  hearth.db.query("UPDATE passkeys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(hearth.now(), id);
}

/** Revokes every passkey of one person (they lost them all); returns how many. */
export function revokeAllPasskeys(hearth: Hearth, personId: number): number {
  return hearth.db.query("UPDATE passkeys SET revoked_at = ? WHERE person_id = ? AND revoked_at IS NULL").run(hearth.now(), personId).changes;
}

export function recordUse(hearth: Hearth, id: number, counter: number): void {
  hearth.db.query("UPDATE passkeys SET counter = ?, last_used_at = ? WHERE id = ?").run(counter, hearth.now(), id);
}

// ---- Ceremonies: one challenge per browser, single use, five minutes. ----

export const CEREMONY_TTL_MS = 5 * 60 * 1000;
const CEREMONY_COOKIE = "hearth_ceremony";

export type CeremonyPurpose = "setup" | "invite" | "signin" | "add" | "confirm";

interface Ceremony {
  challenge: string;
  purpose: CeremonyPurpose;
  /** What the options call was about: a token hash, a person id, a chosen name. */
  data: Record<string, string | number>;
  expiresAt: number;
}

const ceremonies = new WeakMap<Hearth, Map<string, Ceremony>>();

function ceremonyStore(hearth: Hearth): Map<string, Ceremony> {
  let m = ceremonies.get(hearth);
  if (!m) ceremonies.set(hearth, (m = new Map()));
  return m;
}

/** Remembers a challenge for this browser; returns the cookie that names it. */
export function beginCeremony(hearth: Hearth, request: Request, purpose: CeremonyPurpose, challenge: string, data: Ceremony["data"]): string {
  const store = ceremonyStore(hearth);
  const now = hearth.now();
  for (const [k, c] of store) {
    if (c.expiresAt > now && store.size < 20_000) break;
    store.delete(k);
  }
  const id = newToken();
  store.set(id, { challenge, purpose, data, expiresAt: now + CEREMONY_TTL_MS });
  const secure = isSecure(hearth, request) ? "; Secure" : "";
  return `${CEREMONY_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${CEREMONY_TTL_MS / 1000}${secure}`;
}

/** Takes this browser's pending ceremony of that purpose (single use), or null. */
export function takeCeremony(hearth: Hearth, request: Request, purpose: CeremonyPurpose): Ceremony | null {
  const id = readCookie(request, CEREMONY_COOKIE);
  if (!id) return null;
  const store = ceremonyStore(hearth);
  const c = store.get(id);
  store.delete(id);
  if (!c || c.purpose !== purpose || c.expiresAt <= hearth.now()) return null;
  return c;
}

export async function registrationOptions(
  hearth: Hearth,
  user: { handle: string; name: string; exclude: StoredPasskey[] },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const rp = relyingParty(hearth);
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.name,
    userDisplayName: user.name,
    userID: new Uint8Array(Buffer.from(user.handle, "base64url")),
    attestationType: "none",
    timeout: CEREMONY_TTL_MS,
    excludeCredentials: user.exclude.map((k) => ({ id: k.credentialId, transports: k.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    // ES256, EdDSA, RS256: what platform authenticators and security keys offer.
    supportedAlgorithmIDs: ALGORITHMS,
    // PRF (hmac-secret) must be asked for when the credential is made, or later assertions get
    // no PRF output: the portal's journal derives its end-to-end key from it (src/portal).
    extensions: { prf: {} } as AuthenticationExtensionsClientInputs,
  });
}

/** Checks an attestation against the challenge; returns the new credential or null. */
export async function verifyRegistration(hearth: Hearth, response: RegistrationResponseJSON, challenge: string): Promise<NewPasskey | null> {
  const rp = relyingParty(hearth);
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!result.verified) return null;
    const { credential, credentialBackedUp } = result.registrationInfo;
    return {
      credentialId: credential.id,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: (credential.transports ?? response.response.transports ?? []) as AuthenticatorTransport[],
      backedUp: credentialBackedUp,
    };
  } catch {
    return null;
  }
}

export async function authenticationOptions(hearth: Hearth, allow: StoredPasskey[] = []): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: relyingParty(hearth).id,
    userVerification: "required",
    timeout: CEREMONY_TTL_MS,
    allowCredentials: allow.map((k) => ({ id: k.credentialId, transports: k.transports })),
  });
}

/** Checks an assertion made with this stored passkey; returns the new signature counter or null. */
export async function verifyAssertion(
  hearth: Hearth,
  response: AuthenticationResponseJSON,
  challenge: string,
  key: StoredPasskey,
): Promise<number | null> {
  const rp = relyingParty(hearth);
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: key.credentialId, publicKey: new Uint8Array(key.publicKey), counter: key.counter, transports: key.transports },
      requireUserVerification: true,
    });
    return result.verified ? result.authenticationInfo.newCounter : null;
  } catch {
    return null;
  }
}
