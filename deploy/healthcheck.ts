#!/usr/bin/env bun
/**
 * Docker's HEALTHCHECK (the image has no curl): exits 0 when this container's Hearth answers
 * GET /healthz on its own port, 1 otherwise. Reads the same HEARTH_* settings as the server.
 */
import { loadConfig } from "../src/config.ts";

const config = loadConfig();
const https = config.tls === "auto" || config.tls === "files";
const host = /^(0\.0\.0\.0|::|\[::\])$/.test(config.host) ? "127.0.0.1" : config.host;
const url = `${https ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${config.port}/healthz`;
try {
  // Liveness over loopback only: the certificate names the public host, not this address.
  const res = await fetch(url, { signal: AbortSignal.timeout(4000), tls: { rejectUnauthorized: false } });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
