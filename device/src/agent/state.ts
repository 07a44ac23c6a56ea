// The agent's state directory: agent.json (appliance URL, device id, private key, pinned CA; mode
// 0600) and outbox.db.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type AgentState = { url: string; deviceId: string; secretKey: string; ca: string | null };

export function loadState(dir: string): AgentState {
  const path = join(dir, "agent.json");
  if (!existsSync(path)) throw new Error(`This agent is not paired yet (no ${path}). Run: hearth-agent pair --code NNNNNNNN`);
  return JSON.parse(readFileSync(path, "utf8")) as AgentState;
}

export function saveState(dir: string, s: AgentState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, "agent.json");
  writeFileSync(path, JSON.stringify(s, null, 2), { mode: 0o600 });
  chmodSync(path, 0o600);
}
