/**
 * `npm run bench` writes BENCHMARKS.md: ours against the peers, on a node the bench starts for itself.
 *
 *   npm run bench                         the full run (under 30 minutes on 2 cores)
 *   npm run bench -- --smoke              tiny sizes, written to a temporary file unless --out is given
 *   npm run bench -- --only throughput    one scenario (comma-separated keys)
 *   npm run bench -- --out file.md --note "text for the Noise line"
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { Command } from 'commander';
import { type BenchContext, fullSizes, smokeSizes } from './lib/context.js';
import { loadAverage, machineDescription, shortMachine, shortVersions, toolVersions } from './lib/machine.js';
import { freePort, startBenchNode } from './lib/node.js';
import { renderReport, type Table } from './lib/report.js';
import { installBenchTemplates } from './lib/setup.js';
import { keptSections } from './lib/soak-section.js';
import { baselineProfiling } from './scenarios/baseline.js';
import { jobScaling } from './scenarios/job-scaling.js';
import { memoryOutage } from './scenarios/memory-outage.js';
import { outage } from './scenarios/outage.js';
import { requestPath } from './scenarios/request-path.js';
import { throughput } from './scenarios/throughput.js';
import { verdicts } from './scenarios/verdicts.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

// run order: the outage restarts the node, so it goes last; the report lists them by number
const scenarios: Record<string, (ctx: BenchContext) => Promise<Table>> = {
  'request-path': requestPath,
  throughput,
  'memory-outage': memoryOutage,
  'job-scaling': jobScaling,
  baseline: baselineProfiling,
  verdicts,
  outage,
};

const opts = new Command()
  .name('bench')
  .option('--smoke', 'tiny sizes: checks that the scripts work; the figures mean nothing')
  .option('--out <file>', 'where to write the report')
  .option('--only <keys>', `scenarios to run: ${Object.keys(scenarios).join(', ')}`)
  .option('--note <text>', "what else ran on the machine (the report's Noise line)")
  .parse()
  .opts<{ smoke?: boolean; out?: string; only?: string; note?: string }>();

const smoke = opts.smoke === true;
// only a full run replaces BENCHMARKS.md: a smoke run or a single scenario goes to a file of its own
const out =
  opts.out ??
  (smoke
    ? join(tmpdir(), 'BENCHMARKS.smoke.md')
    : opts.only
      ? join(tmpdir(), `BENCHMARKS.${opts.only.replaceAll(',', '+')}.md`)
      : join(repoRoot, 'BENCHMARKS.md'));
const keys = opts.only ? opts.only.split(',').map((k) => k.trim()) : Object.keys(scenarios);
const unknown = keys.filter((k) => !scenarios[k]);
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const loadBefore = loadAverage();
const log = (m: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}`);
log(`starting a node of the bench's own (${smoke ? 'smoke' : 'full'} run)`);
const node = await startBenchNode();
const tables: Table[] = [];
let failed = false;
try {
  const client = new Client({ node: node.url });
  await installBenchTemplates(client);
  await client.close();
  const ctx: BenchContext = {
    node,
    url: node.url,
    deadUrl: `http://127.0.0.1:${await freePort()}`,
    sizes: smoke ? smokeSizes : fullSizes,
    smoke,
    runId: Date.now().toString(36),
    log,
  };
  for (const key of keys) {
    const run = scenarios[key] as (ctx: BenchContext) => Promise<Table>;
    const t = performance.now();
    try {
      tables.push(await run(ctx));
      log(`${key} done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    } catch (e) {
      failed = true;
      log(`${key} FAILED: ${e instanceof Error ? e.stack : e}`);
    }
  }
} finally {
  log('stopping the bench node');
  await node.dispose();
}

const loadAfter = loadAverage();
tables.sort((a, b) => a.title.localeCompare(b.title));
const versions = toolVersions(node.version);
const command = `npm run bench${smoke ? ' -- --smoke' : ''}${opts.only ? ` -- --only ${opts.only}` : ''}`;
const report = renderReport(
  {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    smoke,
    machine: machineDescription(),
    shortMachine: shortMachine(),
    versions,
    shortVersions: shortVersions(versions),
    noise: `${opts.note ? `${opts.note} ` : ''}One-minute load average ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end, on ${cpus().length} cores.`,
    durationS: (performance.now() - started) / 1000,
  },
  tables,
);
// the soak's section (bench/soak.ts) and the label join's (bench/labels-join.ts) are runs of their own:
// carried over, not lost
const soak = existsSync(out) ? keptSections(readFileSync(out, 'utf8')) : '';
writeFileSync(out, soak ? `${report.trimEnd()}\n\n${soak}\n` : report);
log(`wrote ${out}`);
process.exit(failed ? 1 : 0);
