import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { packagePath } from '../../src/assets/package-files.js';
import {
  checkPaths,
  defaultRules,
  FEATURE_CHECKS,
  FEATURE_RULES,
  GATES,
  RULE_TABLE,
  WINDOW_RULES,
} from '../../src/rules/rule-table.js';
import { WATCH_FAMILIES } from '../../src/setup/watches.js';

test('the defaults are the documented ones, in the documented order, each with its source', () => {
  assert.equal(
    JSON.stringify(defaultRules),
    JSON.stringify({
      minSamples: 100,
      falseAlarmBudget: 0.01,
      naRateRise: { warn: 0.05, critical: 0.2 },
      unseenRate: { warn: 0.01, critical: 0.05 },
      oovRate: { warn: 0.1, critical: 0.25 },
      psi: { warn: 0.1, critical: 0.2 },
      jensenShannon: { warn: 0.1, critical: 0.2 },
      unexpectedVersion: true,
      minVolume: 0,
      volumeDrop: { warn: 0.2, critical: 0.05 },
    }),
  );
  for (const r of RULE_TABLE) assert.ok(r.source.length > 10, `${r.name} says where its defaults come from`);
  for (const g of Object.values(GATES)) assert.ok(g.source.length > 10);
  // a setting has one default: no two rows set the same one
  const keys = RULE_TABLE.flatMap((r) => Object.keys(r.defaults));
  assert.equal(new Set(keys).size, keys.length);
});

test('the table: nine rules, one name each; the feature checks name the metric-document fields they read', () => {
  assert.deepEqual(
    RULE_TABLE.map((r) => r.name),
    [
      'na_rate',
      'unseen_categories',
      'oov_words',
      'numeric_drift',
      'categorical_drift',
      'prediction_drift',
      'unexpected_version',
      'volume',
      'volume_drop',
    ],
  );
  assert.deepEqual(
    WINDOW_RULES.map((r) => [r.name, r.metric, r.path.join('.'), r.compare]),
    [
      ['unexpected_version', 'version', 'window.unexpected_versions', 'versions'],
      ['volume', 'docs', 'window.docs', 'lt'],
      ['volume_drop', 'docs_ratio', 'window.docs_ratio', 'lt'],
    ],
  );
  assert.deepEqual(
    FEATURE_CHECKS.map((c) => {
      const p = checkPaths(c);
      return [
        c.metric,
        c.kinds.join('|'),
        c.thresholds,
        p.samples?.join('.') ?? '-',
        p.evidence?.join('.') ?? '-',
      ];
    }),
    [
      [
        'na_rate_rise',
        'numeric|categorical|text|boolean|datetime|identifier',
        'naRateRise',
        '-',
        'evidence.na_rate_rise',
      ],
      ['unseen_rate_rise', 'categorical', 'unseenRate', '-', 'evidence.unseen_rate_rise'],
      ['oov_rate_rise', 'text', 'oovRate', 'metric.count', '-'],
      ['psi', 'numeric', 'psi', '-', 'evidence.psi'],
      ['js', 'categorical|boolean', 'jensenShannon', '-', 'evidence.js'],
    ],
  );
  // each kind a subject can have meets at most one test per metric: the prediction's drift is PSI or JS
  for (const subject of ['feature', 'prediction'] as const)
    for (const kind of ['numeric', 'categorical', 'text', 'boolean', 'datetime'] as const) {
      const metrics = FEATURE_RULES.filter((r) => r.subjects.includes(subject))
        .flatMap((r) => r.checks)
        .filter((c) => c.kinds.includes(kind))
        .map((c) => c.metric);
      assert.equal(new Set(metrics).size, metrics.length, `${subject} ${kind}`);
    }
});

test('every rule of the table has a watch family, and every watch family watches rules of the table', () => {
  const names = new Set(RULE_TABLE.map((r) => r.name));
  const covered = new Set(WATCH_FAMILIES.flatMap((f) => [f.rule, f.predictionRule]));
  assert.deepEqual([...covered].sort(), [...names].sort());
  for (const row of RULE_TABLE) {
    if (row.level === 'window') {
      const f = WATCH_FAMILIES.find((x) => x.rule === row.name);
      assert.ok(f?.windowLevel, `${row.name}: a window-level watch`);
      assert.deepEqual([f.metric, f.path, f.op], [row.metric, row.path, row.compare]);
      continue;
    }
    for (const check of row.checks) {
      // the family of the check's quantity raises this rule's name on the rule's subjects
      const f = WATCH_FAMILIES.find((x) => x.metric === check.metric);
      assert.ok(f, `${row.name}: a watch family compares ${check.metric}`);
      assert.equal(f.windowLevel, false);
      assert.deepEqual(f.path, checkPaths(check).value);
      if (row.subjects.includes('feature')) assert.equal(f.rule, row.name);
      if (row.subjects.includes('prediction')) assert.equal(f.predictionRule, row.name);
    }
  }
  // one family per compared quantity, and each has its data file (and no data file is left over)
  const families = WATCH_FAMILIES.map((f) => f.family);
  assert.equal(new Set(families).size, families.length);
  assert.equal(new Set(WATCH_FAMILIES.map((f) => f.metric)).size, families.length);
  const files = readdirSync(packagePath('assets/elasticsearch/watches'))
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.replace(/^mlmon-|\.json$/g, ''));
  assert.deepEqual([...files].sort(), [...families].sort());
});
