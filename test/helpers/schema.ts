import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

/** A JSON schema from test/fixtures, compiled strictly (every error reported). */
export function fixtureSchema(file: string) {
  const schema = JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  return new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(
    schema,
  );
}
