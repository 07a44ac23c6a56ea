#!/usr/bin/env bun
/**
 * The `hearth` executable. An SFU worker (a child process `hearth serve` starts, see
 * src/rooms/workers/) loads only the media code; every other command loads the CLI.
 */

// Before anything reaches @peculiar/x509 (werift's DTLS certificates, the local CA): tsyringe
// wants it first, and a bundled binary evaluates lazily loaded modules in an order of its own.
await import("reflect-metadata");

if (process.argv[2] === "sfu-worker") {
  await import("./rooms/workers/worker.ts");
} else {
  // Everything Hearth writes (database, keys, backups) is for this user alone.
  process.umask(0o077);
  const { main } = await import("./cli.ts");
  const code = await main(process.argv.slice(2));
  if (code !== 0 || process.argv[2] !== "serve") process.exit(code);
}

export {};
