import { KeyError } from "./keys.ts";

/**
 * Passphrases for the CLI come from the environment or from a hidden prompt on a terminal,
 * never from argv (which every local user can read in the process list).
 */
export async function passphraseFrom(envName: string, question: string, env: Record<string, string | undefined> = process.env): Promise<string | undefined> {
  const fromEnv = env[envName];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) return undefined;
  return askHidden(question);
}

/** Asks on the terminal without echoing what is typed. */
export function askHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo goes off before the question shows: a person (or a script) answering the moment it
    // appears would otherwise have the first keys echoed by the terminal.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    let typed = "";
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new KeyError("Cancelled; nothing was changed."));
        if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on("data", onData);
  });
}
