import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as age from "age-encryption";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NightlyBackups, nextRunAt, type Timers } from "./nightly.ts";
import { openHearth } from "../server.ts";
import type { Hearth } from "../context.ts";
import { BACKUP_NAME } from "../store/backup.ts";
import { tempDir, testConfig } from "../../tests/harness.ts";

/** Timers the test fires by hand: no waiting for 02:30. */
function manualTimers() {
  const pending: { fn: () => Promise<void>; ms: number }[] = [];
  const timers: Timers = {
    set(fn, ms) {
      const t = { fn, ms };
      pending.push(t);
      return t;
    },
    clear(h) {
      pending.splice(pending.indexOf(h as (typeof pending)[number]), 1);
    },
  };
  return { timers, pending };
}

describe("nextRunAt", () => {
  test("is later today before the hour, tomorrow from the hour on", () => {
    const morning = new Date(2026, 2, 10, 1, 0).getTime();
    expect(nextRunAt(morning, "02:30")).toBe(new Date(2026, 2, 10, 2, 30).getTime());
    const exactly = new Date(2026, 2, 10, 2, 30).getTime();
    expect(nextRunAt(exactly, "02:30")).toBe(new Date(2026, 2, 11, 2, 30).getTime());
    const evening = new Date(2026, 2, 10, 23, 59).getTime();
    expect(nextRunAt(evening, "00:05")).toBe(new Date(2026, 2, 11, 0, 5).getTime());
  });
});

describe("nightly backups", () => {
  let dir: ReturnType<typeof tempDir>;
  let hearth: Hearth;
  let clock: number;
  let backups: string;

  async function setUp(env: Record<string, string>) {
    dir = tempDir();
    backups = join(dir.path, "backups");
    mkdirSync(backups);
    clock = new Date(2026, 2, 10, 12, 0).getTime();
    hearth = await openHearth(testConfig(join(dir.path, "data"), { HEARTH_BACKUP_DIR: backups, ...env }), { now: () => clock });
  }
  beforeEach(() => {
    clock = 0;
  });
  afterEach(() => {
    hearth?.db.close();
    dir?.remove();
  });

  test("runs at HEARTH_BACKUP_AT, keeps HEARTH_BACKUP_KEEP of its own files, and audits each run", async () => {
    const recipient = await age.identityToRecipient(await age.generateIdentity());
    await setUp({ HEARTH_BACKUP_RECIPIENTS: recipient, HEARTH_BACKUP_AT: "02:30", HEARTH_BACKUP_KEEP: "2" });
    const decoys = ["clinic-notes.txt", "hearth-backup-manual.tar.age"];
    for (const d of decoys) writeFileSync(join(backups, d), "not ours");
    const { timers, pending } = manualTimers();
    const nightly = new NightlyBackups(hearth, timers);
    nightly.start();
    for (let night = 0; night < 3; night++) {
      expect(pending.length).toBe(1);
      const due = pending[0]!;
      expect(clock + due.ms).toBe(nextRunAt(clock, "02:30"));
      pending.shift();
      clock += due.ms;
      await due.fn();
    }
    // The fourth night is already scheduled.
    expect(pending.length).toBe(1);
    await nightly.stop();
    expect(pending.length).toBe(0);

    const ours = readdirSync(backups).filter((n) => BACKUP_NAME.test(n)).sort();
    expect(ours.length).toBe(2);
    expect(readdirSync(backups).filter((n) => decoys.includes(n)).sort()).toEqual(decoys.sort());
    const rows = hearth.db.query<{ action: string; outcome: string; actor: string }, []>("SELECT * FROM audit_log WHERE action = 'backup.created'").all();
    expect(rows.map((r) => [r.actor, r.outcome])).toEqual([["system", "ok"], ["system", "ok"], ["system", "ok"]]);
  });

  test("a failed night is logged and audited, and the next night is still scheduled", async () => {
    const recipient = await age.identityToRecipient(await age.generateIdentity());
    await setUp({ HEARTH_BACKUP_RECIPIENTS: recipient });
    rmSync(backups, { recursive: true }); // the USB disk was unplugged
    const { timers, pending } = manualTimers();
    const nightly = new NightlyBackups(hearth, timers);
    nightly.start();
    const due = pending.shift()!;
    clock += due.ms;
    await due.fn();
    expect(pending.length).toBe(1);
    await nightly.stop();
    const row = hearth.db.query<{ outcome: string }, []>("SELECT outcome FROM audit_log WHERE action = 'backup.created'").get();
    expect(row?.outcome).toBe("failed");
  });

  test("is off without recipients, and off without a backup folder", async () => {
    await setUp({});
    const { timers, pending } = manualTimers();
    new NightlyBackups(hearth, timers).start();
    expect(pending.length).toBe(0);
    hearth.config = { ...hearth.config, backupDir: undefined, backupRecipients: [await age.identityToRecipient(await age.generateIdentity())] };
    new NightlyBackups(hearth, timers).start();
    expect(pending.length).toBe(0);
  });
});
