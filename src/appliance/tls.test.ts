import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { ConfigError, loadConfig } from "../config.ts";
import { tempDir } from "../../tests/harness.ts";
import {
  TlsError,
  caNames,
  createLocalCa,
  ensureLocalCa,
  ensureServerCert,
  expectedOrigin,
  issueServerCert,
  loadCertificateFiles,
  rpIdFor,
  tlsDir,
} from "./tls.ts";

const DAY = 24 * 3600 * 1000;
const dirs: { remove(): void }[] = [];
function dir(): string {
  const d = tempDir("hearth-tls-");
  dirs.push(d);
  return d.path;
}
afterAll(() => dirs.forEach((d) => d.remove()));

function config(env: Record<string, string>) {
  return loadConfig({ HEARTH_DATA_DIR: "/tmp/unused", ...env });
}

describe("HTTPS settings", () => {
  test("plain HTTP on localhost by default, auto HTTPS for an https:// public URL, files when given", () => {
    expect(config({}).tls).toBe("off");
    const auto = config({ HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_HOSTNAMES: "192.168.1.20, Box.Clinic.example" });
    expect(auto.tls).toBe("auto");
    expect(auto.hostnames).toEqual(["hearth.local", "192.168.1.20", "box.clinic.example"]);
    const files = config({ HEARTH_PUBLIC_URL: "https://hearth.example.org", HEARTH_TLS_CERT: "c.pem", HEARTH_TLS_KEY: "k.pem" });
    expect(files.tls).toBe("files");
    expect(files.tlsCert).toEndWith("/c.pem");
    expect(config({ HEARTH_PUBLIC_URL: "https://hearth.example.org", HEARTH_TLS: "proxy" }).tls).toBe("proxy");
  });

  test("the WebAuthn RP ID and origin come from the public URL", () => {
    const c = config({ HEARTH_PUBLIC_URL: "https://hearth.test:8443" });
    expect(rpIdFor(c)).toBe("hearth.test");
    expect(expectedOrigin(c)).toBe("https://hearth.test:8443");
    expect(rpIdFor(config({}))).toBe("localhost");
  });

  const refused: [string, Record<string, string>, RegExp][] = [
    ["https URL with TLS off", { HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_TLS: "off" }, /https:\/\/ but HEARTH_TLS=off/],
    ["plain http on a LAN name", { HEARTH_PUBLIC_URL: "http://hearth.local" }, /localhost only.*https:\/\/hearth.local/],
    ["an IP address as the public host", { HEARTH_PUBLIC_URL: "https://192.168.1.20" }, /not the address 192.168.1.20/],
    ["an unknown mode", { HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_TLS: "yes" }, /HEARTH_TLS must be auto, files, proxy or off/],
    ["files without a key", { HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_TLS: "files", HEARTH_TLS_CERT: "c.pem" }, /needs both/],
    ["a certificate in auto mode", { HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_TLS: "auto", HEARTH_TLS_CERT: "c.pem" }, /only with HEARTH_TLS=files/],
    ["auto with an http URL", { HEARTH_TLS: "auto" }, /must start with https/],
    ["a bad extra host name", { HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_HOSTNAMES: "ok.local,not a name" }, /"not a name" is neither/],
    ["a redirect port without HTTPS", { HEARTH_HTTP_PORT: "8081" }, /needs HEARTH_TLS=auto or files/],
    ["the redirect on the HTTPS port", { HEARTH_PUBLIC_URL: "https://hearth.local", HEARTH_PORT: "8443", HEARTH_HTTP_PORT: "8443" }, /must differ/],
  ];
  for (const [name, env, message] of refused) {
    test(`refuses ${name} with a one-line message`, () => {
      let error: unknown;
      try {
        config(env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    });
  }
});

describe("local certificate authority", () => {
  const now = Date.now();
  const names = ["hearth.test", "192.168.1.20"];

  test("a CA and a server certificate that verify, with the configured names and sane limits", async () => {
    const ca = await createLocalCa(names, now);
    const pair = await issueServerCert(ca, names, now);
    const caCert = new X509Certificate(ca.cert);
    const leaf = new X509Certificate(pair.cert);
    expect(caCert.ca).toBe(true);
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(Date.parse(caCert.validTo) - now).toBeGreaterThan(3649 * DAY);
    expect(caNames(ca.cert)).toEqual(names);

    expect(leaf.ca).toBe(false);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.subjectAltName).toBe("DNS:hearth.test, IP Address:192.168.1.20");
    expect(leaf.checkHost("hearth.test", { subject: "never" })).toBe("hearth.test");
    expect(leaf.checkIP("192.168.1.20")).toBe("192.168.1.20");
    expect(leaf.checkHost("other.test")).toBeUndefined();
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth only
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeLessThanOrEqual(398 * DAY);
    expect(Date.parse(leaf.validFrom)).toBeLessThanOrEqual(now);
    expect(pair.key).toContain("BEGIN PRIVATE KEY");
    expect(ca.cert).not.toContain("PRIVATE KEY");
  });

  test("name constraints: a TLS client trusting the CA accepts its names and refuses any other it signs", async () => {
    const ca = await createLocalCa(["hearth.test"], now);
    const good = await issueServerCert(ca, ["hearth.test"], now);
    const rogue = await issueServerCert(ca, ["bank.example"], now);
    const handshake = (pair: { cert: string; key: string }, servername: string) =>
      new Promise<string>((resolve) => {
        const server = tls.createServer({ cert: pair.cert, key: pair.key }, (s) => s.end());
        server.listen(0, "127.0.0.1", () => {
          const port = (server.address() as { port: number }).port;
          const socket = tls.connect({ port, host: "127.0.0.1", servername, ca: ca.cert }, () => {
            socket.end();
            server.close();
            resolve("trusted");
          });
          socket.on("error", (err) => {
            server.close();
            resolve(err.message);
          });
        });
      });
    expect(await handshake(good, "hearth.test")).toBe("trusted");
    expect(await handshake(rogue, "bank.example")).toMatch(/permitted subtree violation/);
  });

  test("kept in data/tls with owner-only modes, reused on the next start", async () => {
    const data = dir();
    const ca = await ensureLocalCa(data, names, now);
    const first = await ensureServerCert(data, ca, names, now);
    expect(first.renewed).toBe(true);
    expect(statSync(tlsDir(data)).mode & 0o777).toBe(0o700);
    for (const f of ["ca.pem", "ca.crt", "server.pem"]) expect(statSync(join(tlsDir(data), f)).mode & 0o777).toBe(0o600);
    const again = await ensureLocalCa(data, names, now + DAY);
    expect(again.cert).toBe(ca.cert);
    const second = await ensureServerCert(data, again, names, now + DAY);
    expect(second.renewed).toBe(false);
    expect(second.pair.cert).toBe(first.pair.cert);
  });

  test("the server certificate is renewed within 30 days of expiry, and when the names change", async () => {
    const data = dir();
    const ca = await ensureLocalCa(data, names, now);
    const { pair } = await ensureServerCert(data, ca, names, now);
    const expiry = Date.parse(new X509Certificate(pair.cert).validTo);
    expect((await ensureServerCert(data, ca, names, expiry - 31 * DAY)).renewed).toBe(false);
    const renewed = await ensureServerCert(data, ca, names, expiry - 29 * DAY);
    expect(renewed.renewed).toBe(true);
    expect(Date.parse(new X509Certificate(renewed.pair.cert).validTo)).toBeGreaterThan(expiry + 300 * DAY);
    const fewer = await ensureServerCert(data, ca, ["hearth.test"], expiry - 29 * DAY);
    expect(fewer.renewed).toBe(true);
    expect(new X509Certificate(fewer.pair.cert).subjectAltName).toBe("DNS:hearth.test");
  });

  test("a CA is never swapped silently: names it cannot vouch for stop the start with the way out", async () => {
    const data = dir();
    await ensureLocalCa(data, ["hearth.test"], now);
    const error = await ensureLocalCa(data, ["hearth.test", "hearth.example.org"], now).catch((e) => e);
    expect(error).toBeInstanceOf(TlsError);
    expect(error.message).toContain("cannot vouch for hearth.example.org");
    expect(error.message).toContain("move");
  });
});

describe("the clinic's own certificate", () => {
  const now = Date.now();

  async function files(names: string[], at = now) {
    const data = dir();
    const ca = await createLocalCa(names, at);
    const pair = await issueServerCert(ca, names, at);
    const cert = join(data, "cert.pem");
    const key = join(data, "key.pem");
    writeFileSync(cert, pair.cert + ca.cert);
    writeFileSync(key, pair.key);
    return { cert, key, pair };
  }

  test("is served as given, chain included, when it covers the RP ID", async () => {
    const f = await files(["hearth.example.org"]);
    const pair = loadCertificateFiles(f.cert, f.key, "hearth.example.org", ["hearth.example.org"], now);
    expect(pair.cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  test("a certificate for another name is a clear start-up error naming the RP ID", async () => {
    const f = await files(["other.example.org"]);
    expect(() => loadCertificateFiles(f.cert, f.key, "hearth.example.org", [], now)).toThrow(
      /for DNS:other.example.org, not hearth.example.org, the host of HEARTH_PUBLIC_URL/,
    );
  });

  test("a key that is not the certificate's, an expired certificate and a missing file are refused", async () => {
    const a = await files(["hearth.example.org"]);
    const b = await files(["hearth.example.org"]);
    expect(() => loadCertificateFiles(a.cert, b.key, "hearth.example.org", [], now)).toThrow(/is not the key of the certificate/);
    expect(() => loadCertificateFiles(a.cert, a.key, "hearth.example.org", [], now + 400 * DAY)).toThrow(/expired on/);
    expect(() => loadCertificateFiles(a.cert + ".nope", a.key, "hearth.example.org", [], now)).toThrow(/Cannot read HEARTH_TLS_CERT/);
  });
});
