/**
 * The official Adaptive Card JSON schema of the version Gatehouse's Teams card declares (test/fixtures/README.md says
 * where it comes from), compiled with ajv (draft-06, as the schema is written).
 */
import { readFileSync } from "node:fs";

import Ajv from "ajv";
import draft06 from "ajv/lib/refs/json-schema-draft-06.json" with { type: "json" };

export interface CardValidator {
  (card: unknown): boolean;
  /** The last call's errors (null when it passed). */
  readonly errors: unknown;
}

export function adaptiveCardValidator(version: string): CardValidator {
  const ajv = new Ajv({ allErrors: true, schemaId: "auto" });
  ajv.addMetaSchema(draft06);
  const validate = ajv.compile(JSON.parse(readFileSync(`test/fixtures/adaptive-card-${version}.schema.json`, "utf8")) as object);
  const check = (card: unknown) => validate(card) === true;
  return Object.defineProperty(check, "errors", { get: () => validate.errors }) as CardValidator;
}
