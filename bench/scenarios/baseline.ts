/** 6. Profiling a training file: rows per second and peak RSS, ours and whylogs side by side. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { writeTrainingCsv } from '../lib/csv-file.js';
import { fmt, fmtRatio, fmtSpread, type Table } from '../lib/report.js';
import { spread } from '../lib/stats.js';
import { runWorker } from '../lib/worker-client.js';
import type { ProfileResult } from '../lib/worker-types.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
/** pinned: whylogs 1.6.4 still uses `np.unicode_`, gone in NumPy 2 (and pandas 2.3+ needs NumPy 2) */
const WHYLOGS_REQUIREMENTS = ['whylogs==1.6.4', 'numpy<2', 'pandas<2.3'];

interface WhylogsResult {
  rows: number;
  seconds: number;
  columns: number;
  maxRssMiB: number;
  whylogs: string;
  pandas: string;
}

/** A venv with whylogs under ~/.cache (created once); undefined with the reason when Python or PyPI fails. */
function whylogsPython(): { python?: string; why?: string } {
  const venv = process.env.MLMON_BENCH_VENV ?? join(homedir(), '.cache', 'mlmon-bench', 'whylogs-venv');
  const python = join(venv, 'bin', 'python');
  const ok = () => spawnSync(python, ['-c', 'import whylogs, pandas'], { stdio: 'ignore' }).status === 0;
  if (existsSync(python) && ok()) return { python };
  const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (made.status !== 0) return { why: `no Python venv: ${made.stderr || made.error?.message}` };
  const pip = spawnSync(join(venv, 'bin', 'pip'), ['install', '-q', ...WHYLOGS_REQUIREMENTS], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (pip.status !== 0 || !ok())
    return { why: `pip install ${WHYLOGS_REQUIREMENTS.join(' ')} failed: ${pip.stderr.slice(-300)}` };
  return { python };
}

export async function baselineProfiling(ctx: BenchContext): Promise<Table> {
  const { sizes } = ctx;
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-bench-baseline-'));
  try {
    const file = join(dir, 'train.csv');
    ctx.log(`baseline: writing a ${(sizes.baselineBytes / 2 ** 20).toFixed(1)} MiB CSV`);
    const rows = await writeTrainingCsv(file, sizes.baselineBytes);
    const bytes = statSync(file).size;
    // the smoke mode must not need Python
    const peer = ctx.smoke ? { why: 'smoke mode' } : whylogsPython();
    const ours: ProfileResult[] = [];
    const theirs: WhylogsResult[] = [];
    let peerError: string | undefined;
    for (let r = 0; r < sizes.baselineRepeats; r++) {
      ctx.log(`baseline: ours, run ${r + 1}`);
      ours.push(await runWorker<ProfileResult>('profile', { file }, 1_800_000));
      if (peer.python && !peerError) {
        ctx.log(`baseline: whylogs, run ${r + 1}`);
        const res = spawnSync(peer.python, [join(repoRoot, 'bench', 'whylogs_profile.py'), file], {
          encoding: 'utf8',
          timeout: 1_800_000,
        });
        if (res.status === 0)
          theirs.push(JSON.parse(res.stdout.trim().split('\n').pop() as string) as WhylogsResult);
        else peerError = `whylogs failed: ${res.stderr.slice(-300)}`;
      }
    }
    const oursRate = spread(ours.map((x) => x.rows / (x.ms / 1000)));
    const peerRate = spread(theirs.map((x) => x.rows / x.seconds));
    const mbps = (rowsPerS: number) => (rowsPerS * bytes) / rows / 2 ** 20;
    const table: string[][] = [
      [
        'ours (`profileFile`, `mlmon baseline`)',
        fmtSpread(spread(ours.map((x) => x.ms / 1000)), 1),
        fmtSpread(oursRate, 0),
        fmt(mbps(oursRate.median), 1),
        fmtSpread(spread(ours.map((x) => x.maxRssMiB)), 0),
        '1.00×',
      ],
    ];
    const why = peer.why ?? peerError;
    table.push(
      theirs.length
        ? [
            `whylogs ${theirs[0]?.whylogs} (pandas ${theirs[0]?.pandas}, chunks of 100,000 rows)`,
            fmtSpread(spread(theirs.map((x) => x.seconds)), 1),
            fmtSpread(peerRate, 0),
            fmt(mbps(peerRate.median), 1),
            fmtSpread(spread(theirs.map((x) => x.maxRssMiB)), 0),
            fmtRatio(oursRate.median / peerRate.median),
          ]
        : [`whylogs (not run: ${why})`, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'],
    );
    return {
      key: 'baseline',
      title: '6. Baseline profiling',
      method: [
        `A ${(bytes / 2 ** 20).toFixed(0)} MiB CSV of ${rows.toLocaleString('en-US')} rows with the bench payload's 20 features (12 numeric, 6 categorical, a`,
        `40-word comment, a flag), profiled from disk: ours with \`profileFile\` (what \`mlmon baseline\` runs; types inferred,`,
        `bins, categories, vocabulary) in a worker process; whylogs in a Python venv, reading the file with pandas in chunks`,
        `of 100,000 rows and merging the profiles (\`bench/whylogs_profile.py\`). Peak RSS is each process's own. The ratio is`,
        `ours ÷ whylogs in rows per second. ${sizes.baselineRepeats} run(s) each (a run takes minutes).`,
      ].join('\n'),
      header: ['tool', 'seconds', 'rows/s', 'MiB/s', 'peak RSS MiB', 'ours ÷ tool (rows/s)'],
      rows: table,
      verdicts: ['REPORTED: the issue sets no goal for profiling; the figures are in the table.'],
      notes: [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
