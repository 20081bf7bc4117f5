import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { profileFile } from '../../src/baseline/profiler.js';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { computeWindow } from '../../src/metrics/window.js';
import { defaultRules } from '../../src/rules/rule-table.js';
import { contextOf } from '../../src/transport/baseline-cache.js';
import { dataStreamName, toDocument } from '../../src/transport/document.js';
import { resolveTransportOptions } from '../../src/transport/options.js';
import { cleanup, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { installPredictionTemplate } from '../helpers/templates.js';

/**
 * The job reads a feature wherever the transport can have stored it. Documents built without the
 * baseline (a process that logged before its lookup settled, or another writer) store a text feature
 * as a category and a numeric string as a category too; they are not missing. Only the documents that
 * really lack the value count as NA, so no NA alert fires on a window that lost nothing.
 */
const client = testClient();
const namespace = uniqueNamespace('mt');
const index = dataStreamName(namespace);
let templates: string[] = [];
let baseline: Baseline;
const T0 = Date.parse('2026-05-01T10:00:00Z');
const WORDS = ['the', 'order', 'arrived', 'late', 'and', 'box', 'was', 'damaged', 'great', 'service'];

let seed = 3;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const sentence = () =>
  Array.from({ length: 4 + Math.floor(random() * 4) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(
    ' ',
  );

before(async () => {
  templates = await installPredictionTemplate(client, namespace);
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-mt-'));
  const lines = ['x,t'];
  for (let i = 0; i < 2000; i++) lines.push(`${(random() * 10).toFixed(3)},${sentence()}`);
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  baseline = await profileFile({ file: join(dir, 'train.csv'), model: 'mt', version: '1' });
  assert.equal(baseline.features.t?.type, 'text');
  assert.equal(baseline.features.x?.type, 'numeric');
  const opts = resolveTransportOptions({ namespace });
  const context = contextOf(baseline, opts.sanitize);
  // 600 documents: the first 200 built without the baseline, 12 of the rest without t at all
  const operations = [];
  for (let i = 0; i < 600; i++) {
    const features: Record<string, unknown> = { x: random() * 10 };
    if (!(i >= 200 && i < 212)) features.t = sentence();
    const doc = toDocument(
      { features, timestamp: T0 + i * 10, id: String(i) },
      {
        id: String(i),
        namespace,
        sanitize: opts.sanitize,
        defaults: { model: 'mt', version: '1' },
        ...(i < 200 ? {} : { baseline: () => context }),
      },
    );
    if (i === 0) assert.equal(typeof (doc.mlmon.features.cat as Record<string, string>).t, 'string');
    if (i === 300) assert.equal(typeof (doc.mlmon.features.text as Record<string, string>).t, 'string');
    operations.push({ create: { _index: index } }, doc);
  }
  const res = await client.bulk({ operations, refresh: true });
  assert.equal(res.errors, false);
});

after(async () => {
  await cleanup(client, { dataStreams: [index], indexTemplates: templates });
  await client.close();
});

test('a text feature stored as a category before the baseline loaded is not missing; an absent one is', async () => {
  const m = await computeWindow(
    client,
    { model: 'mt', from: new Date(T0), to: new Date(T0 + 60_000), index },
    baseline,
    defaultRules,
  );
  assert.equal(m.docs, 600);
  // 12 of 600 lack t: 2%, the 200 stored under the categorical field are present
  assert.equal(m.features.t?.na_rate, 12 / 600);
  assert.equal(m.features.x?.na_rate, 0);
  assert.deepEqual(
    m.alerts.filter((a) => a.rule === 'na_rate'),
    [],
  );
});
