import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { quantileSorted } from '../../src/baseline/accumulators.js';
import { profileFile } from '../../src/baseline/profiler.js';
import { detectFormat, INPUT_EXTENSIONS, MalformedRowError } from '../../src/baseline/readers.js';
import { parseSchema } from '../../src/baseline/schema.js';
import { ConfigError, ExitCode, MlmonError } from '../../src/contract/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mlmon-baseline-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const base = { model: 'm', version: '1' };

async function rejects(p: Promise<unknown>, exit: number, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof MlmonError, String(err));
    assert.equal(err.exitCode, exit);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a malformed CSV row fails with its line number, or is counted and skipped with --on-error skip', async () => {
  const f = file('broken.csv', 'a,b\n1,x\n2,y\n3,z,extra\n4,w\n"5,v\n');
  await assert.rejects(profileFile({ ...base, file: f }), (err: unknown) => {
    assert.ok(err instanceof MalformedRowError);
    assert.equal(err.line, 4);
    assert.equal(err.exitCode, ExitCode.badInput);
    assert.match(err.message, /line 4/);
    assert.match(err.fix ?? '', /--on-error skip/);
    return true;
  });
  const skipped = await profileFile({
    ...base,
    file: file('broken2.csv', 'a,b\n1,x\n2,y\n3,z,extra\n4,w\n'),
    onError: 'skip',
  });
  assert.equal(skipped.source.rows, 3);
  assert.equal(skipped.source.skipped_rows, 1);
  assert.ok(skipped.warnings.some((w) => /1 malformed row/.test(w)));
});

test('a malformed JSON line fails with its line number', async () => {
  const f = file('broken.jsonl', '{"a":1}\n{"a":2}\n{"a":\n[1,2]\n');
  await assert.rejects(
    profileFile({ ...base, file: f }),
    (err: unknown) => err instanceof MalformedRowError && err.line === 3,
  );
  const skipped = await profileFile({ ...base, file: f, onError: 'skip' });
  assert.equal(skipped.source.rows, 2);
  assert.equal(skipped.source.skipped_rows, 2);
});

test('empty file, header only, unknown format, missing file, not Parquet', async () => {
  await rejects(profileFile({ ...base, file: file('empty.csv', '') }), ExitCode.badInput, /is empty/);
  await rejects(profileFile({ ...base, file: file('header.csv', 'a,b\n') }), ExitCode.badInput, /no rows/);
  await rejects(
    profileFile({ ...base, file: file('data.xlsx', 'x') }),
    ExitCode.usage,
    /cannot tell the format/,
  );
  await rejects(
    profileFile({ ...base, file: file('data.txt', 'a\n1\n'), format: 'xml' }),
    ExitCode.usage,
    /unknown format "xml"/,
  );
  await rejects(
    profileFile({ ...base, file: join(dir, 'nope.csv') }),
    ExitCode.badInput,
    /cannot read .*ENOENT/,
  );
  await rejects(
    profileFile({ ...base, file: file('fake.parquet', 'not parquet at all') }),
    ExitCode.badInput,
    /not a readable Parquet/,
  );
});

test('a prediction column that is not in the file is named, with the columns that are', async () => {
  await rejects(
    profileFile({ ...base, file: file('p.csv', 'a,b\n1,2\n'), predictionColumn: 'score' }),
    ExitCode.badInput,
    /column "score"/,
  );
});

test('a numeric column with text values counts them as invalid, and missing, and warns once', async () => {
  const rows = ['x,k'];
  for (let i = 0; i < 100; i++) rows.push(`${i},a`);
  rows.push('unknown,a', 'n/a,a', ',a');
  const b = await profileFile({ ...base, file: file('mixed.csv', `${rows.join('\n')}\n`) });
  const x = b.features.x;
  assert.equal(x?.type, 'numeric');
  assert.equal(x?.invalid_count, 2);
  assert.equal(x?.na_count, 3); // two invalid, one empty
  assert.equal(x?.count, 103);
  assert.equal(b.warnings.filter((w) => /non-numeric values/.test(w)).length, 1);
});

test('schema missing_values and declared types', async () => {
  const schema = parseSchema(
    'missing_values: ["?"]\nfeatures:\n  code:\n    type: categorical\n  age:\n    missing_values: ["-1"]\n',
  );
  const b = await profileFile({ ...base, file: file('s.csv', 'code,age\n10,30\n20,-1\n?,40\n'), schema });
  assert.equal(b.features.code?.type, 'categorical');
  assert.deepEqual(b.features.code?.categorical?.values, { '10': 1, '20': 1 });
  assert.equal(b.features.code?.na_count, 1);
  assert.equal(b.features.age?.na_count, 1);
  assert.equal(b.features.age?.numeric?.mean, 35);
});

test('schema errors name the bad key', () => {
  assert.throws(
    () => parseSchema('features:\n  a:\n    type: number\n'),
    (e: unknown) => e instanceof ConfigError && e.option === 'features.a.type',
  );
  assert.throws(
    () => parseSchema('featurez: {}\n'),
    (e: unknown) => e instanceof ConfigError && e.option === 'featurez',
  );
  assert.throws(
    () => parseSchema('features:\n  a:\n    ignore: yes please\n'),
    (e: unknown) => e instanceof ConfigError && e.option === 'features.a.ignore',
  );
  assert.throws(
    () => parseSchema(': : :'),
    (e: unknown) => e instanceof ConfigError,
  );
});

test('huge cardinality warns and keeps the top values, flagged approximate', async () => {
  const lines = ['user'];
  for (let i = 0; i < 5000; i++) lines.push(`u${i % 1500}`);
  for (let i = 0; i < 300; i++) lines.push('frequent');
  const b = await profileFile({
    ...base,
    file: file('card.csv', `${lines.join('\n')}\n`),
    categoryLimit: 100,
  });
  const c = b.features.user?.categorical;
  assert.equal(c?.approximate, true);
  assert.ok(Object.keys(c?.values ?? {}).length <= 100);
  assert.ok((c?.values.frequent ?? 0) > 0, 'the most frequent value is kept');
  assert.equal(Object.values(c?.values ?? {}).reduce((s, n) => s + n, 0) + (c?.other_count ?? 0), 5300);
  assert.ok(b.warnings.some((w) => /more than 100 distinct values/.test(w)));
});

test('past the exact limit a sketch estimates the edges and a second pass counts the bins exactly', async () => {
  const values: number[] = [];
  const lines = ['x'];
  for (let i = 0; i < 5000; i++) {
    const v = Math.round(Math.exp(((i * 7919) % 5000) / 1000) * 1000) / 1000;
    values.push(v);
    lines.push(String(v));
  }
  const b = await profileFile({
    ...base,
    file: file('big.csv', `${lines.join('\n')}\n`),
    exactQuantileLimit: 500,
  });
  const n = b.features.x?.numeric;
  assert.equal(n?.quantile_method, 'sketch');
  assert.equal(n?.sketch_relative_accuracy, 0.005);
  assert.equal(
    n?.bins.counts.reduce((s, c) => s + c, 0),
    5000,
  );
  const sorted = Float64Array.from(values).sort();
  n?.bins.edges.forEach((e, i) => {
    const exact = quantileSorted(sorted, (i + 1) / 10);
    assert.ok(Math.abs(e - exact) <= 0.02 * Math.abs(exact), `edge ${i}: ${e} vs exact ${exact}`);
  });
  // exact counts for those edges
  const counts = new Array(n?.bins.edges.length + 1).fill(0);
  for (const v of values) counts[(n?.bins.edges ?? []).filter((e) => e <= v).length]++;
  assert.deepEqual(n?.bins.counts, counts);
});

test('--sample profiles about N rows, reproducibly', async () => {
  const lines = ['x,y'];
  for (let i = 0; i < 20_000; i++) lines.push(`${i},${i % 3}`);
  const f = file('sample.csv', `${lines.join('\n')}\n`);
  const a = await profileFile({ ...base, file: f, sample: 2000 });
  const again = await profileFile({ ...base, file: f, sample: 2000 });
  assert.equal(a.source.sampled, true);
  assert.ok(a.source.rows > 1500 && a.source.rows < 2500, `rows ${a.source.rows}`);
  assert.equal(again.source.rows, a.source.rows);
  assert.deepEqual(again.features.x?.numeric, a.features.x?.numeric);
});

test('the input extensions: one list, the same in `mlmon baseline --help` and README', () => {
  for (const [format, endings] of Object.entries(INPUT_EXTENSIONS))
    for (const e of endings) assert.equal(detectFormat(`train${e.toUpperCase()}`), format);
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'baseline', '--help'], {
    cwd: process.env.MLMON_REPO_ROOT ?? process.cwd(),
    encoding: 'utf8',
  }).stdout.replace(/\s+/g, ' ');
  const readme = readFileSync(join(process.env.MLMON_REPO_ROOT ?? process.cwd(), 'README.md'), 'utf8');
  const sentence = /`--from` takes CSV \(([^)]*)\), JSON Lines \(([^)]*)\) or Parquet \(([^)]*)\)/.exec(
    readme,
  );
  assert.ok(sentence, 'README says which files --from takes');
  for (const [i, format] of (['csv', 'jsonl', 'parquet'] as const).entries()) {
    const listed: string[] = (sentence[i + 1] as string).split(', ').map((x) => x.replaceAll('`', ''));
    assert.deepEqual(listed, INPUT_EXTENSIONS[format], `README, ${format}`);
    for (const e of INPUT_EXTENSIONS[format]) assert.ok(help.includes(e), `--help lists ${e}: ${help}`);
  }
});
