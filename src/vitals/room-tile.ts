// The facilitator's vitals tile in a live session: for each admitted patient whose readings are
// theirs (a device lent with their agreement), the latest trustworthy value per measure from the
// last 24 hours and their PHQ-9 band of the day, pushed again whenever a new one is stored. Sent to facilitators only, one by one
// (each read is audited as theirs), never to members: the Room's toFacilitators/sendTo skip
// anyone who is not an admitted clinician.
import type { FeatureMember, RoomFeature, RoomFeatureContext } from "../rooms/feature.ts";
import { readingsOf } from "./readings.ts";
import { measureName, MEASURES, UNIT_WORDS } from "./chart.ts";
import { onNewReadings } from "./live.ts";
import type { VitalsServerMessage } from "./room-protocol.ts";
import { vitalsStrings } from "./strings.ts";
import { historyOf } from "../clinic/record/measures.ts";
import { bandLabel } from "../clinic/record/strings.ts";

const DAY_MS = 86_400_000;

export class VitalsTile implements RoomFeature<never> {
  readonly types = [] as const;
  readonly #unsubscribe: () => void;

  constructor(private readonly ctx: RoomFeatureContext) {
    this.#unsubscribe = onNewReadings(ctx.hearth, (patients) => {
      for (const m of ctx.admitted()) if (patients.has(m.personId) && !ctx.isFacilitator(m)) void this.#tell(m);
    });
  }

  receive(): void {}

  admitted(member: FeatureMember): void {
    if (this.ctx.isFacilitator(member)) {
      for (const m of this.ctx.admitted()) if (!this.ctx.isFacilitator(m)) void this.#tell(m, [member]);
    } else void this.#tell(member);
  }

  #groupId(): number {
    return (this.ctx.hearth.db.query("SELECT group_id FROM group_sessions WHERE id = ?").get(this.ctx.sessionId) as { group_id: number } | null)?.group_id ?? 0;
  }

  dispose(): void {
    this.#unsubscribe();
  }

  /** The patient's tile to each facilitator (or the given ones); nothing when they have no readings. */
  async #tell(patient: FeatureMember, to?: FeatureMember[]): Promise<void> {
    const has = this.ctx.hearth.db.query("SELECT 1 FROM vitals_readings WHERE patient_id = ? AND measured_at >= ? AND flags = '' LIMIT 1").get(patient.personId, this.ctx.now() - DAY_MS);
    if (!has) return;
    for (const f of to ?? this.ctx.admitted().filter((m) => this.ctx.isFacilitator(m))) {
      const readings = await readingsOf(this.ctx.hearth, f.personId, patient.personId, { since: this.ctx.now() - DAY_MS });
      const latest: VitalsServerMessage["latest"] = [];
      for (const { loinc } of MEASURES) {
        const r = readings.filter((x) => x.loinc === loinc && x.flags.length === 0 && x.value !== null).at(-1);
        if (r) latest.push({ loinc, label: measureName(f.locale, loinc), value: `${r.value} ${UNIT_WORDS[r.unit] ?? r.unit}`, at: r.measuredAt });
      }
      // Today's PHQ-9 band beside the readings, from answers given in this session's group only.
      const phq9 = (await historyOf(this.ctx.hearth, f.personId, patient.personId, { instrument: "phq9", since: this.ctx.now() - DAY_MS, groupIds: [this.#groupId()] })).at(-1);
      if (phq9) latest.push({ loinc: "44261-6", label: "PHQ-9", value: bandLabel(f.locale, phq9.band.key), at: phq9.answeredAt });
      this.ctx.sendTo(f, { type: "vitals", heading: vitalsStrings(f.locale).vitalsTitle, memberId: patient.id, latest });
    }
  }
}
