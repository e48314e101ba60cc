// The official SARIF 2.1.0 schema (vendored from oasis-tcs/sarif-spec,
// sarif-2.1/schema/sarif-schema-2.1.0.json) as a validator for the tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { default as AjvDraft04 } from 'ajv-draft-04';
import { default as formatsPlugin } from 'ajv-formats';

const schema = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures/sarif-schema-2.1.0.json'), 'utf8'),
) as object;
const ajv = new AjvDraft04.default({ allErrors: true, strict: false });
formatsPlugin.default(ajv);

export const validateSarif = ajv.compile(schema);
