// @peculiar/x509 (over WebCrypto) makes the certificates: key generation and signing run in Bun's
// native crypto, so a CA and a server certificate take milliseconds even on a Raspberry Pi, where
// pure-JS node-forge takes far longer; it is already in the tree through @simplewebauthn/server.
// It needs a Reflect polyfill (tsyringe), loaded before it.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { AsnConvert } from "@peculiar/asn1-schema";
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from "@peculiar/asn1-x509";
import { X509Certificate, createHash, createPrivateKey } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { Config } from "../config.ts";
import { log } from "../log.ts";

x509.cryptoProvider.set(crypto);

const DAY = 24 * 3600 * 1000;
const CA_DAYS = 3650;
// Browsers refuse leaf certificates valid for more than 398 days.
const SERVER_DAYS = 397;
export const RENEW_BEFORE_MS = 30 * DAY;
// Devices whose clock runs a little behind still accept a certificate made just now.
const BACKDATE_MS = 3600 * 1000;
const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A certificate problem the person running Hearth can fix; the server turns it into a one-line start-up error. */
export class TlsError extends Error {}

/** The WebAuthn relying party: passkeys are bound to the public URL's host name. */
export function rpIdFor(config: Pick<Config, "publicUrl">): string {
  return new URL(config.publicUrl).hostname;
}

/** The origin browsers report in WebAuthn responses (scheme, host and port). */
export function expectedOrigin(config: Pick<Config, "publicUrl">): string {
  return new URL(config.publicUrl).origin;
}

/** What Bun.serve takes: PEM certificate (chain) and PEM private key. */
export interface TlsPair {
  cert: string;
  key: string;
}

export interface LocalCa extends TlsPair {
  /** The names this CA was made for (its name constraints permit their DNS names). */
  names: string[];
}

/** SHA-256 of the certificate's DER, as browsers and OS certificate viewers print it. */
export function fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

function pem(der: ArrayBuffer, label: string): string {
  return x509.PemConverter.encode(der, label) + "\n";
}

async function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(EC, true, ["sign", "verify"]);
}

async function keyPem(key: CryptoKey): Promise<string> {
  return pem(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function sanEntry(name: string): x509.JsonGeneralName {
  return isIP(name) ? { type: "ip", value: name } : { type: "dns", value: name };
}

/** One permitted subtree: this DNS name and the names under it. */
function subtreeFor(name: string): GeneralSubtree {
  return new GeneralSubtree({ base: new GeneralName({ dNSName: name }) });
}

/**
 * Name constraints keep a leaked CA key from vouching for anyone else's site: the CA may sign only
 * the clinic's DNS names. Without configured addresses it may sign no IP address at all (RFC 5280
 * leaves a name form without constraints unconstrained, hence the explicit exclusion). With
 * configured addresses, IPs stay unconstrained: BoringSSL's verifier (Bun's fetch and tls, for one)
 * rejects any certificate whose IP address meets an IP constraint ("unsupported name constraint
 * type"), while Chromium, Firefox, Apple, Windows and OpenSSL would have honoured it.
 */
function nameConstraints(names: string[]): x509.Extension {
  const dns = names.filter((n) => !isIP(n));
  const anyAddress = [new GeneralName({ iPAddress: "0.0.0.0/0" }), new GeneralName({ iPAddress: "::/0" })];
  const value = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees(dns.map(subtreeFor)),
    excludedSubtrees: dns.length === names.length ? new GeneralSubtrees(anyAddress.map((base) => new GeneralSubtree({ base }))) : undefined,
  });
  return new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(value));
}

function subtreeKey(subtree: GeneralSubtree): string {
  return Buffer.from(AsnConvert.serialize(subtree)).toString("hex");
}

function constraintsOf(caPem: string): NameConstraints | null {
  const ext = new x509.X509Certificate(caPem).getExtension(id_ce_nameConstraints);
  return ext ? AsnConvert.parse(ext.value, NameConstraints) : null;
}

/** The DNS names a CA may vouch for, and whether it may vouch for IP addresses at all. */
export function caScope(caPem: string): { names: string[]; addresses: boolean } {
  const nc = constraintsOf(caPem);
  return {
    names: (nc?.permittedSubtrees ?? []).flatMap((s) => (s.base.dNSName ? [s.base.dNSName] : [])),
    addresses: !(nc?.excludedSubtrees ?? []).some((s) => s.base.iPAddress === "0.0.0.0/0"),
  };
}

function caCovers(caPem: string, names: string[]): boolean {
  const nc = constraintsOf(caPem);
  if (!nc) return false;
  const permitted = new Set((nc.permittedSubtrees ?? []).map(subtreeKey));
  const { addresses } = caScope(caPem);
  return names.every((n) => (isIP(n) ? addresses : permitted.has(subtreeKey(subtreeFor(n)))));
}

function commonName(text: string): string {
  return text.length <= 64 ? text : text.slice(0, 61) + "...";
}

/** A new local certificate authority for the clinic's names: ECDSA P-256, ten years. */
export async function createLocalCa(names: string[], now: number): Promise<LocalCa> {
  const keys = await newKeys();
  const day = new Date(now).toISOString().slice(0, 10);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName(`Hearth local CA ${names[0]} ${day}`)] }, { O: ["Hearth"] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_DAYS * DAY),
    signingAlgorithm: EC,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      nameConstraints(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: pem(cert.rawData, "CERTIFICATE"), key: await keyPem(keys.privateKey), names };
}

/** A server certificate for `names`, signed by the local CA: ECDSA P-256, 397 days. */
export async function issueServerCert(ca: LocalCa, names: string[], now: number): Promise<TlsPair> {
  const caCert = new x509.X509Certificate(ca.cert);
  const der = x509.PemConverter.decodeFirst(ca.key);
  const caKey = await crypto.subtle.importKey("pkcs8", der, EC, false, ["sign"]);
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: [{ CN: [commonName(names[0]!)] }, { O: ["Hearth"] }],
    issuer: caCert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + SERVER_DAYS * DAY),
    signingAlgorithm: EC,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map(sanEntry)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: pem(cert.rawData, "CERTIFICATE"), key: await keyPem(keys.privateKey) };
}

/** The first certificate in a PEM bundle (the leaf, in a chain file). */
function leafOf(pemText: string): X509Certificate {
  return new X509Certificate(pemText);
}

/** Whether a certificate names `host` in its subjectAltName, the way browsers check it (never the CN). */
export function covers(cert: X509Certificate, host: string): boolean {
  return isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host, { subject: "never", wildcards: true }) !== undefined;
}

function sameNames(cert: X509Certificate, names: string[]): boolean {
  const listed = (cert.subjectAltName ?? "")
    .split(", ")
    .map((e) => e.replace(/^(DNS|IP Address):/, "").toLowerCase())
    .sort();
  return JSON.stringify(listed) === JSON.stringify([...names].map((n) => n.toLowerCase()).sort());
}

/** Why a server certificate must be replaced now, or null while it is good. */
export function renewalReason(pair: TlsPair, ca: LocalCa, names: string[], now: number): string | null {
  const cert = leafOf(pair.cert);
  if (!cert.verify(new X509Certificate(ca.cert).publicKey)) return "not signed by the current CA";
  if (!sameNames(cert, names)) return "host names changed";
  if (Date.parse(cert.validFrom) > now) return "not valid yet";
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return "expires within 30 days";
  return null;
}

/** Writes a secret file so that a crash leaves the old one or the new one, never half of either. */
function writeSecret(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The data/tls directory: the local CA (ca.pem, key and certificate), ca.crt for devices, server.pem. */
export function tlsDir(dataDir: string): string {
  return join(dataDir, "tls");
}

const CA_FILE = "ca.pem";
export const CA_CERT_FILE = "ca.crt";
const SERVER_FILE = "server.pem";

function splitPair(text: string): TlsPair {
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(text)?.[0];
  const cert = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.join("");
  if (!key || !cert) throw new TlsError("incomplete");
  return { cert, key };
}

function readPair(path: string): TlsPair | null {
  if (!existsSync(path)) return null;
  try {
    const pair = splitPair(readFileSync(path, "utf8"));
    leafOf(pair.cert);
    return pair;
  } catch {
    return null;
  }
}

function openDir(dataDir: string): string {
  const dir = tlsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * The local CA in data/tls, created on first start. A CA is never replaced behind the clinic's back:
 * every device trusts it by hand, so names it cannot vouch for are a start-up error with the way out.
 */
export async function ensureLocalCa(dataDir: string, names: string[], now: number): Promise<LocalCa> {
  const dir = openDir(dataDir);
  const file = join(dir, CA_FILE);
  if (existsSync(file)) {
    const pair = readPair(file);
    if (!pair) throw new TlsError(`${file} is damaged. Move it aside to make a new local CA (every device must then trust the new one).`);
    const ca = { ...pair, names: caScope(pair.cert).names };
    if (!caCovers(ca.cert, names)) {
      const missing = names.filter((n) => !caCovers(ca.cert, [n]));
      throw new TlsError(
        `The local CA in ${dir} was made for ${ca.names.join(", ")} and cannot vouch for ${missing.join(", ")}. ` +
          `To change names, move ${file} aside and start again; every device must then trust the new CA (see /trust).`,
      );
    }
    if (!existsSync(join(dir, CA_CERT_FILE))) writeSecret(join(dir, CA_CERT_FILE), ca.cert);
    return ca;
  }
  const ca = await createLocalCa(names, now);
  writeSecret(file, ca.key + ca.cert);
  writeSecret(join(dir, CA_CERT_FILE), ca.cert);
  log.info("local certificate authority created", { names: names.join(","), fingerprint: fingerprint(ca.cert) });
  return ca;
}

/** The server certificate in data/tls, issued anew when missing, stale or about to expire. */
export async function ensureServerCert(dataDir: string, ca: LocalCa, names: string[], now: number): Promise<{ pair: TlsPair; renewed: boolean }> {
  const file = join(openDir(dataDir), SERVER_FILE);
  const current = readPair(file);
  const reason = current ? renewalReason(current, ca, names, now) : "missing";
  if (current && !reason) return { pair: current, renewed: false };
  const pair = await issueServerCert(ca, names, now);
  writeSecret(file, pair.key + pair.cert);
  log.info("server certificate issued", { reason: reason!, names: names.join(","), notAfter: leafOf(pair.cert).validTo });
  return { pair, renewed: true };
}

/** The clinic's own certificate and key, checked the way a browser and Bun will use them. */
export function loadCertificateFiles(certFile: string, keyFile: string, rpId: string, names: string[], now: number): TlsPair {
  const read = (path: string, setting: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (err) {
      throw new TlsError(`Cannot read ${setting} (${path}): ${(err as NodeJS.ErrnoException).code ?? "unreadable"}.`);
    }
  };
  const pair = { cert: read(certFile, "HEARTH_TLS_CERT"), key: read(keyFile, "HEARTH_TLS_KEY") };
  let leaf: X509Certificate;
  try {
    leaf = leafOf(pair.cert);
  } catch {
    throw new TlsError(`HEARTH_TLS_CERT (${certFile}) is not a PEM certificate.`);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(pair.key))) throw new TlsError("mismatch");
  } catch (err) {
    throw new TlsError(
      err instanceof TlsError
        ? `HEARTH_TLS_KEY (${keyFile}) is not the key of the certificate in HEARTH_TLS_CERT.`
        : `HEARTH_TLS_KEY (${keyFile}) is not an unencrypted PEM private key.`,
    );
  }
  if (!covers(leaf, rpId)) {
    throw new TlsError(
      `The certificate in HEARTH_TLS_CERT is for ${leaf.subjectAltName ?? "no host names"}, not ${rpId}, the host of HEARTH_PUBLIC_URL ` +
        "and the name passkeys are bound to. Use a certificate for that name or change HEARTH_PUBLIC_URL.",
    );
  }
  if (Date.parse(leaf.validTo) <= now) throw new TlsError(`The certificate in HEARTH_TLS_CERT expired on ${leaf.validTo}; replace it.`);
  if (Date.parse(leaf.validFrom) > now) throw new TlsError(`The certificate in HEARTH_TLS_CERT is not valid until ${leaf.validFrom}; check the clock.`);
  for (const name of names) if (!covers(leaf, name)) log.warn("certificate does not cover a configured host name", { name });
  if (Date.parse(leaf.validTo) - now < RENEW_BEFORE_MS) log.warn("certificate expires soon; replace HEARTH_TLS_CERT", { notAfter: leaf.validTo });
  return pair;
}

/** A digest to tell whether a certificate changed without keeping two copies around. */
function digest(pair: TlsPair): string {
  return createHash("sha256").update(pair.cert).update(pair.key).digest("hex");
}

/**
 * The certificate Hearth serves, kept current: in `auto` mode issued by the local CA and renewed
 * 30 days before it expires; in `files` mode the clinic's files, re-read so a replaced certificate
 * (e.g. by certbot) is picked up without a restart.
 */
export class CertificateKeeper {
  #pair: TlsPair;
  #ca: LocalCa | null;

  private constructor(
    private readonly config: Config,
    pair: TlsPair,
    ca: LocalCa | null,
  ) {
    this.#pair = pair;
    this.#ca = ca;
  }

  /** Null when Hearth serves plain HTTP (development, or behind a proxy that ends HTTPS). */
  static async open(config: Config, now: number): Promise<CertificateKeeper | null> {
    if (config.tls === "auto") {
      const ca = await ensureLocalCa(config.dataDir, config.hostnames, now);
      const { pair } = await ensureServerCert(config.dataDir, ca, config.hostnames, now);
      return new CertificateKeeper(config, pair, ca);
    }
    if (config.tls === "files") {
      return new CertificateKeeper(config, loadCertificateFiles(config.tlsCert!, config.tlsKey!, rpIdFor(config), config.hostnames, now), null);
    }
    return null;
  }

  get current(): TlsPair {
    return this.#pair;
  }

  /** The local CA's certificate (never its key), in auto mode. */
  get caCert(): string | null {
    return this.#ca?.cert ?? null;
  }

  get notAfter(): number {
    return Date.parse(leafOf(this.#pair.cert).validTo);
  }

  /** Renews or re-reads the certificate; true when the one to serve changed. Never throws: the old one keeps serving. */
  async refresh(now: number): Promise<boolean> {
    const before = digest(this.#pair);
    try {
      if (this.#ca) {
        this.#pair = (await ensureServerCert(this.config.dataDir, this.#ca, this.config.hostnames, now)).pair;
      } else {
        this.#pair = loadCertificateFiles(this.config.tlsCert!, this.config.tlsKey!, rpIdFor(this.config), this.config.hostnames, now);
      }
    } catch (err) {
      log.error("certificate check failed; still serving the current one", { kind: (err as Error).name, reason: (err as Error).message });
    }
    return digest(this.#pair) !== before;
  }
}
