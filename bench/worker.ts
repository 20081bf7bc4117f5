/**
 * One measurement in a process of its own: `tsx bench/worker.ts <mode> <json config>`. Prints
 * `BENCH_EVENT <name>` lines as it goes and one `BENCH_RESULT <json>` line at the end.
 */
import { readFileSync } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { profileFile } from '../src/baseline/profiler.js';
import type { Baseline } from '../src/contract/baseline-document.js';
import { computeWindow } from '../src/metrics/window.js';
import { defaultRules } from '../src/rules/rule-table.js';
import { toDocument } from '../src/transport/document.js';
import { resolveTransportOptions } from '../src/transport/options.js';
import { waitForCount } from './lib/counts.js';
import { makePrediction } from './lib/payload.js';
import { createLogger, destinationOf } from './lib/tools.js';
import { EVENT_PREFIX, RESULT_PREFIX } from './lib/worker-client.js';
import type * as W from './lib/worker-types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => bytes / 2 ** 20;

function processFigures(): W.ProcessFigures {
  const u = process.resourceUsage();
  return { maxRssMiB: u.maxRSS / 1024, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 };
}

function finish(result: object): never {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  // peers keep timers and sockets alive (retry loops while the node is down): the figures are taken
  process.exit(0);
}

const event = (name: string) => process.stdout.write(`${EVENT_PREFIX}${name}\n`);

/** Resolves when the parent writes the line `name` to this process's standard input. */
function signalled(name: string): Promise<void> {
  return new Promise((resolve) => {
    let buffered = '';
    process.stdin.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      if (buffered.split('\n').includes(name)) resolve();
    });
  });
}

async function requestPath(c: W.RequestPathConfig): Promise<W.RequestPathResult> {
  const logger = createLogger(c.tool, { url: c.url, runId: c.runId });
  const payloads = Array.from({ length: c.warmup + c.calls }, (_, i) => makePrediction(i));
  const burst = 50;
  const samples = new Float64Array(c.calls);
  let k = 0;
  // calls come in small bursts with the event loop free in between, as requests would arrive
  for (let i = 0; i < payloads.length; i += burst) {
    for (let j = i; j < Math.min(i + burst, payloads.length); j++) {
      const p = payloads[j] as (typeof payloads)[number];
      const t0 = process.hrtime.bigint();
      logger.log(p);
      const dt = Number(process.hrtime.bigint() - t0);
      if (j >= c.warmup) samples[k++] = dt;
    }
    await sleep(1);
  }
  const sorted = samples.sort();
  const at = (q: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) / 1000;
  return { medianUs: at(0.5), p99Us: at(0.99), errors: logger.errors, ...processFigures() };
}

async function throughput(c: W.ThroughputConfig): Promise<W.ThroughputResult> {
  const client = new Client({ node: c.url });
  const { index } = destinationOf(c.tool, c.runId);
  let t0: number;
  let errors: string[] = [];
  if (c.tool === 'bulk-helper') {
    // the ceiling: our exact documents, serialized beforehand, straight into the official helper
    const opts = resolveTransportOptions({ namespace: index.replace('logs-mlmon.predictions-', '') });
    const docs = Array.from({ length: c.n }, (_, i) => {
      const p = makePrediction(i);
      const doc = toDocument(
        { features: p.features, prediction: p.prediction, latencyMs: p.latencyMs, id: String(p.seq) },
        {
          id: String(i),
          namespace: opts.namespace,
          sanitize: opts.sanitize,
          defaults: { model: 'bench', version: '1' },
        },
      );
      return JSON.stringify(doc);
    });
    t0 = performance.now();
    const stats = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: index } }),
    });
    if (stats.failed > 0) errors = [`${stats.failed} documents failed`];
  } else {
    const logger = createLogger(c.tool, { url: c.url, runId: c.runId });
    errors = logger.errors;
    t0 = performance.now();
    for (let i = 0; i < c.n; i++) {
      logger.log(makePrediction(i));
      if (i % 1000 === 999) await yieldToLoop();
    }
    await logger.drain(c.timeoutMs);
  }
  const left = c.timeoutMs - (performance.now() - t0);
  const { count, reachedAt } = await waitForCount(client, index, c.n, Math.max(0, left));
  const sample = await client.search({ index, size: 1, ignore_unavailable: true });
  return {
    ms: reachedAt === undefined ? null : reachedAt - t0,
    count,
    sourceBytes: JSON.stringify(sample.hits.hits[0]?._source ?? {}).length,
    errors,
    ...processFigures(),
  };
}

/** JavaScript heap in use plus memory outside it (buffers), after a full collection: what is held. */
function retainedMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return mib(m.heapUsed + m.external);
}

async function outageMemory(c: W.OutageMemoryConfig): Promise<W.OutageMemoryResult> {
  const logger = createLogger(c.tool, { url: c.url, runId: c.runId });
  logger.log(makePrediction(0));
  await sleep(500);
  const rssBeforeMiB = mib(process.memoryUsage.rss());
  const retainedBeforeMiB = retainedMiB();
  const chunks = Math.max(1, Math.ceil(c.arrivalMs / 50));
  const perChunk = Math.ceil(c.n / chunks);
  let crashed: string | undefined;
  try {
    for (let i = 1; i < c.n; i++) {
      logger.log(makePrediction(i));
      if (i % perChunk === 0) await sleep(50);
    }
    await sleep(2000); // retries, backoff and buffering settle while the node is still down
  } catch (e) {
    crashed = e instanceof Error ? e.message : String(e);
  }
  const result: W.OutageMemoryResult = {
    rssBeforeMiB,
    retainedGrowthMiB: retainedMiB() - retainedBeforeMiB,
    errors: logger.errors,
    ...processFigures(),
  };
  if (crashed) result.crashed = crashed;
  const stats = logger.stats?.();
  if (stats) Object.assign(result, { spilledDocs: stats.spilledDocs, queued: stats.queued });
  return result;
}

async function stream(c: W.StreamConfig): Promise<W.StreamResult> {
  const client = new Client({ node: c.url });
  const logger = createLogger(c.tool, { url: c.url, runId: c.runId });
  const { index } = destinationOf(c.tool, c.runId);
  const nodeBack = signalled('node-up');
  event('started');
  const t0 = performance.now();
  const tickMs = 20;
  let logged = 0;
  // a steady rate: each tick logs what the schedule says is due
  while (logged < c.n) {
    const due = Math.min(c.n, Math.ceil(((performance.now() - t0) / c.durationMs) * c.n));
    for (; logged < due; logged++) logger.log(makePrediction(logged));
    await sleep(tickMs);
  }
  event('logged');
  // the time to deliver counts from the node's return, whether the stream ended before it or not
  await nodeBack;
  const drainStart = performance.now();
  await logger.drain(c.drainTimeoutMs);
  await waitForCount(
    client,
    index,
    c.n,
    Math.max(0, c.drainTimeoutMs - (performance.now() - drainStart)),
    500,
  );
  return { logged, errors: logger.errors, ...processFigures() };
}

async function window(c: W.WindowConfig): Promise<W.WindowResult> {
  const client = new Client({ node: c.url });
  let tookMs = 0;
  let searches = 0;
  client.diagnostic.on('response', (_err, res) => {
    const took = (res?.body as { took?: unknown } | undefined)?.took;
    if (typeof took === 'number') {
      tookMs += took;
      searches += 1;
    }
  });
  const baseline = JSON.parse(readFileSync(c.baselineFile, 'utf8')) as Baseline;
  const t0 = performance.now();
  const m = await computeWindow(
    client,
    { model: c.model, from: new Date(c.from), to: new Date(c.to), index: c.index },
    baseline,
    defaultRules,
  );
  const wallMs = performance.now() - t0;
  return { docs: m.docs, wallMs, tookMs, searches, ...processFigures() };
}

async function profile(c: W.ProfileConfig): Promise<W.ProfileResult> {
  const t0 = performance.now();
  const b = await profileFile({ file: c.file, model: 'bench', version: '1' });
  return {
    rows: b.source.rows,
    ms: performance.now() - t0,
    features: Object.keys(b.features).length,
    ...processFigures(),
  };
}

const [mode, json] = process.argv.slice(2);
const config = JSON.parse(json ?? '{}');
const modes: Record<string, (c: never) => Promise<object>> = {
  'request-path': requestPath,
  throughput,
  'outage-memory': outageMemory,
  stream,
  window,
  profile,
};
const run = modes[mode ?? ''];
if (!run) {
  console.error(`usage: worker.ts ${Object.keys(modes).join('|')} <json config>`);
  process.exit(2);
}
finish(await run(config as never));
