#!/usr/bin/env bun
/**
 * Builds Hearth as one executable file per platform: dist/hearth-linux-x64, dist/hearth-linux-arm64.
 *
 *   bun scripts/compile.ts                 # x64 and arm64
 *   bun scripts/compile.ts arm64           # one target
 *   bun scripts/compile.ts x64-baseline    # x64 CPUs without AVX2 (older Celeron/Atom mini-PCs)
 *
 * The binary holds the Bun runtime, the server code, the SQL migrations (imported as text) and
 * every browser asset, so the box needs nothing else: no node_modules, no internet.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { bundleEntries, VENDOR_ASSETS } from "../src/ui/assets.ts";

const ROOT = resolve(import.meta.dir, "..");

export const TARGETS = {
  x64: { bun: "bun-linux-x64", arch: "x64" },
  arm64: { bun: "bun-linux-arm64", arch: "arm64" },
  "x64-baseline": { bun: "bun-linux-x64-baseline", arch: "x64" },
} as const;
export type TargetName = keyof typeof TARGETS;

/**
 * Browser assets travel as --asset files, not as extra entrypoints: Bun bundles a .js or .css
 * entrypoint as code (the JS never reaches Bun.embeddedFiles, the CSS is rewritten), while
 * --asset embeds the exact bytes under their file name, which is what src/ui/assets.ts serves.
 */
function assetFiles(bundleDir: string): string[] {
  const staticDir = join(ROOT, "web/static");
  const files = [
    ...readdirSync(staticDir).map((f) => join(staticDir, f)),
    join(ROOT, "node_modules/htmx.org/dist/htmx.min.js"),
    ...VENDOR_ASSETS.map((f) => join(ROOT, f)),
    ...readdirSync(bundleDir).map((f) => join(bundleDir, f)),
  ];
  const names = files.map((f) => basename(f));
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  // Assets are looked up by file name alone, so two files with one name would shadow each other.
  if (clash) throw new Error(`Two browser assets are both named ${clash}; rename one.`);
  return files;
}

function crossCompileHelp(target: TargetName): string {
  const { bun } = TARGETS[target];
  return [
    `Cross-compiling for ${bun} needs Bun's runtime for that platform, which \`bun build\` downloads`,
    `from the npm registry (package @oven/${bun.replace("arm64", "aarch64")}) the first time. That download failed.`,
    `Either build on a ${TARGETS[target].arch} machine itself (\`bun scripts/compile.ts ${target}\` there uses the`,
    `running Bun and downloads nothing), or set HEARTH_COMPILE_RUNTIME to a Bun ${Bun.version} binary for ${bun}.`,
  ].join("\n");
}

/** Builds one target into outDir and returns the path of the executable. */
export async function compile(target: TargetName, outDir = join(ROOT, "dist")): Promise<string> {
  const { bun, arch } = TARGETS[target];
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `hearth-linux-${target}`);
  const bundleDir = mkdtempSync(join(tmpdir(), "hearth-bundles-"));
  try {
    await bundleEntries(bundleDir);
    const native = arch === process.arch && target !== "x64-baseline";
    const cmd = [
      process.execPath,
      "build",
      "--compile",
      "--minify",
      // Embedded in the binary, so logged stack traces name source files and lines.
      "--sourcemap",
      // Native: the running Bun is the runtime. Cross: Bun fetches the target's runtime (or uses HEARTH_COMPILE_RUNTIME).
      ...(native ? [] : [`--target=${bun}`]),
      ...(!native && process.env.HEARTH_COMPILE_RUNTIME ? [`--compile-executable-path=${process.env.HEARTH_COMPILE_RUNTIME}`] : []),
      // Settings come from the environment (systemd's EnvironmentFile, docker -e) only: a stray .env
      // or bunfig.toml in whatever directory the binary starts in must not change how it behaves.
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      "--asset-naming=[name].[ext]",
      ...assetFiles(bundleDir).flatMap((f) => ["--asset", f]),
      "--outfile",
      outfile,
      join(ROOT, "src/main.ts"),
    ];
    const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) {
      const why = `${out}${err}`.trim();
      throw new Error(native ? `bun build failed for ${bun}:\n${why}` : `${why}\n\n${crossCompileHelp(target)}`);
    }
    // The same map is already inside the binary; the loose copy would only be shipped by mistake.
    rmSync(`${outfile}.map`, { force: true });
    return outfile;
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !(a in TARGETS));
  if (unknown.length) {
    console.error(`Unknown target ${unknown.join(", ")}. Targets: ${Object.keys(TARGETS).join(", ")}.`);
    process.exit(2);
  }
  const targets = (args.length ? args : ["x64", "arm64"]) as TargetName[];
  let failed = false;
  for (const target of targets) {
    const started = performance.now();
    try {
      const file = await compile(target);
      const mb = (Bun.file(file).size / 1024 ** 2).toFixed(0);
      console.log(`${file}  ${mb} MB  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      console.error((err as Error).message);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}
