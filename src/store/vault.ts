import * as age from "age-encryption";

export class VaultLockedError extends Error {
  constructor() {
    super("The appliance is locked: an admin must unlock it first.");
  }
}

export class VaultOpenError extends Error {}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Seals and opens patient data as age ciphertext (binary age format, stored in BLOB columns).
 * Seals to the current appliance recipient plus any extra recipients an item is shared with;
 * opens with every identity it holds (the current one, and during a rotation the next one).
 */
export class Vault {
  #sealTo: string | null = null;
  #decrypter: age.Decrypter | null = null;
  #listeners = new Set<() => void>();

  get unlocked(): boolean {
    return this.#sealTo !== null;
  }

  /** identities[0] is the one new values are sealed to. */
  async unlock(identities: string[]): Promise<void> {
    if (identities.length === 0) throw new Error("unlock needs at least one identity");
    const d = new age.Decrypter();
    for (const id of identities) d.addIdentity(id);
    this.#sealTo = await age.identityToRecipient(identities[0]!);
    this.#decrypter = d;
    for (const fn of this.#listeners) fn();
  }

  lock(): void {
    this.#sealTo = null;
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
    if (!this.#sealTo) throw new VaultLockedError();
    const e = new age.Encrypter();
    e.addRecipient(this.#sealTo);
    for (const r of extraRecipients) e.addRecipient(r);
    return e.encrypt(typeof plaintext === "string" ? encoder.encode(plaintext) : plaintext);
  }

  async open(ciphertext: Uint8Array): Promise<Uint8Array> {
    if (!this.#decrypter) throw new VaultLockedError();
    try {
      return await this.#decrypter.decrypt(ciphertext);
    } catch (err) {
      // The age error names no plaintext; keep only its kind for the log.
      throw new VaultOpenError(`A sealed value could not be opened (${(err as Error).name}).`);
    }
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
