import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { saveBaseline } from '../../src/baseline/baseline-writer.js';
import { profileFile } from '../../src/baseline/profiler.js';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { computeWindow, type WindowMetrics } from '../../src/metrics/window.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import { createMonitor } from '../../src/transport/create-monitor.js';
import { dataStreamName } from '../../src/transport/document.js';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';
import { installPredictionTemplate } from '../helpers/templates.js';

/**
 * Verdicts on public real tables (vega-datasets), with the defaults and the README's plain usage:
 * profile a random training half, log the other half through createMonitor().logPrediction at once
 * (nothing awaited), compute the window: no unseen, NA or OOV alert. Then a drifted copy of that half
 * (a new category at 5%, NA +20 points on one feature, one numeric feature +0.5 sigma): exactly those
 * features alert on their rules. Drift rows (PSI, JS) are asserted as they behave on this branch.
 */
const client = testClient();
const baselineIndex = uniqueName('mlmon-baselines-rd');
const namespace = uniqueNamespace('rd');
let templates: string[] = [];
// the package's data folder (its exports map hides package.json): next to the resolved entry point
const data = join(new URL('../../node_modules/vega-datasets/', import.meta.url).pathname, 'data');

type Row = Record<string, unknown>;

let seed = 20261202;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};

/** Column names as a service would log them (the transport renames others): snake_case. */
const safe = (k: string) =>
  k
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

function load(file: string): Row[] {
  const text = readFileSync(join(data, file), 'utf8');
  const raw: Row[] = file.endsWith('.csv') ? parse(text, { columns: true }) : JSON.parse(text);
  return raw.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [safe(k), v])));
}

function split(rows: Row[]): { train: Row[]; live: Row[] } {
  const shuffled = rows.map((r) => ({ r, k: random() })).sort((a, b) => a.k - b.k);
  const half = Math.floor(rows.length / 2);
  return { train: shuffled.slice(0, half).map((x) => x.r), live: shuffled.slice(half).map((x) => x.r) };
}

/** The typed value a service would log: CSV cells that are numbers as numbers. */
function typed(v: unknown): unknown {
  if (typeof v === 'string' && v !== '' && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(v)) return Number(v);
  return v === '' ? null : v;
}

interface Case {
  name: string;
  file: string;
  /** the drift to inject: a categorical feature, a feature to blank, a numeric feature to shift */
  category: string;
  blank: string;
  shift: string;
  /** the types inference must give some columns */
  types: Record<string, string>;
}

const CASES: Case[] = [
  {
    name: 'movies',
    file: 'movies.json',
    category: 'mpaa_rating',
    blank: 'imdb_rating',
    shift: 'worldwide_gross',
    types: {
      title: 'identifier',
      worldwide_gross: 'numeric',
      major_genre: 'categorical',
    },
  },
  {
    name: 'cars',
    file: 'cars.json',
    category: 'origin',
    blank: 'horsepower',
    shift: 'weight_in_lbs',
    types: { name: 'text', year: 'datetime', origin: 'categorical' },
  },
  {
    name: 'seattle',
    file: 'seattle-weather.csv',
    category: 'weather',
    blank: 'wind',
    shift: 'temp_max',
    types: { date: 'datetime', weather: 'categorical', precipitation: 'numeric' },
  },
];

const baselines = new Map<string, Baseline>();
const lives = new Map<string, Row[]>();
const dir = mkdtempSync(join(tmpdir(), 'mlmon-rd-'));

before(async () => {
  templates = await installPredictionTemplate(client, namespace);
  for (const c of CASES) {
    const { train, live } = split(load(c.file));
    const file = join(dir, `${c.name}.jsonl`);
    writeFileSync(
      file,
      `${train.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typed(v)])))).join('\n')}\n`,
    );
    const b = await profileFile({ file, model: `rd-${c.name}`, version: '1' });
    await saveBaseline(client, b, baselineIndex);
    baselines.set(c.name, b);
    lives.set(c.name, live);
  }
});
after(async () => {
  await cleanup(client, {
    indices: [baselineIndex],
    dataStreams: [dataStreamName(namespace)],
    indexTemplates: templates,
  });
  await client.close();
});

/** Logs rows as the README does: createMonitor, then logPrediction for each, nothing awaited. */
async function logAll(model: string, rows: Row[], start: Date): Promise<void> {
  const monitor = createMonitor({
    client,
    namespace,
    model,
    version: '1',
    baselineIndex,
    spillDir: false,
    checkTemplate: false,
  });
  // the README's plain usage: nothing awaited (a prediction logged before its baseline loads is held)
  rows.forEach((r, i) => {
    const features = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typed(v)]));
    monitor.logPrediction({ features, timestamp: new Date(start.getTime() + i) });
  });
  assert.equal(await monitor.flush(120_000), true);
  await monitor.shutdown();
  await client.indices.refresh({ index: dataStreamName(namespace) });
}

function window(c: Case, start: Date): Promise<WindowMetrics> {
  return computeWindow(
    client,
    {
      model: `rd-${c.name}`,
      from: start,
      to: new Date(start.getTime() + 3_600_000),
      index: dataStreamName(namespace),
    },
    baselines.get(c.name) as Baseline,
    defaultRules,
  );
}

const NOVELTY_RULES = new Set(['na_rate', 'unseen_categories', 'oov_words']);
const DRIFT_RULES = new Set(['numeric_drift', 'categorical_drift']);
const describe = (m: WindowMetrics) =>
  m.alerts.map(
    (a) => `${a.rule}:${a.feature} ${a.metric}=${typeof a.value === 'number' ? a.value.toFixed(4) : a.value}`,
  );

for (const [i, c] of CASES.entries()) {
  test(`${c.name}: types by cardinality, a clean half raises nothing, a drifted half alerts exactly the drifted features`, async () => {
    const b = baselines.get(c.name) as Baseline;
    for (const [col, type] of Object.entries(c.types))
      assert.equal(b.features[col]?.type, type, `${col}: ${b.features[col]?.type_reason}`);
    for (const p of Object.values(b.features)) assert.ok(p.type_reason, 'every type says why');
    const live = lives.get(c.name) as Row[];

    const cleanStart = new Date(Date.UTC(2026, 0, 1 + i, 10));
    await logAll(`rd-${c.name}`, live, cleanStart);
    const clean = await window(c, cleanStart);
    assert.equal(clean.docs, live.length);
    console.log(`${c.name} clean (${clean.docs} docs): ${JSON.stringify(describe(clean))}`);
    for (const [name, f] of Object.entries(clean.features))
      console.log(
        `  ${name} ${f.type} na ${f.na_rate?.toFixed(3)}/${f.baseline_na_rate.toFixed(3)}` +
          (f.unseen_rate !== undefined
            ? ` unseen ${f.unseen_rate.toFixed(3)} exp ${f.expected_unseen_rate?.toFixed(3)} p ${f.unseen_p_value?.toExponential(2)}`
            : '') +
          (f.oov_rate !== undefined
            ? ` oov ${f.oov_rate.toFixed(3)} exp ${f.expected_oov_rate?.toFixed(3)} docs ${f.docs_with_oov_rate?.toFixed(3)}/${f.expected_docs_with_oov_rate?.toFixed(3)}`
            : '') +
          (f.psi !== undefined
            ? ` psi ${f.psi.toFixed(3)} ks_p ${f.ks_p_value?.toExponential(2)} oor ${f.out_of_range_rate?.toFixed(3)}`
            : '') +
          (f.distinct_share !== undefined
            ? ` distinct ${f.distinct_share.toFixed(3)}/${f.baseline_distinct_share?.toFixed(3)}`
            : '') +
          ` ${f.status}`,
      );
    assert.deepEqual(
      clean.alerts.filter((a) => NOVELTY_RULES.has(a.rule)).map((a) => `${a.rule}:${a.feature}`),
      [],
      'no NA, unseen or OOV alert on clean data',
    );
    // strict: a long-tailed categorical (movies' director, distributor: 4-22% of fresh values unseen, as
    // Good-Turing predicts) is not drift either, since the reference counts that expected unseen mass
    assert.deepEqual(
      clean.alerts.filter((a) => DRIFT_RULES.has(a.rule)).map((a) => `${a.rule}:${a.feature}`),
      [],
      'no drift alert on clean data',
    );

    // the drifted half: a new category at 5%, NA +20 points, +0.5 sigma
    const std = b.features[c.shift]?.numeric?.std as number;
    const drifted = live.map((r, j) => {
      const d = { ...r };
      if (j % 20 === 7) d[c.category] = 'never-seen-before';
      if (j % 5 === 2) d[c.blank] = null;
      const x = typed(d[c.shift]);
      if (typeof x === 'number') d[c.shift] = x + 0.5 * std;
      return d;
    });
    const driftStart = new Date(cleanStart.getTime() + 3_600_000);
    await logAll(`rd-${c.name}`, drifted, driftStart);
    const m = await window(c, driftStart);
    console.log(`${c.name} drifted (${m.docs} docs): ${JSON.stringify(describe(m))}`);
    const novelty = m.alerts.filter((a) => NOVELTY_RULES.has(a.rule)).map((a) => `${a.rule}:${a.feature}`);
    assert.deepEqual(novelty.sort(), [`na_rate:${c.blank}`, `unseen_categories:${c.category}`].sort());
    const drift = m.alerts.filter((a) => DRIFT_RULES.has(a.rule)).map((a) => `${a.rule}:${a.feature}`);
    assert.ok(drift.includes(`numeric_drift:${c.shift}`), `the shifted feature drifts: ${drift}`);
    for (const a of drift)
      assert.ok(
        [`numeric_drift:${c.shift}`, `categorical_drift:${c.category}`].includes(a),
        `drift only where injected: ${a}`,
      );
  });
}
