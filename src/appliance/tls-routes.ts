import { policy } from "../identity/policy.ts";
import { Elysia, NotFoundError } from "elysia";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hearth } from "../context.ts";
import type { Config } from "../config.ts";
import { html, htmlResponse } from "../ui/html.ts";
import { layout } from "../ui/page.ts";
import { pageFor } from "../ui/request.ts";
import { fill } from "../ui/i18n.ts";
import { tlsStrings } from "./tls-strings.ts";
import { CA_CERT_FILE, caScope, fingerprint, tlsDir } from "./tls.ts";

/** The local CA's certificate as devices import it. It holds no key: data/tls/ca.crt is the certificate alone. */
export function caCertResponse(caPem: string): Response {
  return new Response(caPem, {
    headers: {
      "content-type": "application/x-x509-ca-cert",
      "content-disposition": 'attachment; filename="hearth-ca.crt"',
      "cache-control": "no-cache",
    },
  });
}

function steps(text: string) {
  return html`<ol>${text.split("\n").map((step) => html`<li>${step}</li>`)}</ol>`;
}

/** Per-system steps to trust the CA, with the fingerprint staff compare against the one the box printed. */
export function trustPageResponse(request: Request, config: Config, caPem: string): Response {
  const ctx = pageFor(request);
  const s = tlsStrings(ctx.locale);
  const nssCommand = 'certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "Hearth local CA" -i hearth-ca.crt';
  const systemCommand = "sudo cp hearth-ca.crt /usr/local/share/ca-certificates/ && sudo update-ca-certificates";
  const section = (id: string, title: string, body: ReturnType<typeof html>) =>
    html`<section class="card" aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${body}</section>`;
  const main = html`<div class="stack">
<div class="card"><h1>${s.trustTitle}</h1><p>${s.trustIntro}</p>
<p>${fill(s.stableName, { url: config.publicUrl })}</p>
<p><a class="button" href="/ca.crt" download="hearth-ca.crt">${s.download}</a></p>
<dl class="facts"><dt>${s.fingerprint}</dt><dd><code id="ca-fingerprint">${fingerprint(caPem)}</code></dd></dl>
<div class="notice notice-info"><p>${s.fingerprintCheck}</p></div>
<p class="muted">${fill(s.scope, { names: caScope(caPem).names.join(", ") })}</p></div>
${section("trust-windows", s.windows, steps(s.windowsSteps))}
${section("trust-macos", s.macos, steps(s.macosSteps))}
${section("trust-ios", s.ios, steps(s.iosSteps))}
${section("trust-android", s.android, steps(s.androidSteps))}
${section("trust-chromeos", s.chromeos, steps(s.chromeosSteps))}
${section(
  "trust-linux",
  s.linux,
  html`${steps(s.firefoxSteps)}<p>${s.linuxChrome}</p><pre><code>${nssCommand}</code></pre><p>${s.linuxSystem}</p><pre><code>${systemCommand}</code></pre>`,
)}
<p>${fill(s.afterwards, { url: config.publicUrl })}</p>
</div>`;
  return htmlResponse(layout(ctx, s.trustTitle, main), 200, { "cache-control": "no-cache" });
}

/** The local CA's certificate, or null when Hearth does not run its own CA (files, proxy, off). */
export function readCaCert(config: Config): string | null {
  if (config.tls !== "auto") return null;
  const file = join(tlsDir(config.dataDir), CA_CERT_FILE);
  return existsSync(file) ? readFileSync(file, "utf8") : null;
}

/**
 * Public, no sign-in: a device must be able to fetch the CA before it can trust this box. Only
 * when Hearth runs its own CA; with the clinic's own certificate there is nothing to install.
 */
export function tlsRoutes(hearth: Hearth) {
  return new Elysia({ name: "tls" })
    .get("/ca.crt", () => {
      const ca = readCaCert(hearth.config);
      if (!ca) throw new NotFoundError();
      return caCertResponse(ca);
    }, { detail: policy({ allow: "public" }) })
    .get("/trust", ({ request }) => {
      const ca = readCaCert(hearth.config);
      if (!ca) throw new NotFoundError();
      return trustPageResponse(request, hearth.config, ca);
    }, { detail: policy({ allow: "public" }) });
}
