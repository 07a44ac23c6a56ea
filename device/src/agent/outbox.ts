// The agent's outbox: every reading is signed and written to a local SQLite file before any upload
// is tried, with a sequence number that is never reused (AUTOINCREMENT), so a SIGKILL at any point
// loses nothing. Rows leave only when the appliance acknowledged them; a reading the appliance
// refused as bad input is kept, marked held with the appliance's error, for a person to look at.
import { Database } from "bun:sqlite";
import type { Observation } from "../profiles/observation.ts";
import { signReading, type Reading, type SignedReading } from "../reading.ts";
import type { SourceReading } from "../sources/source.ts";

export class Outbox {
  readonly db: Database;
  constructor(path: string, private readonly deviceId: string, private readonly secretKey: Uint8Array) {
    this.db = new Database(path, { create: true, strict: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    this.db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      body TEXT NOT NULL,
      held_error TEXT
    );
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
  }

  /**
   * Signs and stores each observation of a source reading as one reading (at most `max` of them),
   * and counts the source reading in the same transaction, so a restarted source knows where it was.
   */
  add(r: SourceReading, measuredAt: Date, max = Infinity): number[] {
    const seqs: number[] = [];
    const tx = this.db.transaction(() => {
      for (const o of r.observations.slice(0, max)) seqs.push(this.addOne(r, o, measuredAt));
      this.bump("source_readings", 1);
      this.bump("produced", seqs.length);
    });
    tx();
    return seqs;
  }

  private bump(name: string, by: number): void {
    this.db.query("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value").run(name, by);
  }

  meta(name: "source_readings" | "produced"): number {
    return (this.db.query("SELECT value FROM meta WHERE name = ?").get(name) as { value: number } | null)?.value ?? 0;
  }

  private addOne(r: SourceReading, o: Observation, measuredAt: Date): number {
    const { seq } = this.db.query("INSERT INTO outbox (body) VALUES ('') RETURNING seq").get() as { seq: number };
    const reading: Reading = {
      deviceId: this.deviceId, seq, sensor: r.sensor, loinc: o.loinc,
      value: o.special || !Number.isFinite(o.value) ? null : o.value, unit: o.unit, special: o.special ?? null,
      measuredAt: measuredAt.toISOString(), artefact: r.artefact ?? null, battery: r.battery ?? null, firmware: r.firmware ?? null,
    };
    this.db.query("UPDATE outbox SET body = ? WHERE seq = ?").run(JSON.stringify(signReading(reading, this.secretKey)), seq);
    return seq;
  }

  pending(limit: number): SignedReading[] {
    return (this.db.query("SELECT body FROM outbox WHERE held_error IS NULL ORDER BY seq LIMIT ?").all(limit) as { body: string }[]).map((r) => JSON.parse(r.body));
  }

  acknowledge(seqs: number[]): void {
    const del = this.db.query("DELETE FROM outbox WHERE seq = ?");
    this.db.transaction(() => { for (const s of seqs) del.run(s); })();
  }

  hold(seq: number, error: string): void {
    this.db.query("UPDATE outbox SET held_error = ? WHERE seq = ?").run(error, seq);
  }

  held(): { seq: number; error: string }[] {
    return this.db.query("SELECT seq, held_error AS error FROM outbox WHERE held_error IS NOT NULL ORDER BY seq").all() as { seq: number; error: string }[];
  }

  count(): number {
    return (this.db.query("SELECT count(*) AS n FROM outbox WHERE held_error IS NULL").get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
