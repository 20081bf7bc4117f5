/**
 * `npm run bench -- --smoke` end to end: the bench starts a node of its own, runs every scenario at
 * tiny sizes and writes the report to a temporary file (never BENCHMARKS.md). Keeps the scripts working;
 * the figures of a smoke run mean nothing, but their presence, form and the outage counts do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

/** The rows of the first table in a section, as cells. */
function tableRows(section: string): string[][] {
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map((l) =>
    l
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim()),
  );
}

/** A figure cell: a number, optionally followed by the range of the runs, e.g. `12.3 (11.9–13.0)`. */
const numeric = (cell: string | undefined) =>
  /^-?[\d,]+(\.\d+)?( \(-?[\d,.]+–-?[\d,.]+\))?$/.test(cell ?? '');

test('the smoke bench writes every table with a numeric row for ours and each peer', {
  timeout: 280_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-bench-smoke-'));
  try {
    const out = join(dir, 'BENCHMARKS.md');
    const env: NodeJS.ProcessEnv = { ...process.env, MLMON_REPO_ROOT: repoRoot };
    delete env.ES_URL;
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
      timeout: 270_000,
    });
    assert.equal(
      res.status,
      0,
      `bench --smoke failed:\n${res.stdout.slice(-3000)}\n${res.stderr.slice(-3000)}`,
    );
    const report = readFileSync(out, 'utf8');
    assert.match(report, /smoke mode/);
    assert.match(report, /\*\*Machine:\*\* \d+ cores/);
    for (const tool of [
      'winston-elasticsearch',
      'pino-elasticsearch',
      '@elastic/elasticsearch',
      'Elasticsearch',
    ]) {
      assert.match(
        report,
        new RegExp(`\\| ${tool.replace(/[/.]/g, '\\$&')}[^|]* \\| \\d+\\.\\d+\\.\\d+`),
        tool,
      );
    }
    const sections = new Map(
      report
        .split('\n## ')
        .slice(1)
        .map((s) => [s.split('\n')[0] as string, s] as const),
    );
    const section = (title: string) => {
      const s = sections.get(title);
      assert.ok(s, `section "${title}" in:\n${[...sections.keys()].join('\n')}`);
      assert.match(s, /Reproduce: `npm run bench -- --only [a-z-]+`/);
      assert.match(s, /^- (MET|MISSED|REPORTED)/m, `a verdict in ${title}`);
      return tableRows(s);
    };
    const row = (rows: string[][], ...first: string[]) => {
      const r = rows.find((x) => first.every((f, i) => x[i] === f));
      assert.ok(r, `row ${first.join(' ')} in ${JSON.stringify(rows)}`);
      return r;
    };
    const loggers = ['ours', 'winston-elasticsearch', 'pino-elasticsearch'];

    const requestPath = section('1. Request-path cost');
    for (const state of ['up', 'down']) {
      for (const tool of loggers) {
        const r = row(requestPath, tool, state);
        assert.ok(numeric(r[2]) && numeric(r[3]), `median and p99: ${r.join(' | ')}`);
        assert.match(r[4] as string, /^\d+\.\d\d×$/);
      }
    }

    const throughput = section('2. Throughput');
    for (const tool of [...loggers, 'bulk-helper']) {
      const r = row(throughput, tool);
      assert.ok(r.slice(1, 5).every(numeric), `seconds, docs/s, CPU, RSS: ${r.join(' | ')}`);
    }

    const memory = section('3. Memory under outage');
    for (const tool of loggers) {
      const r = row(memory, tool);
      assert.ok(r.slice(1, 5).every(numeric), `RSS figures: ${r.join(' | ')}`);
    }

    const outage = section('4. Outage');
    for (const tool of loggers) {
      const r = row(outage, tool);
      assert.ok(r.slice(1, 5).every(numeric), `counts: ${r.join(' | ')}`);
    }
    // the one figure that holds at any size: ours survives the stop with nothing lost or doubled
    assert.deepEqual(row(outage, 'ours').slice(1, 5), ['600', '600', '0', '0']);

    const job = section('5. Job scaling');
    for (const docs of ['1,000', '3,000']) {
      const r = row(job, docs);
      assert.ok(r.slice(1, 5).every(numeric), `window figures: ${r.join(' | ')}`);
    }

    const verdicts = section('7. Verdicts on real data');
    // a share of windows with its count: 0.5% (1/200)
    const share = (cell: string | undefined) => /^\d+\.\d% \(\d+\/\d+\)( †)?$/.test(cell ?? '');
    for (const table of ['cars', 'earthquakes']) {
      const aa = verdicts.find(
        (r) => r[0] === 'A/A: windows with any alert' && r[1]?.startsWith(`${table} (`),
      );
      assert.ok(aa && aa.length >= 3 && aa.slice(2).every(share), `A/A row of ${table}: ${aa?.join(' | ')}`);
      // eight shifts per table, the language only where a table has text
      const shifts = verdicts.filter((r) => r[1] === table);
      assert.equal(shifts.length, table === 'earthquakes' ? 9 : 8, `${table}: ${JSON.stringify(shifts)}`);
      for (const r of shifts) assert.ok(r.slice(2).every(share), `detection row: ${r.join(' | ')}`);
    }
    assert.ok(verdicts.some((r) => r[0]?.startsWith('text in another language') && r[1] === 'earthquakes'));

    const baseline = section('6. Baseline profiling');
    assert.ok(row(baseline, 'ours (`profileFile`, `mlmon baseline`)').slice(1, 5).every(numeric));
    assert.ok(
      baseline.some((r) => r[0]?.startsWith('whylogs')),
      'the whylogs row (not run in smoke mode)',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
