import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elasticsearchAssets } from '../../src/assets/catalog.js';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { expectedFieldTypes, fieldTypeMismatches } from '../../src/contract/field-types.js';
import { STREAM_FAMILIES } from '../../src/contract/streams.js';
import { decidedIndexMode, winningTemplate } from '../../src/setup/live-check.js';

const baseline = {
  features: {
    age: { type: 'numeric' },
    plan: { type: 'categorical' },
    note: { type: 'text' },
  },
  prediction: { type: 'numeric', column: 'score' },
} as unknown as Baseline;

test('the fields the job reads: fixed ones, each typed feature field, the derived text fields, the prediction', () => {
  const e = expectedFieldTypes([baseline]);
  assert.deepEqual(e['mlmon.features.num.age'], ['double', 'float', 'half_float', 'scaled_float']);
  assert.deepEqual(e['mlmon.features.cat.plan'], ['keyword', 'constant_keyword']);
  assert.deepEqual(e['mlmon.features.text.note'], ['text', 'match_only_text']);
  assert.ok(e['mlmon.derived.tokens.note']?.includes('integer'));
  assert.ok(e['mlmon.derived.oov_words.note']?.includes('keyword'));
  assert.ok(e['mlmon.prediction.num']?.includes('double'));
  assert.ok(e['mlmon.model.name']?.includes('keyword'));
});

test('field caps: a dynamic text or long mapping is a mismatch naming its indices; unmapped and right types are not', () => {
  const caps = {
    indices: ['a', 'b'],
    fields: {
      'mlmon.model.name': { text: { indices: ['a'] }, keyword: { indices: ['b'] } },
      'mlmon.features.num.age': { long: {} },
      'mlmon.features.cat.plan': { keyword: {}, unmapped: { indices: ['a'] } },
      'mlmon.model.name.keyword': { keyword: {} },
    },
  };
  const m = fieldTypeMismatches(caps, expectedFieldTypes([baseline]));
  assert.deepEqual(
    m.map((x) => [x.field, x.type, x.indices]),
    [
      ['mlmon.features.num.age', 'long', ['a', 'b']],
      ['mlmon.model.name', 'text', ['a']],
    ],
  );
});

test('the winning template is the highest priority whose pattern matches; ours by _meta', () => {
  const templates = [
    { name: 'logs', index_template: { index_patterns: ['logs-*-*'], priority: 100 } },
    {
      name: 'mlmon-predictions',
      index_template: {
        index_patterns: ['logs-mlmon.predictions-*'],
        priority: 250,
        _meta: { managed_by: 'ml-input-monitor' },
      },
    },
    { name: 'other', index_template: { index_patterns: 'logs-mlmon.predictions-prod', priority: 900 } },
  ];
  assert.deepEqual(winningTemplate(templates, 'logs-mlmon.predictions-default'), {
    name: 'mlmon-predictions',
    priority: 250,
    ours: true,
  });
  assert.deepEqual(winningTemplate(templates, 'logs-mlmon.predictions-prod'), {
    name: 'other',
    priority: 900,
    ours: false,
  });
  // a "." in a pattern is a dot, not any character
  assert.equal(winningTemplate(templates, 'logs-mlmonXpredictions-a')?.name, 'logs');
  assert.equal(winningTemplate(templates, 'metrics-x-y'), undefined);
});

test('every stream template sets index.mode standard explicitly (README, "LogsDB")', () => {
  for (const f of STREAM_FAMILIES) {
    const component = elasticsearchAssets().find((a) => a.name === `mlmon-${f}@package`);
    const settings = (component?.body.template as { settings?: Record<string, unknown> } | undefined)
      ?.settings;
    assert.equal(settings?.['index.mode'], 'standard', f);
    assert.equal(decidedIndexMode(f), 'standard', f);
  }
});
