/**
 * `npm run soak`: the crash soak of the disk buffer (not part of CI). For `--minutes` (default 10)
 * an application process (bench/soak/app.ts) logs `--rate` predictions per second (default 500)
 * through `createMonitor().logPrediction` into a node this script starts for itself (its own state
 * file and fixed port, never the test node). The node is SIGKILLed and restarted on its data every
 * fifth of the run (2 minutes of 10); the application is SIGKILLed twice, 10 s after the second node
 * kill (the cluster is down) and at 70% of the run once the node is up, and started again on the same
 * disk buffer each time. At the end the last application flushes and exits, and the index is counted:
 * sent (ids the applications acknowledged as logged, from the file they append to), stored (distinct
 * ids), lost, duplicated, and the applications' peak RSS. The report goes into BENCHMARKS.md as its
 * own section (a run shorter than 10 minutes writes to a temporary file unless `--out` says where).
 *
 *   npm run soak                      # 10 minutes at 500/s, into BENCHMARKS.md
 *   npm run soak -- --minutes 1       # a smoke run while developing, to a temporary file
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { Command } from 'commander';
import { requestViaClient } from '../src/es/raw-request.js';
import { applySetup, planSetup } from '../src/setup/setup-plan.js';
import { dataStreamName } from '../src/transport/document.js';
import { loadAverage, machineDescription } from './lib/machine.js';
import { type BenchNode, startBenchNode } from './lib/node.js';
import { fmt, fmtSpread } from './lib/report.js';
import { replaceSoakSection } from './lib/soak-section.js';
import { spread } from './lib/stats.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
const args = new Command()
  .name('soak')
  .description('the crash soak of the disk buffer: node and application SIGKILLed under steady traffic')
  .option('--minutes <n>', 'how long the applications log', '10')
  .option('--rate <n>', 'predictions per second', '500')
  .option('--out <file>', 'where to write the report (default: BENCHMARKS.md for 10 minutes or more)')
  .parse()
  .opts<{ minutes: string; rate: string; out?: string }>();
const minutes = Number(args.minutes);
const rate = Number(args.rate);
if (!(minutes > 0 && minutes <= 120) || !(rate > 0 && rate <= 20_000))
  throw new Error('--minutes must be in (0, 120] and --rate in (0, 20000]');
const durationMs = minutes * 60_000;
const nodeKillEveryMs = durationMs / 5;
/**
 * The application kills: 10 s after the second node kill (the cluster is down), and at 70% of the run
 * once the node has been up for 10 s (a loaded machine restarts the node slowly); either kill happens
 * at the latest 10 s before the end, whatever the node's state then (the report says which it was).
 */
const appKills: { atMs: number; clusterUp: boolean }[] = [
  { atMs: 2 * nodeKillEveryMs + 10_000, clusterUp: false },
  { atMs: 0.7 * durationMs, clusterUp: true },
];
const UP_FOR_MS = 10_000;
/** README, "What a crash can lose", with the margins of test/integration/transport-crash.test.ts */
const WINDOW_S = { up: 1.25, down: 0.25 };
const NAMESPACE = 'soak';
const fullRun = minutes >= 10;
const out = args.out ?? (fullRun ? join(repoRoot, 'BENCHMARKS.md') : join(tmpdir(), 'BENCHMARKS.soak.md'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** the schedule counts from the first application's start (reset then), not from the node's start-up */
let t0 = Date.now();
const at = () => Date.now() - t0;
const log = (msg: string) => console.log(`[soak ${(at() / 1000).toFixed(1).padStart(6)} s] ${msg}`);

interface App {
  gen: number;
  child: ChildProcess;
  lines: string[];
  peakRssBytes: number;
  startedAtMs: number;
  exited: Promise<void>;
  /** how it ended: killed with the cluster up or down, or stopped at the end */
  end?: 'killed, cluster up' | 'killed, cluster down' | 'stopped';
}

interface NodeKill {
  atMs: number;
  downMs: number;
}

const work = mkdtempSync(join(tmpdir(), 'mlmon-soak-'));
const spillDir = join(work, 'spill');
const ackFile = join(work, 'acks.txt');
let node: BenchNode | undefined;
let app: App | undefined;
const apps: App[] = [];
const nodeKills: NodeKill[] = [];
/** a restart of the node under way (it is down) */
let restarting: Promise<void> | undefined;
/** when the node last became healthy */
let upSinceMs = 0;

/** /proc's peak resident set of a process (VmHWM), in bytes; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function startApp(url: string, gen: number): App {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'soak', 'app.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      GEN: String(gen),
      RATE: String(rate),
      // a parent that dies never leaves it running for long
      MAX_SECONDS: String(Math.ceil(durationMs / 1000) + 120),
      TARGET_URL: url,
      NAMESPACE,
      SPILL_DIR: spillDir,
      ACK_FILE: ackFile,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const a: App = { gen, child, lines: [], peakRssBytes: 0, startedAtMs: at(), exited: Promise.resolve() };
  let rest = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    a.lines.push(...parts);
  });
  const sampler = setInterval(() => {
    a.peakRssBytes = Math.max(a.peakRssBytes, peakRss(child.pid as number));
  }, 500);
  a.exited = new Promise((resolve) =>
    child.on('exit', () => {
      clearInterval(sampler);
      resolve();
    }),
  );
  apps.push(a);
  log(`application ${gen} started (pid ${child.pid})`);
  return a;
}

async function killApp(a: App, url: string): Promise<App> {
  a.peakRssBytes = Math.max(a.peakRssBytes, peakRss(a.child.pid as number));
  a.end = restarting ? 'killed, cluster down' : 'killed, cluster up';
  a.child.kill('SIGKILL');
  await a.exited;
  log(`application ${a.gen} SIGKILLed (${a.end})`);
  return startApp(url, a.gen + 1);
}

function killNode(n: BenchNode): void {
  const kill: NodeKill = { atMs: at(), downMs: Number.NaN };
  n.kill();
  nodeKills.push(kill);
  log(`node SIGKILLed (${nodeKills.length})`);
  restarting = n
    .start()
    .then(() => {
      kill.downMs = at() - kill.atMs;
      upSinceMs = at();
      log(`node back on its data after ${(kill.downMs / 1000).toFixed(1)} s`);
    })
    .finally(() => {
      restarting = undefined;
    });
}

/** Every stored prediction id and how many documents carry it (composite aggregation, pages of 10,000). */
async function storedIds(client: Client, index: string): Promise<Map<string, number>> {
  await client.indices.refresh({ index });
  const ids = new Map<string, number>();
  let after: Record<string, string> | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await client.search({
      index,
      size: 0,
      aggs: {
        ids: {
          composite: {
            size: 10_000,
            sources: [{ id: { terms: { field: 'mlmon.prediction_id' } } }],
            ...(after ? { after } : {}),
          },
        },
      },
    });
    const agg = res.aggregations?.ids as
      | { buckets: { key: { id: string }; doc_count: number }[]; after_key?: Record<string, string> }
      | undefined;
    for (const b of agg?.buckets ?? []) ids.set(b.key.id, b.doc_count);
    if (!agg?.after_key || (agg.buckets.length ?? 0) === 0) break;
    after = agg.after_key;
  }
  return ids;
}

/** The last acknowledged count of each application generation. */
function acknowledged(): Map<number, number> {
  const acks = new Map<number, number>();
  if (!existsSync(ackFile)) return acks;
  for (const line of readFileSync(ackFile, 'utf8').split('\n')) {
    const m = /^(\d+) (\d+)$/.exec(line);
    if (m) acks.set(Number(m[1]), Math.max(acks.get(Number(m[1])) ?? 0, Number(m[2])));
  }
  return acks;
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  log(`starting a node of its own; ${minutes} min at ${rate}/s; work folder ${work}`);
  node = await startBenchNode();
  const client = new Client({ node: node.url });
  const request = requestViaClient(client);
  const setup = await applySetup(request, await planSetup(request, {}));
  if (setup.error) throw setup.error;
  const index = dataStreamName(NAMESPACE);

  t0 = Date.now();
  app = startApp(node.url, 0);
  let nextNodeKill = nodeKillEveryMs;
  const pendingKills = [...appKills];
  // one step every 200 ms until the run is over: at most durationMs / 200 steps
  while (at() < durationMs) {
    if (at() >= nextNodeKill) {
      nextNodeKill += nodeKillEveryMs;
      if (restarting) log('node kill skipped: the node is still restarting');
      else if (at() < durationMs - 5_000) killNode(node);
    }
    const kill = pendingKills[0];
    const nodeUp = !restarting && at() - upSinceMs >= UP_FOR_MS;
    if (kill && at() >= kill.atMs && (!kill.clusterUp || nodeUp || at() >= durationMs - 10_000)) {
      pendingKills.shift();
      app = await killApp(app, node.url);
    }
    await sleep(200);
  }
  log('logging time is over; waiting for the node if it is restarting');
  await restarting;
  app.end = 'stopped';
  app.child.stdin?.write('stop\n');
  const deadline = Date.now() + 6 * 60_000;
  while (!app.lines.some((l) => l.startsWith('report ')) && Date.now() < deadline) await sleep(200);
  const reportLine = app.lines.find((l) => l.startsWith('report '));
  if (!reportLine) app.child.kill('SIGKILL');
  await app.exited;
  const finalReport = reportLine ? JSON.parse(reportLine.slice(7)) : undefined;
  log(`last application: ${reportLine ?? 'no report (killed after 6 min)'}`);

  const acks = acknowledged();
  const stored = await storedIds(client, index);
  await client.close();
  const perGen = new Map<number, { sent: number; storedSent: number; extra: number }>();
  for (const [gen, n] of acks) perGen.set(gen, { sent: n, storedSent: 0, extra: 0 });
  let duplicated = 0;
  let docs = 0;
  let foreign = 0;
  for (const [id, count] of stored) {
    docs += count;
    if (count > 1) duplicated += count - 1;
    const m = /^g(\d+)-(\d+)$/.exec(id);
    const g = m ? perGen.get(Number(m[1])) : undefined;
    if (!m || !g) {
      foreign++;
      continue;
    }
    if (Number(m[2]) < g.sent) g.storedSent++;
    else g.extra++; // logged, then killed before the acknowledgement reached the file
  }
  const rows = apps.map((a) => {
    const g = perGen.get(a.gen) ?? { sent: 0, storedSent: 0, extra: 0 };
    return { app: a, ...g, lost: g.sent - g.storedSent };
  });
  const sent = rows.reduce((s, r) => s + r.sent, 0);
  const lost = rows.reduce((s, r) => s + r.lost, 0);
  const extra = rows.reduce((s, r) => s + r.extra, 0);
  const result = {
    sent,
    stored: stored.size,
    docs,
    lost,
    duplicated,
    extra,
    foreign,
    finalReport,
    rows,
    loadBefore,
    loadAfter: loadAverage(),
  };
  log(
    `sent ${sent}, stored ${stored.size} distinct (${docs} documents), lost ${lost}, duplicated ${duplicated}, stored beyond the acknowledgements ${extra}`,
  );
  writeReport(result);
}

function writeReport(r: {
  sent: number;
  stored: number;
  docs: number;
  lost: number;
  duplicated: number;
  extra: number;
  foreign: number;
  finalReport: Record<string, unknown> | undefined;
  rows: { app: App; sent: number; storedSent: number; extra: number; lost: number }[];
  loadBefore: number;
  loadAfter: number;
}): void {
  const mib = (b: number) => b / 2 ** 20;
  const n = (x: number) => x.toLocaleString('en-US');
  const verdicts: string[] = [];
  for (const row of r.rows) {
    if (row.app.end === 'stopped') {
      verdicts.push(
        `- ${row.lost === 0 ? 'MET' : 'MISSED'} (application ${row.app.gen}, stopped at the end, through the node kills of its lifetime): nothing lost; lost ${n(row.lost)} of ${n(row.sent)}.`,
      );
      continue;
    }
    const down = row.app.end === 'killed, cluster down';
    const window = Math.floor(rate * (down ? WINDOW_S.down : WINDOW_S.up));
    verdicts.push(
      `- ${row.lost <= window ? 'MET' : 'MISSED'} (application ${row.app.gen}, ${row.app.end}): README's window for a crash ${down ? 'while the cluster is not answering (what was not yet handed to the kernel; at most 0.25 s here)' : 'with the cluster answering (what waits for the next batch, 1 s, and the request under way; at most 1.25 s here)'} is ${n(window)} predictions at ${n(rate)}/s; lost ${n(row.lost)}.`,
    );
  }
  verdicts.push(
    `- ${r.duplicated === 0 ? 'MET' : 'MISSED'}: nothing stored twice (ids are the application's, \`create\` answers 409 for a replay); ${n(r.duplicated)} duplicated.`,
  );
  const downs = spread(nodeKills.map((k) => k.downMs / 1000));
  const rss = spread(r.rows.map((row) => mib(row.app.peakRssBytes)));
  const lines: string[] = [];
  lines.push(
    `Reproduce: \`npm run soak${minutes === 10 && rate === 500 ? '' : ` -- --minutes ${minutes} --rate ${rate}`}\` (bench/soak.ts, not in CI; ${fullRun ? '' : '**a short run: the schedule is compressed**; '}written ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}) · ${machineDescription()} · one-minute load average ${r.loadBefore.toFixed(1)} at the start, ${r.loadAfter.toFixed(1)} at the end.`,
    '',
    `For ${minutes} minute${minutes === 1 ? '' : 's'} one application process at a time logs ${n(rate)} predictions/s (6 features, ids \`g<run>-<n>\`) with \`createMonitor().logPrediction\` (default options: disk buffer, baseline lookup) into a node the soak starts for itself. The node is SIGKILLed every ${fmt(nodeKillEveryMs / 1000, 0)} s and started again on its data (\`es-node.ts start --keep-data\`, same port); the application is SIGKILLed ${appKills.length} times (10 s after the second node kill, and at 70% of the run or as soon after as the node has been up for 10 s) and started again on the same disk buffer. Sent: the ids each application acknowledged as logged (\`logPrediction\` returned), appended synchronously to a file after every 20 ms tick. Stored: distinct \`mlmon.prediction_id\` in the data stream after the last application flushed and exited.`,
    '',
    '| sent | stored (distinct ids) | documents | lost | duplicated | stored beyond the acknowledgements |',
    '|---|---|---|---|---|---|',
    `| ${n(r.sent)} | ${n(r.stored)} | ${n(r.docs)} | ${n(r.lost)} | ${n(r.duplicated)} | ${n(r.extra)} |`,
    '',
    '| application | how it ended | ran from | sent | lost | peak RSS (MiB) |',
    '|---|---|---|---|---|---|',
  );
  for (const row of r.rows)
    lines.push(
      `| ${row.app.gen} | ${row.app.end ?? '?'} | ${fmt(row.app.startedAtMs / 1000, 0)} s | ${n(row.sent)} | ${n(row.lost)} | ${fmt(mib(row.app.peakRssBytes), 0)} |`,
    );
  lines.push(
    '',
    `Node kills: ${nodeKills.length} (at ${nodeKills.map((k) => `${fmt(k.atMs / 1000, 0)} s`).join(', ')}); down for ${fmtSpread(downs, 1)} s until healthy again (median, range). Peak RSS of the application processes (VmHWM): ${fmtSpread(rss, 0)} MiB.${r.finalReport ? ` The last application's shutdown report: \`${JSON.stringify(r.finalReport)}\`.` : ' The last application sent no report.'}${r.foreign ? ` ${n(r.foreign)} stored ids were not the soak's.` : ''}`,
    '',
    ...verdicts,
  );
  const block = lines.join('\n');
  const existing = existsSync(out) ? readFileSync(out, 'utf8') : '';
  writeFileSync(out, replaceSoakSection(existing, block));
  console.log(`report written to ${out}`);
}

async function cleanup(): Promise<void> {
  for (const a of apps) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  await restarting?.catch(() => undefined);
  const stateFile = node?.stateFile;
  await node
    ?.dispose()
    .catch((err: unknown) =>
      console.error(
        `could not stop the soak's node (${err}); stop it with: MLMON_STATE_FILE=${stateFile} npm run es:stop`,
      ),
    );
  rmSync(work, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    log(`${sig}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });

try {
  await main();
} finally {
  await cleanup();
}
