import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { ConfigError, loadConfig } from "../config.ts";
import { BootError, startServer } from "../server.ts";
import { Elysia } from "elysia";
import type { Hearth } from "../context.ts";
import { HttpsService } from "./https.ts";
import { startTestServer, tempDir, testConfig, type TestServer } from "../../tests/harness.ts";
import {
  TlsError,
  caScope,
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
    expect(caScope(ca.cert)).toEqual({ names: ["hearth.test"], addresses: true });
    expect(caScope((await createLocalCa(["hearth.test"], now)).cert)).toEqual({ names: ["hearth.test"], addresses: false });

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

/** The certificate a TLS client is shown on this port. */
function servedCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "hearth.test", rejectUnauthorized: false }, () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(der));
    });
    socket.on("error", reject);
  });
}

describe("serving HTTPS", () => {
  let server: TestServer;
  let plain: TestServer;
  let ca: string;
  // The certificate also names 127.0.0.1, so a client can check it without a resolver rule.
  const get = (path: string, init: RequestInit = {}) => fetch(`https://127.0.0.1:${server.port}${path}`, { ...init, tls: { ca } });

  test("starts with the local CA's certificate for the public host", async () => {
    server = await startTestServer({ HEARTH_PUBLIC_URL: "https://hearth.test:0", HEARTH_HOSTNAMES: "127.0.0.1", HEARTH_HTTP_PORT: "0" });
    plain = await startTestServer();
    ca = readFileSync(join(tlsDir(server.dataDir), "ca.crt"), "utf8");
    expect(server.url).toStartWith("https://");
    expect(server.hearth.config.publicUrl).toBe(`https://hearth.test:${server.port}`);
    const served = await servedCertificate(server.port);
    expect(served.checkHost("hearth.test", { subject: "never" })).toBe("hearth.test");
    expect(served.verify(new X509Certificate(ca).publicKey)).toBe(true);
    const res = await get("/healthz");
    expect(res.status).toBe(200);
  });

  test("HSTS on every HTTPS response, error pages included, and never over plain HTTP", async () => {
    for (const path of ["/healthz", "/preferences", "/no-such-page"]) {
      expect((await get(path)).headers.get("strict-transport-security")).toBe("max-age=31536000");
    }
    expect((await fetch(`${plain.url}/preferences`)).headers.get("strict-transport-security")).toBeNull();
    const redirect = await fetch(`http://127.0.0.1:${server.https!.httpPort}/`, { redirect: "manual" });
    expect(redirect.headers.get("strict-transport-security")).toBeNull();
  });

  test("plain HTTP redirects to the public HTTPS address, whatever Host the request claims", async () => {
    const http = `http://127.0.0.1:${server.https!.httpPort}`;
    const page = await fetch(`${http}/preferences?saved=1`, { redirect: "manual", headers: { host: "evil.example" } });
    expect(page.status).toBe(301);
    expect(page.headers.get("location")).toBe(`https://hearth.test:${server.port}/preferences?saved=1`);
    const post = await fetch(`${http}/preferences`, { method: "POST", redirect: "manual", body: "lang=fr" });
    expect(post.status).toBe(308);
    expect(post.headers.get("location")).toBe(`https://hearth.test:${server.port}/preferences`);
  });

  test("/ca.crt gives the CA certificate alone, over HTTPS and plain HTTP, never a key", async () => {
    for (const res of [await get("/ca.crt"), await fetch(`http://127.0.0.1:${server.https!.httpPort}/ca.crt`)]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/x-x509-ca-cert");
      const body = await res.text();
      expect(body).toBe(ca);
      expect(body.match(/-----BEGIN /g)).toHaveLength(1);
      expect(body).not.toMatch(/PRIVATE KEY/);
      expect(new X509Certificate(body).ca).toBe(true);
    }
    expect((await fetch(`${plain.url}/ca.crt`)).status).toBe(404);
  });

  test("/trust shows the install steps and the CA fingerprint, in English and French, before the device trusts the CA", async () => {
    const fp = new X509Certificate(ca).fingerprint256;
    const en = await (await get("/trust")).text();
    expect(en).toContain(fp);
    for (const system of ["Windows", "macOS", "iPhone", "Android", "ChromeOS", "Firefox"]) expect(en).toContain(system);
    const fr = await fetch(`http://127.0.0.1:${server.https!.httpPort}/trust`, { headers: { "accept-language": "fr" } });
    expect(fr.status).toBe(200);
    expect(fr.headers.get("content-security-policy")).toContain("default-src 'self'");
    const frText = await fr.text();
    expect(frText).toContain("Faire confiance à ce Hearth");
    expect(frText).toContain(fp);
    const css = await fetch(`http://127.0.0.1:${server.https!.httpPort}/static/hearth.css`, { redirect: "manual" });
    expect(css.status).toBe(200);
  });

  test("the certificate is renewed within 30 days of expiry and served without a restart", async () => {
    const before = await servedCertificate(server.port);
    expect(await server.https!.renew()).toBe(false);
    server.clock.advance(Date.parse(before.validTo) - server.clock.now - 29 * DAY);
    expect(await server.https!.renew()).toBe(true);
    const after = await servedCertificate(server.port);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(Date.parse(after.validTo)).toBeGreaterThan(Date.parse(before.validTo));
    expect(after.verify(new X509Certificate(ca).publicKey)).toBe(true);
    expect(readFileSync(join(tlsDir(server.dataDir), "ca.crt"), "utf8")).toBe(ca);
    // The new certificate starts at the test clock's "now", a year ahead: only check that requests are served.
    expect((await fetch(`https://127.0.0.1:${server.port}/healthz`, { tls: { rejectUnauthorized: false } })).status).toBe(200);
  });

  test("closes", async () => {
    await server.close();
    await plain.close();
  });
});

describe("start-up errors", () => {
  test("the clinic's certificate not covering the public host stops the start, naming the RP ID", async () => {
    const data = dir();
    const ca = await createLocalCa(["other.example.org"], Date.now());
    const pair = await issueServerCert(ca, ["other.example.org"], Date.now());
    writeFileSync(join(data, "cert.pem"), pair.cert);
    writeFileSync(join(data, "key.pem"), pair.key);
    const config = testConfig(join(data, "hearth"), {
      HEARTH_PUBLIC_URL: "https://hearth.example.org:0",
      HEARTH_TLS_CERT: join(data, "cert.pem"),
      HEARTH_TLS_KEY: join(data, "key.pem"),
    });
    const error = await startServer(config, { quiet: true }).catch((e) => e);
    expect(error).toBeInstanceOf(BootError);
    expect(error.message).toContain("not hearth.example.org, the host of HEARTH_PUBLIC_URL");
    expect(existsSync(join(data, "hearth", "hearth.pid"))).toBe(false);
  });
});

// Bun's WebSocket takes TLS options as its second argument; the DOM typing only knows protocols.
const TlsWebSocket = WebSocket as unknown as new (url: string, options: { tls: object }) => WebSocket;

describe("renewal and open sessions", () => {
  test("a renewed certificate waits while a WebSocket is open, and is served once it closes (or a day before expiry)", async () => {
    const data = dir();
    const clock = { now: Date.now() };
    const config = testConfig(data, { HEARTH_PUBLIC_URL: "https://hearth.test:0", HEARTH_HOSTNAMES: "127.0.0.1" });
    const https = (await HttpsService.open(config, clock.now))!;
    const app = new Elysia().ws("/live", { message: (ws, m) => ws.send(m) });
    app.listen({ port: 0, hostname: "127.0.0.1", tls: https.tls });
    https.start(app, { config, now: () => clock.now } as unknown as Hearth);
    const ca = readFileSync(join(tlsDir(data), "ca.crt"), "utf8");
    const port = () => app.server!.port!;
    // Certificates issued after the clock moves start in the future: check the chain, not the dates, there.
    const open = async (tls: object = { ca }) => {
      const ws = new TlsWebSocket(`wss://127.0.0.1:${port()}/live`, { tls });
      await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
      return ws;
    };
    try {
      const first = await servedCertificate(port());
      const ws = await open();
      clock.now = Date.parse(first.validTo) - 29 * DAY;
      expect(await https.renew()).toBe(false);
      expect((await servedCertificate(port())).serialNumber).toBe(first.serialNumber);
      ws.close();
      while (app.server!.pendingWebSockets > 0) await Bun.sleep(5);
      expect(await https.renew()).toBe(true);
      const second = await servedCertificate(port());
      expect(second.serialNumber).not.toBe(first.serialNumber);

      // A day before the served certificate expires, waiting is over: open sessions or not.
      await open({ rejectUnauthorized: false });
      expect(app.server!.pendingWebSockets).toBe(1);
      clock.now = Date.parse(second.validTo) - 12 * 3600 * 1000;
      expect(await https.renew()).toBe(true);
      expect((await servedCertificate(port())).serialNumber).not.toBe(second.serialNumber);
    } finally {
      await https.stop();
      await app.stop(true);
    }
  });
});
