import { createHash, type Hash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";
import { log } from "../log.ts";

/**
 * Static assets (CSS, htmx, the browser bundles) are served from memory, from local files:
 * the clinic may have no internet, so nothing comes from a CDN.
 *
 * From a source checkout: web/static/* as they are, htmx from node_modules, and every
 * web/entries/*.ts bundled by Bun.build at start. In the single binary
 * (bun build --compile) the same files are embedded and read from Bun.embeddedFiles.
 */
export interface Asset {
  /** The bytes, or for a large file its Blob (a file on disk, or the binary's embedded file), read as it is sent. */
  body: Uint8Array | Blob;
  type: string;
  etag: string;
}

const ROOT = resolve(import.meta.dir, "../..");
const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
  // WebAssembly.instantiateStreaming refuses anything else.
  ".wasm": "application/wasm",
};

/**
 * Files of browser libraries served as they are, next to the bundles: the comfort effects
 * (web/room/comfort.ts) load their model and WebAssembly by URL, from the box, never a CDN.
 */
export const VENDOR_ASSETS: readonly string[] = [
  ...["selfie_segmentation.js", "selfie_segmentation.binarypb", "selfie_segmentation.tflite", "selfie_segmentation_landscape.tflite"],
  ...["selfie_segmentation_solution_simd_wasm_bin.js", "selfie_segmentation_solution_simd_wasm_bin.wasm"],
  ...["selfie_segmentation_solution_wasm_bin.js", "selfie_segmentation_solution_wasm_bin.wasm"],
].map((f) => `node_modules/@mediapipe/selfie_segmentation/${f}`).concat(["node_modules/@jitsi/rnnoise-wasm/dist/rnnoise.wasm"]);

const assets = new Map<string, Asset>();

function add(name: string, body: Uint8Array): void {
  put(name, body, createHash("sha256").update(body));
}

/** The etag is the content's hash, whether it was read whole or streamed. */
function put(name: string, body: Uint8Array | Blob, hash: Hash): void {
  assets.set(name, { body, type: TYPES[extname(name)] ?? "application/octet-stream", etag: hash.digest("base64url").slice(0, 16) });
}

/**
 * Files past this size stay where they are (disk, or the binary's embedded files) and are read as
 * they are sent: the comfort effects' models and WebAssembly are 12 MB that most sessions never
 * ask for, and held in memory they were a fifth of the main process.
 */
const IN_MEMORY_MAX = 256 * 1024;

/** A file kept as its Blob when large (hashed by streaming it once), else read into memory. */
async function addFile(name: string, file: Blob): Promise<void> {
  if (file.size <= IN_MEMORY_MAX) return add(name, new Uint8Array(await file.arrayBuffer()));
  const hash = createHash("sha256");
  for await (const chunk of file.stream() as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  put(name, file, hash);
}

/** Browser entry points bundled for the page (web/entries/NAME.ts becomes /static/NAME.js). */
export const ENTRIES_DIR = join(ROOT, "web/entries");

export async function bundleEntries(outdir?: string): Promise<Map<string, Uint8Array>> {
  const entrypoints = readdirSync(ENTRIES_DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(ENTRIES_DIR, f));
  // format iife: each bundle in its own scope. They load as classic scripts sharing one page, and
  // minified top-level names of one (room.js) overwrote another's (shell.js: its CSRF header for htmx).
  const result = await Bun.build({ entrypoints, target: "browser", format: "iife", minify: true, sourcemap: "none", outdir });
  if (!result.success) {
    throw new Error(`Bundling the browser code failed: ${result.logs.map((l) => l.message).join("; ")}`);
  }
  const out = new Map<string, Uint8Array>();
  for (const o of result.outputs) out.set(basename(o.path), new Uint8Array(await o.arrayBuffer()));
  return out;
}

/**
 * bundleEntries() in a child process (this file run as a script): the bundler's working memory,
 * several MB that the allocator keeps once freed, stays out of the server, which then holds only
 * the bundles, as the single binary does (it bundles nothing at start).
 */
async function bundleEntriesApart(): Promise<Map<string, Uint8Array>> {
  const outdir = mkdtempSync(join(tmpdir(), "hearth-bundles-"));
  try {
    const child = Bun.spawn([process.execPath, import.meta.path, outdir], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    const [code, errors] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    if (code !== 0) throw new Error(errors.trim() || `Bundling the browser code failed (exit ${code})`);
    return new Map(readdirSync(outdir).map((f) => [f, new Uint8Array(readFileSync(join(outdir, f)))]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  await bundleEntries(process.argv[2]);
  process.exit(0);
}

export async function loadAssets(): Promise<void> {
  if (assets.size > 0) return;
  if (Bun.embeddedFiles.length > 0) {
    for (const blob of Bun.embeddedFiles) await addFile(basename((blob as Blob & { name: string }).name), blob);
    return;
  }
  const staticDir = join(ROOT, "web/static");
  for (const f of readdirSync(staticDir)) add(f, readFileSync(join(staticDir, f)));
  add("htmx.min.js", readFileSync(join(ROOT, "node_modules/htmx.org/dist/htmx.min.js")));
  for (const f of VENDOR_ASSETS) await addFile(basename(f), Bun.file(join(ROOT, f)));
  if (existsSync(ENTRIES_DIR)) {
    const started = performance.now();
    for (const [name, body] of await bundleEntriesApart()) add(name, body);
    log.debug("browser code bundled", { ms: Math.round(performance.now() - started) });
  }
}

export function getAsset(name: string): Asset | undefined {
  return assets.get(name);
}

/** A cache-busting URL: the content hash changes whenever the file does. */
export function assetUrl(name: string): string {
  const a = assets.get(name);
  return a ? `/static/${name}?v=${a.etag}` : `/static/${name}`;
}
