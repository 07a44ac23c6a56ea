import type { AnyElysia } from "elysia";
import type { Server } from "bun";
import type { Config } from "../config.ts";
import type { Hearth } from "../context.ts";
import { SECURITY_HEADERS } from "../ui/security.ts";
import { log } from "../log.ts";
import { CertificateKeeper, TlsError, fingerprint, type TlsPair } from "./tls.ts";
import { caCertResponse, trustPageResponse } from "./tls-routes.ts";

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
// While video sessions are open, a renewed certificate waits (they keep their connection either way).
const QUIET_RETRY_MS = 10 * 60 * 1000;

function withHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) response.headers.set(k, v);
  return response;
}

/**
 * Hearth over HTTPS: the certificate to listen with, the plain-HTTP listener that sends browsers to
 * the HTTPS address, and the daily renewal.
 *
 * Bun's server.reload() keeps the TLS context it started with, so a renewed certificate gets a new
 * listener on the same port (Elysia listens with SO_REUSEPORT) and the old one drains: open
 * connections finish on the old certificate, which is still valid for weeks. The swap waits until
 * no WebSocket is open, so a group session is never split across two servers.
 */
export class HttpsService {
  #redirect: Server<undefined> | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #draining = new Set<Server<unknown>>();
  #servedNotAfter: number;
  #app: AnyElysia | null = null;
  #hearth: Hearth | null = null;

  private constructor(readonly keeper: CertificateKeeper) {
    this.#servedNotAfter = keeper.notAfter;
  }

  /** Null when Hearth serves plain HTTP. A certificate problem is a TlsError with a message for the operator. */
  static async open(config: Config, now: number): Promise<HttpsService | null> {
    const keeper = await CertificateKeeper.open(config, now);
    return keeper && new HttpsService(keeper);
  }

  /** What app.listen takes for HTTPS. */
  get tls(): TlsPair {
    return this.keeper.current;
  }

  /** The redirect listener's port, when there is one. */
  get httpPort(): number | null {
    return this.#redirect?.port ?? null;
  }

  /** Starts the redirect listener (HEARTH_HTTP_PORT) and the daily certificate check. */
  start(app: AnyElysia, hearth: Hearth): void {
    this.#app = app;
    this.#hearth = hearth;
    const { httpPort, host } = hearth.config;
    if (httpPort !== undefined) {
      try {
        this.#redirect = Bun.serve({ port: httpPort, hostname: host, fetch: (request) => this.#plainHttp(request) });
      } catch (err) {
        throw new TlsError(`Port ${httpPort} on ${host} (HEARTH_HTTP_PORT) cannot be used: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
      }
    }
    this.#timer = setInterval(() => void this.renew(), DAY);
    this.#timer.unref();
  }

  /**
   * Plain HTTP only redirects to the HTTPS address, except for what a device needs before it trusts
   * the local CA: the CA certificate and its install steps (with their styles). These are public and
   * hold no key; the fingerprint on the page is checked against the one the box printed at start.
   */
  #plainHttp(request: Request): Response | Promise<Response> {
    const hearth = this.#hearth!;
    const url = new URL(request.url);
    const ca = this.keeper.caCert;
    const read = request.method === "GET" || request.method === "HEAD";
    if (read && ca && url.pathname === "/ca.crt") return withHeaders(caCertResponse(ca));
    if (read && ca && url.pathname === "/trust") return withHeaders(trustPageResponse(request, hearth.config, ca));
    if (read && ca && url.pathname.startsWith("/static/")) return this.#app!.handle(request);
    // The target comes from configuration, never from the Host header, so this cannot redirect elsewhere.
    const location = `${hearth.config.publicUrl}${url.pathname}${url.search}`;
    return new Response(null, { status: read ? 301 : 308, headers: { location, "cache-control": "no-store" } });
  }

  /** Renews (auto) or re-reads (files) the certificate and serves the new one; true once it is served. */
  async renew(): Promise<boolean> {
    const hearth = this.#hearth;
    if (!hearth) return false;
    const changed = await this.keeper.refresh(hearth.now());
    if (!changed && !this.#retry) return false;
    return this.#swap();
  }

  #swap(): boolean {
    const app = this.#app!;
    const hearth = this.#hearth!;
    const old = app.server;
    if (!old) return false;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    if (old.pendingWebSockets > 0 && hearth.now() < this.#servedNotAfter - DAY) {
      this.#retry = setTimeout(() => void this.renew(), QUIET_RETRY_MS);
      this.#retry.unref();
      log.info("new certificate waits for open sessions to end", { webSockets: old.pendingWebSockets });
      return false;
    }
    // A second listen must not run other plugins' onStart hooks again.
    const startHooks = app.event.start;
    app.event.start = undefined;
    try {
      app.listen({ port: old.port, hostname: hearth.config.host, tls: this.keeper.current });
    } finally {
      app.event.start = startHooks;
    }
    this.#draining.add(old);
    void old.stop(false).finally(() => this.#draining.delete(old));
    this.#servedNotAfter = this.keeper.notAfter;
    log.info("serving the new certificate", { notAfter: new Date(this.#servedNotAfter).toISOString() });
    return true;
  }

  /** Lines for the operator at start: where devices get the CA, and its fingerprint to compare. */
  startupNotice(publicUrl: string): string | null {
    const ca = this.keeper.caCert;
    if (!ca) return null;
    const plain = this.httpPort ? `, or over plain HTTP on port ${this.httpPort}` : "";
    return `Each device must trust this box's certificate authority once: open ${publicUrl}/trust${plain}.\nCA fingerprint (SHA-256), to compare on each device:\n  ${fingerprint(ca)}`;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    this.#timer = this.#retry = null;
    await Promise.all([this.#redirect?.stop(true), ...[...this.#draining].map((s) => s.stop(true))]);
    this.#redirect = null;
  }
}
