import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A software WebAuthn authenticator (P-256, "none" attestation, user verification) for API
 * tests that need many real ceremonies without a browser: it produces exactly what a platform
 * authenticator would, and the server checks it with the same code. Browser journeys use
 * Chromium's virtual authenticator instead. Not used by the appliance itself.
 */
export interface SoftCredential {
  id: string;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
}

const b64url = (b: Uint8Array | Buffer) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | Buffer | string) => createHash("sha256").update(b).digest();

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    readonly origin: string,
    /** Flags to claim; tests clear UV (0x04) to check that user verification is required. */
    readonly flags = { up: true, uv: true },
  ) {}

  get rpId(): string {
    return new URL(this.origin).hostname;
  }

  #flagByte(extra = 0): number {
    return (this.flags.up ? 0x01 : 0) | (this.flags.uv ? 0x04 : 0) | extra;
  }

  register(options: { challenge: string; rp: { id?: string }; user: { id: string } }): Record<string, unknown> {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const credId = randomBytes(32);
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, "base64url"))],
    ]);
    const coseBytes = isoCBOR.encode(cose);
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(credId.length);
    const authData = Buffer.concat([sha256(options.rp.id ?? this.rpId), Buffer.from([this.#flagByte(0x40)]), Buffer.alloc(4), Buffer.alloc(16), idLen, credId, Buffer.from(coseBytes)]);
    const clientData = Buffer.from(JSON.stringify({ type: "webauthn.create", challenge: options.challenge, origin: this.origin, crossOrigin: false }));
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", new Uint8Array(authData)]]) as never);
    this.credentials.push({ id: b64url(credId), privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id: b64url(credId),
      rawId: b64url(credId),
      type: "public-key",
      response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** Signs a challenge with one credential (the newest, unless told which). */
  assert(options: { challenge: string; rpId?: string }, credential = this.credentials.at(-1)!): Record<string, unknown> {
    credential.counter++;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(credential.counter);
    const authData = Buffer.concat([sha256(options.rpId ?? this.rpId), Buffer.from([this.#flagByte()]), counter]);
    const clientData = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge: options.challenge, origin: this.origin, crossOrigin: false }));
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientData)]), credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: credential.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
