#!/usr/bin/env bun
/**
 * Builds the edge agent as one executable per platform: dist/hearth-agent-linux-x64 and
 * dist/hearth-agent-linux-arm64 (Raspberry Pi 3/4/5/Zero 2 W on a 64-bit OS).
 *
 *   bun device/compile.ts            # both
 *   bun device/compile.ts arm64      # one
 *
 * As with the appliance (scripts/compile.ts), cross-compiling needs Bun's runtime for the target,
 * which `bun build` fetches once (or HEARTH_COMPILE_RUNTIME names a local copy).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
export const AGENT_TARGETS = { x64: "bun-linux-x64", arm64: "bun-linux-arm64" } as const;
export type AgentTarget = keyof typeof AGENT_TARGETS;

export async function compileAgent(target: AgentTarget, outDir = join(ROOT, "dist")): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `hearth-agent-linux-${target}`);
  const native = target === process.arch;
  const cmd = [
    process.execPath, "build", "--compile", "--minify", "--sourcemap",
    ...(native ? [] : [`--target=${AGENT_TARGETS[target]}`]),
    ...(!native && process.env.HEARTH_COMPILE_RUNTIME ? [`--compile-executable-path=${process.env.HEARTH_COMPILE_RUNTIME}`] : []),
    // Settings come from the command line and the unit file only, never a stray .env in the working dir.
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    "--outfile", outfile, join(import.meta.dir, "src/main.ts"),
  ];
  const proc = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`bun build failed for ${AGENT_TARGETS[target]}:\n${out}${err}`);
  return outfile;
}

if (import.meta.main) {
  const targets = (process.argv.length > 2 ? process.argv.slice(2) : Object.keys(AGENT_TARGETS)) as AgentTarget[];
  for (const t of targets) {
    if (!(t in AGENT_TARGETS)) {
      console.error(`Unknown target ${t}. Targets: ${Object.keys(AGENT_TARGETS).join(", ")}.`);
      process.exit(2);
    }
    const file = await compileAgent(t);
    console.log(`${file}  ${(Bun.file(file).size / 1024 ** 2).toFixed(0)} MB`);
  }
}
