// FHIR R4 Observations for the FHIR export, following the vital-signs profile
// (http://hl7.org/fhir/StructureDefinition/vitalsigns and its per-code profiles): category
// vital-signs, the profile's LOINC code, a UCUM valueQuantity, effectiveDateTime, the patient as
// subject. Blood pressure is the 85354-9 panel with systolic and diastolic components, built from
// the readings one cuff measurement sent together (same device and time). Flagged readings are not
// exported as values: an implausible or artefact reading is not an observation of the patient.
import type { PatientReading } from "./readings.ts";

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
const idOf = (r: PatientReading) => `vitals-${r.deviceId.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 40)}-${r.seq}`;
const trusted = (r: PatientReading) => r.flags.length === 0 && r.value !== null;

export function observationOf(r: PatientReading, patientRef: string): FhirObservation | null {
  const p = PROFILES[r.loinc];
  if (!p || !trusted(r)) return null;
  return {
    resourceType: "Observation",
    id: idOf(r),
    meta: { profile: [`http://hl7.org/fhir/StructureDefinition/${p.profile}`] },
    status: "final",
    category: CATEGORY,
    code: loincCode(r.loinc, p.display),
    subject: { reference: patientRef },
    effectiveDateTime: new Date(r.measuredAt).toISOString(),
    valueQuantity: quantity(r.value!, r.unit),
    device: { display: r.deviceId },
  };
}

export function bloodPressureOf(systolic: PatientReading, diastolic: PatientReading, patientRef: string): FhirObservation {
  return {
    resourceType: "Observation",
    id: idOf(systolic),
    meta: { profile: ["http://hl7.org/fhir/StructureDefinition/bp"] },
    status: "final",
    category: CATEGORY,
    code: loincCode(BP.panel, "Blood pressure panel with all children optional"),
    subject: { reference: patientRef },
    effectiveDateTime: new Date(systolic.measuredAt).toISOString(),
    component: [
      { code: loincCode(BP.systolic, "Systolic blood pressure"), valueQuantity: quantity(systolic.value!, systolic.unit) },
      { code: loincCode(BP.diastolic, "Diastolic blood pressure"), valueQuantity: quantity(diastolic.value!, diastolic.unit) },
    ],
    device: { display: systolic.deviceId },
  };
}

/** Every exportable Observation among a patient's readings (the FHIR export calls this). */
export function vitalsObservations(readings: PatientReading[], patientRef: string): FhirObservation[] {
  const out: FhirObservation[] = [];
  const diastolic = new Map<string, PatientReading>();
  for (const r of readings) if (r.loinc === BP.diastolic && trusted(r)) diastolic.set(`${r.deviceId}|${r.measuredAt}`, r);
  for (const r of readings) {
    if (r.loinc === BP.systolic) {
      const d = diastolic.get(`${r.deviceId}|${r.measuredAt}`);
      if (trusted(r) && d) out.push(bloodPressureOf(r, d, patientRef));
      continue;
    }
    const o = observationOf(r, patientRef);
    if (o) out.push(o);
  }
  return out;
}
