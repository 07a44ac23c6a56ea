#!/usr/bin/env bun
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config.ts";
import { BootError, openHearth, startServer } from "./server.ts";
import { KeyError } from "./store/keys.ts";
import { StoreError } from "./store/db.ts";
import { SetupClosedError, createSetupLink } from "./identity/setup.ts";
import { commands as storeCommands } from "./store/commands.ts";
import { commands as turnCommands } from "./rooms/turn-config.ts";
import { log } from "./log.ts";

/** A command: its flags (parsed strictly, so a typo is an error) and what it does. */
export interface Command {
  summary: string;
  usage: string;
  options?: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  positionals?: number;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

const commands: Record<string, Command> = {
  serve: {
    summary: "start the appliance (web app, video, devices)",
    usage: "hearth serve",
    async run() {
      const running = await startServer(loadConfig());
      const stop = async (signal: string) => {
        log.info("stopping", { signal });
        await running.stop();
        process.exit(0);
      };
      process.on("SIGINT", () => void stop("SIGINT"));
      process.on("SIGTERM", () => void stop("SIGTERM"));
      return new Promise<number>(() => {});
    },
  },
  "setup-link": {
    summary: "print a fresh one-time link to create the first admin",
    usage: "hearth setup-link",
    async run() {
      const hearth = await openHearth(loadConfig());
      const { url } = createSetupLink(hearth.db, hearth.config.publicUrl, hearth.now());
      console.log(url);
      return 0;
    },
  },
  demo: {
    summary: "fill an EMPTY data dir with a demo clinic and print a sign-in link per demo person",
    usage: "hearth demo",
    async run() {
      // Loaded here: the demo pulls in every capability's seed data (and pdf-lib for its
      // documents), which `hearth serve` must not carry in memory.
      const { DemoRefused, runDemo } = await import("./demo/index.ts");
      const hearth = await openHearth(loadConfig());
      try {
        await runDemo(hearth);
        return 0;
      } catch (err) {
        if (err instanceof DemoRefused) {
          console.error(`hearth: ${err.message}`);
          return 1;
        }
        throw err;
      } finally {
        hearth.db.close();
      }
    },
  },
  ...storeCommands,
  ...turnCommands,
};

function usage(): string {
  // A usage longer than this gets its summary on the next line, so one long command does not
  // push every summary off an 80-column terminal.
  const COLUMN = 50;
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length).filter((n) => n <= COLUMN));
  return [
    "Usage: hearth <command> [options]",
    "",
    ...Object.values(commands).map((c) =>
      c.usage.length <= COLUMN ? `  ${c.usage.padEnd(width)}  ${c.summary}` : `  ${c.usage}\n  ${"".padEnd(width)}  ${c.summary}`,
    ),
    "",
    "Settings come from environment variables (HEARTH_DATA_DIR, HEARTH_PORT, HEARTH_HOST, HEARTH_PUBLIC_URL, ...);",
    "see docs/operations.md.",
  ].join("\n");
}

/** Finds the command: one word ("serve") or two ("audit verify"). */
function resolve(argv: string[]): { name: string; rest: string[] } | null {
  const two = `${argv[0]} ${argv[1]}`;
  if (argv.length >= 2 && commands[two]) return { name: two, rest: argv.slice(2) };
  if (argv.length >= 1 && commands[argv[0]!]) return { name: argv[0]!, rest: argv.slice(1) };
  return null;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(usage());
    return argv.length === 0 ? 2 : 0;
  }
  const found = resolve(argv);
  if (!found) {
    console.error(`hearth: unknown command "${argv.slice(0, 2).join(" ")}". Run "hearth --help" for the list.`);
    return 2;
  }
  const cmd = commands[found.name]!;
  let parsed;
  try {
    parsed = parseArgs({ args: found.rest, options: cmd.options ?? {}, allowPositionals: true, strict: true });
  } catch (err) {
    // Node's own wording explains "--" positionals at length; name the flag and the usage instead.
    const flag = /'(-[^']*)'/.exec((err as Error).message)?.[1];
    const what = (err as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag ? `unknown option ${flag}.` : (err as Error).message.split("\n")[0];
    console.error(`hearth ${found.name}: ${what} Usage: ${cmd.usage}`);
    return 2;
  }
  if (parsed.positionals.length !== (cmd.positionals ?? 0)) {
    console.error(`hearth ${found.name}: wrong number of arguments. Usage: ${cmd.usage}`);
    return 2;
  }
  try {
    return await cmd.run(parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (err) {
    if (
      err instanceof ConfigError ||
      err instanceof BootError ||
      err instanceof KeyError ||
      err instanceof StoreError ||
      err instanceof SetupClosedError
    ) {
      console.error(`hearth ${found.name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
