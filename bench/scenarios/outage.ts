/** 4. The node stopped in the middle of a stream: documents lost and duplicated, per tool. */
import { Client } from '@elastic/elasticsearch';
import type { BenchContext } from '../lib/context.js';
import { type Delivery, delivery } from '../lib/counts.js';
import { fmt, type Table } from '../lib/report.js';
import { destinationOf, LOGGERS, type LoggerTool } from '../lib/tools.js';
import { startWorker } from '../lib/worker-client.js';
import type { StreamResult } from '../lib/worker-types.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function outage(ctx: BenchContext): Promise<Table> {
  const { sizes, node } = ctx;
  const runId = `${ctx.runId}out`;
  const n = sizes.outageDocs;
  // after the restart, time to send what was held (ours: memory and disk; peers: memory)
  const drainTimeoutMs = sizes.outageDrainMs;
  ctx.log(`outage: ${LOGGERS.join(', ')} stream ${n} predictions each over ${sizes.outageStreamMs / 1000} s`);
  // the three tools stream side by side, so they live through the very same outage
  const workers = LOGGERS.map((tool) =>
    startWorker<StreamResult>(
      'stream',
      { tool, url: ctx.url, runId, n, durationMs: sizes.outageStreamMs, drainTimeoutMs },
      sizes.outageStreamMs + sizes.outageDownMs + drainTimeoutMs + 180_000,
    ),
  );
  await Promise.all(workers.map((w) => w.event('started')));
  await sleep(sizes.outageStreamMs * 0.25);
  ctx.log('outage: stopping the node');
  const down = performance.now();
  await node.stop();
  await sleep(sizes.outageDownMs);
  ctx.log('outage: starting the node again on its data');
  await node.start();
  const downMs = performance.now() - down;
  for (const w of workers) w.signal('node-up');
  ctx.log(`outage: the node was unreachable for ${(downMs / 1000).toFixed(1)} s; waiting for the workers`);
  const results = await Promise.all(workers.map((w) => w.result.catch((e: Error) => e)));
  const client = new Client({ node: ctx.url });
  const deliveries = new Map<LoggerTool, Delivery>();
  for (const tool of LOGGERS) {
    const { index, seqField } = destinationOf(tool, runId);
    deliveries.set(tool, await delivery(client, index, seqField, n));
  }
  await client.close();
  const rows = LOGGERS.map((tool, i) => {
    const d = deliveries.get(tool) as Delivery;
    const r = results[i];
    const note =
      r instanceof Error
        ? `worker failed: ${r.message.split('\n')[0]}`
        : [...new Set(r?.errors ?? [])].slice(0, 2).join('; ') || '—';
    return [tool, fmt(n, 0), fmt(d.stored, 0), fmt(d.lost, 0), fmt(d.duplicated, 0), note];
  });
  const ours = deliveries.get('ours') as Delivery;
  return {
    key: 'outage',
    title: '4. Outage',
    method: [
      `Each tool streams ${n.toLocaleString('en-US')} predictions at a steady rate over ${sizes.outageStreamMs / 1000} s; the three run side by side`,
      `against the same node. A quarter into the stream the node is stopped (\`es-node stop\`: SIGTERM), kept down`,
      `${sizes.outageDownMs / 1000} s, and started again on its data (\`--keep-data\`); it was unreachable for ${(downMs / 1000).toFixed(1)} s in all (the restart waits`,
      `for the node to recover its indices). Once the node is back and a tool has logged everything, it gets up to ${drainTimeoutMs / 1000} s to deliver`,
      `(ours backs off up to 30 s between retries by default). Lost: sequence numbers never stored; duplicated: documents beyond one per sequence`,
      `number (exact, by a composite aggregation over every stored sequence number). One run: the outage costs a`,
      `node restart, and the outcome is a count, not a timing.`,
    ].join('\n'),
    header: ['tool', 'logged', 'stored', 'lost', 'duplicated', 'notes'],
    rows,
    verdicts: [
      `${ours.lost === 0 && ours.duplicated === 0 ? 'MET' : 'MISSED'}: ours loses ${fmt(ours.lost, 0)} and duplicates ${fmt(ours.duplicated, 0)} (goal: 0 and 0).`,
      "REPORTED: the peers' figures are in the table.",
    ],
    notes: [],
  };
}
