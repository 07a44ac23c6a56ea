import http from "node:http";
import type { TestServer } from "../../tests/harness.ts";
import { SoftAuthenticator } from "./softkey.ts";
import { hashToken } from "./tokens.ts";

/**
 * A person using Hearth from a program, for API tests: a cookie jar, the page's CSRF token, a
 * software authenticator, and (optionally) a source address of its own on the loopback range,
 * so tests can be "another address" without trusting any header.
 */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export class Client {
  readonly cookies = new Map<string, string>();
  readonly key: SoftAuthenticator;
  csrf = "";

  constructor(
    readonly server: TestServer,
    readonly opts: { localAddress?: string } = {},
  ) {
    this.key = new SoftAuthenticator(new URL(server.hearth.config.publicUrl).origin);
  }

  /** Who this client is signed in as (read from its session cookie, as the server would). */
  get personId(): number {
    const row = this.server.hearth.db
      .query<{ person_id: number }, [string]>("SELECT person_id FROM sessions WHERE id_hash = ?")
      .get(hashToken(this.cookies.get("hearth_session") ?? ""));
    if (!row) throw new Error("this client is not signed in");
    return row.person_id;
  }

  send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (payload !== undefined && !h["content-type"]) h["content-type"] = typeof body === "string" ? "application/x-www-form-urlencoded" : "application/json";
    // As a browser does: a declared length (the server refuses a parsed body sent chunked, with 411).
    if (payload !== undefined) h["content-length"] = String(Buffer.byteLength(payload));
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: this.server.port, path, method, headers: h, localAddress: this.opts.localAddress }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          for (const c of res.headers["set-cookie"] ?? []) {
            const [pair, ...attrs] = c.split(";");
            const eq = pair!.indexOf("=");
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            if (attrs.some((a) => /max-age=0/i.test(a.trim())) || value === "") this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      });
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async get(path: string): Promise<Reply> {
    const r = await this.send("GET", path);
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(r.text)?.[1];
    if (token) this.csrf = token;
    return r;
  }

  /** A state-changing request with the CSRF token, as the page's script would send it. */
  post(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send("POST", path, body ?? {}, { ...(this.csrf ? { "x-csrf-token": this.csrf } : {}), ...headers });
  }

  /** Runs a registration ceremony: options, the authenticator, verify. */
  async register(base: string, fields: Record<string, string> = {}): Promise<Reply> {
    const o = await this.post(`${base}/options`, fields);
    if (o.status !== 200) return o;
    const response = this.key.register(o.json<{ options: never }>().options);
    return this.post(`${base}/verify`, { ...fields, response });
  }

  async signIn(credential = this.key.credentials.at(-1)): Promise<Reply> {
    const o = await this.post("/signin/options");
    const response = this.key.assert(o.json<{ options: { challenge: string } }>().options, credential);
    const r = await this.post("/signin/verify", { response });
    if (r.status === 200) await this.get("/");
    return r;
  }

  /** The same person on a new device session (same passkeys), signed in now. */
  async again(opts: { localAddress?: string } = {}): Promise<Client> {
    const c = new Client(this.server, opts);
    c.key.credentials.push(...this.key.credentials);
    const r = await c.signIn();
    if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${r.text}`);
    return c;
  }

  /** A passkey check for a "fresh" action. */
  async confirm(): Promise<Reply> {
    const o = await this.post("/confirm/options");
    const { options } = o.json<{ options?: { challenge: string } }>();
    if (!options) return o;
    return this.post("/confirm/verify", { response: this.key.assert(options) });
  }
}

/** The first admin, from the setup link the server printed. */
export async function firstAdmin(server: TestServer, name = "Ada Admin"): Promise<Client> {
  const admin = new Client(server);
  const path = new URL(server.setupLink!).pathname;
  await admin.get(path);
  const r = await admin.register(path, { displayName: name });
  if (r.status !== 200) throw new Error(`setup failed: ${r.status} ${r.text}`);
  await admin.get("/");
  return admin;
}

/** Creates an invitation as `by` and returns its path (/invite/TOKEN). */
export async function invite(by: Client, role: string, extra: Record<string, string> = {}): Promise<string> {
  await by.get("/invitations");
  const form = new URLSearchParams({ role, ...extra }).toString();
  const r = await by.post("/invitations", form);
  const url = /value="([^"]+)"[^>]*data-invite-link/.exec(r.text)?.[1];
  if (r.status !== 201 || !url) throw new Error(`invitation failed: ${r.status}`);
  return new URL(url).pathname;
}

/** Accepts an invitation with a new software authenticator; returns the signed-in person. */
export async function accept(server: TestServer, path: string, name: string, opts: { localAddress?: string } = {}): Promise<Client> {
  const c = new Client(server, opts);
  await c.get(path);
  const r = await c.register(path, { displayName: name });
  if (r.status !== 200) throw new Error(`accepting failed: ${r.status} ${r.text}`);
  await c.get("/");
  return c;
}
