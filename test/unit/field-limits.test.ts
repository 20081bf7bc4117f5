import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJsonAsset } from '../../src/assets/package-files.js';
import { FIELD_LIMITS, INDEX_LIMITS } from '../../src/contract/limits.js';
import { INGEST_LIMITS } from '../../src/setup/pipelines.js';
import { resolveTransportOptions } from '../../src/transport/options.js';

interface Template {
  template: {
    settings: Record<string, unknown>;
    mappings: {
      dynamic_templates: Record<
        string,
        { path_match: string | string[]; mapping: Record<string, unknown> }
      >[];
      properties: Record<string, unknown>;
    };
  };
}
const template = readJsonAsset<Template>(
  'assets/elasticsearch/component-templates/mlmon-predictions@package.json',
);
const dynamic = (name: string) =>
  template.template.mappings.dynamic_templates.find((d) => name in d)?.[name]?.mapping ?? {};

/** Every field a mapping declares (objects count, as Elasticsearch counts them against the limit). */
function countFields(properties: Record<string, unknown>): number {
  let n = 0;
  for (const v of Object.values(properties)) {
    n++;
    const p = (v as { properties?: Record<string, unknown> }).properties;
    if (p) n += countFields(p);
  }
  return n;
}

test("the limits in contract/limits.ts are the predictions template's", () => {
  assert.equal(template.template.settings['index.mapping.total_fields.limit'], INDEX_LIMITS.totalFields);
  assert.equal(template.template.settings['index.mapping.total_fields.ignore_dynamic_beyond_limit'], true);
  assert.equal(dynamic('mlmon_cat').ignore_above, INDEX_LIMITS.categoryIgnoreAbove);
  assert.equal(dynamic('mlmon_derived_words').ignore_above, INDEX_LIMITS.oovWordIgnoreAbove);
  // the template's own fields fit in the reserve, outside the features' budget
  const own = countFields(template.template.mappings.properties);
  assert.ok(own < INDEX_LIMITS.reservedFields, `${own} fields of the template`);
  // a cut string still fits a keyword: the string bound is above ignore_above, so both apply
  assert.ok(FIELD_LIMITS.maxStringLength >= INDEX_LIMITS.categoryIgnoreAbove);
});

test('the sanitizer and the ingest pipelines read them from there', () => {
  const s = resolveTransportOptions({ spillDir: false }).sanitize;
  assert.equal(s.maxCategoryLength, INDEX_LIMITS.categoryIgnoreAbove);
  assert.equal(s.maxStringLength, FIELD_LIMITS.maxStringLength);
  assert.equal(s.fields?.budget, INDEX_LIMITS.totalFields - INDEX_LIMITS.reservedFields);
  assert.equal(INGEST_LIMITS.max_category_length, INDEX_LIMITS.categoryIgnoreAbove);
  assert.equal(INGEST_LIMITS.max_string_length, FIELD_LIMITS.maxStringLength);
});
