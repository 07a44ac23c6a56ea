// FHIR R4 Observations for the FHIR export, following the vital-signs profile
// (http://hl7.org/fhir/StructureDefinition/vitalsigns and its per-code profiles): category
// vital-signs, the profile's LOINC code, a UCUM valueQuantity, effectiveDateTime, the patient as
// subject. Blood pressure is the 85354-9 panel with systolic and diastolic components, built from
// the readings one cuff measurement sent together (same device and time). Flagged readings are not
// exported as values: an implausible or artefact reading is not an observation of the patient.
import type { Hearth } from "../context.ts";
import { provideExportEntries, refTo, uuidFor } from "../clinic/record/fhir.ts";
import { readingsOf, type PatientReading } from "./readings.ts";

const PROFILES: Record<string, { profile: string; display: string; unitDisplay: string }> = {
  "8867-4": { profile: "heartrate", display: "Heart rate", unitDisplay: "beats/minute" },
  "59408-5": { profile: "oxygensat", display: "Oxygen saturation in Arterial blood by Pulse oximetry", unitDisplay: "%" },
  "8310-5": { profile: "bodytemp", display: "Body temperature", unitDisplay: "C" },
  "29463-7": { profile: "bodyweight", display: "Body weight", unitDisplay: "kg" },
};
const BP = { panel: "85354-9", systolic: "8480-6", diastolic: "8462-4" };
const UNIT_DISPLAY: Record<string, string> = { "/min": "beats/minute", "%": "%", Cel: "C", "[degF]": "F", kg: "kg", "[lb_av]": "lb", "mm[Hg]": "mmHg" };

export type FhirObservation = Record<string, unknown> & { resourceType: "Observation"; id: string };

const CATEGORY = [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs", display: "Vital Signs" }], text: "Vital Signs" }];
const loincCode = (code: string, display: string) => ({ coding: [{ system: "http://loinc.org", code, display }], text: display });
const quantity = (value: number, unit: string) => ({ value, unit: UNIT_DISPLAY[unit] ?? unit, system: "http://unitsofmeasure.org", code: unit });
// The record's export names every resource by a stable urn:uuid (clinic/record/fhir.ts).
const idOf = (r: PatientReading) => uuidFor("vitals_reading", `${r.deviceId}:${r.seq}`);
const trusted = (r: PatientReading) => r.flags.length === 0 && r.value !== null;

export function observationOf(r: PatientReading, patientId: number): FhirObservation | null {
  const p = PROFILES[r.loinc];
  if (!p || !trusted(r)) return null;
  return {
    resourceType: "Observation",
    id: idOf(r),
    meta: { profile: [`http://hl7.org/fhir/StructureDefinition/${p.profile}`] },
    status: "final",
    category: CATEGORY,
    code: loincCode(r.loinc, p.display),
    subject: refTo("person", patientId),
    effectiveDateTime: new Date(r.measuredAt).toISOString(),
    valueQuantity: quantity(r.value!, r.unit),
    device: { display: r.deviceId },
  };
}

export function bloodPressureOf(systolic: PatientReading, diastolic: PatientReading, patientId: number): FhirObservation {
  return {
    resourceType: "Observation",
    id: idOf(systolic),
    meta: { profile: ["http://hl7.org/fhir/StructureDefinition/bp"] },
    status: "final",
    category: CATEGORY,
    code: loincCode(BP.panel, "Blood pressure panel with all children optional"),
    subject: refTo("person", patientId),
    effectiveDateTime: new Date(systolic.measuredAt).toISOString(),
    component: [
      { code: loincCode(BP.systolic, "Systolic blood pressure"), valueQuantity: quantity(systolic.value!, systolic.unit) },
      { code: loincCode(BP.diastolic, "Diastolic blood pressure"), valueQuantity: quantity(diastolic.value!, diastolic.unit) },
    ],
    device: { display: systolic.deviceId },
  };
}

/** Every exportable Observation among a patient's readings (the FHIR export calls this). */
export function vitalsObservations(readings: PatientReading[], patientId: number): FhirObservation[] {
  const out: FhirObservation[] = [];
  const diastolic = new Map<string, PatientReading>();
  for (const r of readings) if (r.loinc === BP.diastolic && trusted(r)) diastolic.set(`${r.deviceId}|${r.measuredAt}`, r);
  for (const r of readings) {
    if (r.loinc === BP.systolic) {
      const d = diastolic.get(`${r.deviceId}|${r.measuredAt}`);
      if (trusted(r) && d) out.push(bloodPressureOf(r, d, patientId));
      continue;
    }
    const o = observationOf(r, patientId);
    if (o) out.push(o);
  }
  return out;
}

/** Adds each exported patient's vitals to the record's FHIR export (reads are audited by readingsOf). */
export function provideVitalsExport(hearth: Hearth): void {
  provideExportEntries(hearth, "vitals", async (scope, actorId) => {
    const patients = scope.kind === "patient" ? [scope.patientId] : scope.patientIds;
    const out: FhirObservation[] = [];
    for (const id of patients) out.push(...vitalsObservations(await readingsOf(hearth, actorId, id, { limit: 100_000 }), id));
    return out;
  });
}
