import * as age from "age-encryption";
import { bech32 } from "@scure/base";
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";

export class VaultLockedError extends Error {
  constructor() {
    super("The appliance is locked: an admin must unlock it first.");
  }
}

export class VaultOpenError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A value shared with extra recipients carries one more header stanza listing them, encrypted
 * under a key derived from that value's own file key. Key rotation reads it back so a re-sealed
 * value stays readable by the same people. Other age tools ignore stanzas they do not know,
 * so an extra recipient can still open the value with plain `age -d`.
 */
const EXTRAS_STANZA = "hearth.local/extra-recipients";

function extrasKey(fileKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", fileKey, new Uint8Array(0), "hearth extra recipients", 32));
}

// The key is unique to one file key (fresh for every seal), so a fixed nonce is never reused.
const NONCE = new Uint8Array(12);

class ExtrasNote implements age.Recipient {
  constructor(private readonly extras: readonly string[]) {}
  wrapFileKey(fileKey: Uint8Array): age.Stanza[] {
    const c = createCipheriv("aes-256-gcm", extrasKey(fileKey), NONCE);
    const body = Buffer.concat([c.update(JSON.stringify(this.extras)), c.final(), c.getAuthTag()]);
    return [new age.Stanza([EXTRAS_STANZA], new Uint8Array(body))];
  }
}

function readExtras(fileKey: Uint8Array, body: Uint8Array): string[] {
  const d = createDecipheriv("aes-256-gcm", extrasKey(fileKey), NONCE);
  d.setAuthTag(body.subarray(body.length - 16));
  const json = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString("utf8");
  return JSON.parse(json) as string[];
}

// PKCS #8 prefix of a raw X25519 private key: WebCrypto imports X25519 private keys no other way.
const PKCS8_X25519 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

/**
 * An X25519 identity imported once as a non-extractable CryptoKey. Given the string, age imports
 * the key again on every open, which costs about as much as the decryption itself.
 */
async function identityKey(identity: string): Promise<CryptoKey | string> {
  if (!identity.startsWith("AGE-SECRET-KEY-1")) return identity;
  try {
    const der = new Uint8Array(PKCS8_X25519.length + 32);
    der.set(PKCS8_X25519);
    der.set(bech32.decodeToBytes(identity).bytes, PKCS8_X25519.length);
    return await crypto.subtle.importKey("pkcs8", der, { name: "X25519" }, false, ["deriveBits"]);
  } catch {
    // No X25519 in this runtime's WebCrypto: age falls back to its own implementation.
    return identity;
  }
}

/** Sees the header's stanzas on their way to the real identities, and never claims the file. */
class StanzaWitness implements age.Identity {
  stanzas: age.Stanza[] = [];
  unwrapFileKey(stanzas: age.Stanza[]): null {
    this.stanzas = stanzas;
    return null;
  }
}

/**
 * Seals and opens patient data as age ciphertext (binary age format, stored in BLOB columns).
 * Seals to the current appliance recipient plus any extra recipients an item is shared with;
 * opens with every identity it holds (the current one, and during a rotation the next one).
 *
 * The Encrypter and Decrypter are built once per unlock: parsing identities and recipients on
 * every call would cost more than the sealing itself for small values.
 */
export class Vault {
  #sealTo: string | null = null;
  #identities: (CryptoKey | string)[] = [];
  #encrypter: age.Encrypter | null = null;
  #decrypter: age.Decrypter | null = null;
  #listeners = new Set<() => void>();

  get unlocked(): boolean {
    return this.#sealTo !== null;
  }

  /** identities[0] is the one new values are sealed to. */
  async unlock(identities: string[]): Promise<void> {
    if (identities.length === 0) throw new Error("unlock needs at least one identity");
    const keys = await Promise.all(identities.map(identityKey));
    const d = new age.Decrypter();
    for (const k of keys) d.addIdentity(k);
    const sealTo = await age.identityToRecipient(identities[0]!);
    const e = new age.Encrypter();
    e.addRecipient(sealTo);
    this.#sealTo = sealTo;
    this.#identities = keys;
    this.#encrypter = e;
    this.#decrypter = d;
    for (const fn of this.#listeners) fn();
  }

  /** After a rotation: keep only the key new values are sealed to. */
  async retireOlderKeys(): Promise<void> {
    if (this.#identities.length <= 1) return;
    const d = new age.Decrypter();
    d.addIdentity(this.#identities[0]!);
    this.#identities = this.#identities.slice(0, 1);
    this.#decrypter = d;
  }

  lock(): void {
    this.#sealTo = null;
    this.#identities = [];
    this.#encrypter = null;
    this.#decrypter = null;
  }

  onUnlock(fn: () => void): void {
    this.#listeners.add(fn);
  }

  get recipient(): string {
    if (!this.#sealTo) throw new VaultLockedError();
    return this.#sealTo;
  }

  async seal(plaintext: Uint8Array | string, extraRecipients: readonly string[] = []): Promise<Uint8Array> {
    if (!this.#sealTo || !this.#encrypter) throw new VaultLockedError();
    const bytes = typeof plaintext === "string" ? encoder.encode(plaintext) : plaintext;
    const extras = [...new Set(extraRecipients)].filter((r) => r !== this.#sealTo);
    if (extras.length === 0) return this.#encrypter.encrypt(bytes);
    const e = new age.Encrypter();
    e.addRecipient(this.#sealTo);
    for (const r of extras) e.addRecipient(r);
    e.addRecipient(new ExtrasNote(extras));
    return e.encrypt(bytes);
  }

  async open(ciphertext: Uint8Array): Promise<Uint8Array> {
    if (!this.#decrypter) throw new VaultLockedError();
    try {
      return await this.#decrypter.decrypt(ciphertext);
    } catch (err) {
      throw openError(err);
    }
  }

  /**
   * Opens a value and seals it again to the current recipient (during a rotation, the new key),
   * keeping the extra recipients it was shared with.
   */
  async reseal(ciphertext: Uint8Array): Promise<Uint8Array> {
    if (!this.#sealTo) throw new VaultLockedError();
    // A Decrypter of its own: the witness holds per-call state.
    const witness = new StanzaWitness();
    const d = new age.Decrypter();
    d.addIdentity(witness);
    for (const id of this.#identities) d.addIdentity(id);
    let plaintext: Uint8Array;
    let extras: string[] = [];
    try {
      plaintext = await d.decrypt(ciphertext);
      const note = witness.stanzas.find((s) => s.args[0] === EXTRAS_STANZA);
      if (note) extras = readExtras(await d.decryptHeader(ciphertext), note.body);
    } catch (err) {
      throw openError(err);
    }
    return this.seal(plaintext, extras);
  }

  async openText(ciphertext: Uint8Array): Promise<string> {
    return decoder.decode(await this.open(ciphertext));
  }

  sealJson(value: unknown, extraRecipients: readonly string[] = []): Promise<Uint8Array> {
    return this.seal(JSON.stringify(value), extraRecipients);
  }

  async openJson<T>(ciphertext: Uint8Array): Promise<T> {
    return JSON.parse(await this.openText(ciphertext)) as T;
  }
}

function openError(err: unknown): VaultOpenError {
  // The age error names no plaintext; keep only its kind for the log.
  return new VaultOpenError(`A sealed value could not be opened (${(err as Error).name}).`);
}

/** True when a stored value is age ciphertext (binary format), as every sealed column must hold. */
export function isSealed(value: unknown): boolean {
  if (!(value instanceof Uint8Array)) return false;
  const magic = "age-encryption.org/v1\n";
  if (value.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (value[i] !== magic.charCodeAt(i)) return false;
  return true;
}
