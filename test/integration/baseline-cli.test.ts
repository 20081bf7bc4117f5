import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { BaselineDiff } from '../../src/baseline/diff.js';
import type { Baseline } from '../../src/contract/baseline-document.js';
import { ExitCode } from '../../src/contract/errors.js';
import { mlmon } from '../helpers/cli.js';
import { cleanup, testClient, uniqueName } from '../helpers/cluster.js';

const client = testClient();
const url = (client.connectionPool.connections[0]?.url.origin ?? '').toString();
const fixtures = new URL('../fixtures/baseline/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mlmon-bl-cli-'));
const index = uniqueName('mlmon-baselines-test');
const common = ['--node', url, '--index', index, '--dir', dir];

after(async () => {
  await cleanup(client, { indices: [index] });
  await client.close();
});

/** The fixture with changes a new training run might bring. */
function variant(): string {
  const [header, ...rows] = readFileSync(`${fixtures}train.csv`, 'utf8').trim().split(/\r?\n/);
  const cols = (header as string).split(',');
  const drop = cols.indexOf('active');
  const out = [[...cols.filter((_, i) => i !== drop), 'channel'].join(',')];
  rows.forEach((line, i) => {
    // the fixture's cells hold no commas (see scripts/golden/baseline_golden.py)
    const cells = line.split(',');
    const kept = cells.filter((_, j) => j !== drop);
    const plan = cols.indexOf('plan') - (cols.indexOf('plan') > drop ? 1 : 0);
    if (i % 10 === 0) kept[plan] = 'enterprise';
    const comment = cols.indexOf('comment');
    if (i % 4 === 0) kept[comment] = `Brand new words zebra quantum ${i}`;
    out.push([...kept, i % 2 ? 'web' : 'mobile'].join(','));
  });
  const path = join(dir, 'train-v2.csv');
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

test('baseline: profile, store, replace, list, show and diff against the real node', async () => {
  const schema = `${fixtures}schema.yml`;
  const v1 = mlmon([
    'baseline',
    '--model',
    'churn',
    '--version',
    '1',
    '--from',
    `${fixtures}train.csv`,
    '--schema',
    schema,
    ...common,
  ]);
  assert.equal(v1.code, 0, v1.stderr);
  assert.match(v1.stdout, /600 rows/);
  assert.match(v1.stdout, new RegExp(`stored in ${index} as churn@1\\n`));
  const local = JSON.parse(readFileSync(join(dir, 'churn', '1.json'), 'utf8')) as Baseline;
  assert.equal(local.source.rows, 600);

  const again = mlmon([
    'baseline',
    '--model',
    'churn',
    '--version',
    '1',
    '--from',
    `${fixtures}train.parquet`,
    '--schema',
    schema,
    ...common,
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /replaced the previous one/);
  await client.indices.refresh({ index });
  assert.equal((await client.count({ index })).count, 1);

  const v2 = mlmon([
    'baseline',
    '--model',
    'churn',
    '--version',
    '2',
    '--from',
    variant(),
    '--schema',
    schema,
    ...common,
  ]);
  assert.equal(v2.code, 0, v2.stderr);

  const list = mlmon(['baseline', 'list', '--json', '--node', url, '--index', index]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { version: string }[]).map((s) => s.version).sort(), [
    '1',
    '2',
  ]);

  const show = mlmon(['baseline', 'show', 'churn', '1', '--json', '--node', url, '--index', index]);
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout) as Baseline;
  assert.equal(shown.source.format, 'parquet', 'the replacement is what is stored');
  assert.deepEqual(shown.features, local.features, 'CSV and Parquet profiles are the same');
  const newest = JSON.parse(
    mlmon(['baseline', 'show', 'churn', '--json', '--node', url, '--index', index]).stdout,
  ) as Baseline;
  assert.equal(newest.version, '2');

  const diff = mlmon(['baseline', 'diff', 'churn', '1', '2', '--json', '--node', url, '--index', index]);
  assert.equal(diff.code, 0, diff.stderr);
  const d = JSON.parse(diff.stdout) as BaselineDiff;
  assert.deepEqual(d.added, ['channel']);
  assert.deepEqual(d.removed, ['active']);
  assert.deepEqual(d.changed.plan?.categories?.added, ['enterprise']);
  assert.ok((d.changed.comment?.vocabulary?.added_examples ?? []).includes('zebra'));
  const text = mlmon(['baseline', 'diff', 'churn', '1', '2', '--node', url, '--index', index]);
  assert.match(text.stdout, /added: {3}channel/);
  assert.match(text.stdout, /plan: .*categories \+1 \(enterprise\)/);
});

test('baseline errors: each with its documented exit code and a fix', () => {
  const missing = mlmon([
    'baseline',
    '--model',
    'm',
    '--version',
    '1',
    '--from',
    join(dir, 'nope.csv'),
    ...common,
  ]);
  assert.equal(missing.code, ExitCode.badInput);
  assert.match(missing.stderr, /cannot read .*nope\.csv/);
  const badSchema = join(dir, 'bad.yml');
  writeFileSync(badSchema, 'features:\n  age:\n    type: integer\n');
  const schema = mlmon([
    'baseline',
    '--model',
    'm',
    '--version',
    '1',
    '--from',
    `${fixtures}train.csv`,
    '--schema',
    badSchema,
    ...common,
  ]);
  assert.equal(schema.code, ExitCode.config);
  assert.match(schema.stderr, /features\.age\.type/);
  const down = mlmon(['baseline', 'list', '--node', 'http://127.0.0.1:1']);
  assert.equal(down.code, ExitCode.connection);
  assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  const usage = mlmon(['baseline', '--model', 'm']);
  assert.equal(usage.code, ExitCode.usage);
  const none = mlmon(['baseline', 'show', 'nobody', '--node', url, '--index', index]);
  assert.equal(none.code, ExitCode.badInput);
  assert.match(none.stderr, /no baseline for nobody/);
});
