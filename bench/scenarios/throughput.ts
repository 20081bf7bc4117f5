/** 2. Throughput into the node: from the first log call until every document is searchable. */

import { transportDefaults } from '../../src/transport/options.js';
import type { BenchContext } from '../lib/context.js';
import { fmt, fmtRatio, fmtSpread, type Table } from '../lib/report.js';
import { spread } from '../lib/stats.js';
import { LOGGERS, type Tool } from '../lib/tools.js';
import { runWorker } from '../lib/worker-client.js';
import type { ThroughputResult } from '../lib/worker-types.js';

const TOOLS: readonly Tool[] = [...LOGGERS, 'bulk-helper'];

/** Our transport's batching defaults, as the tables describe them. */
const OURS = `batches of ${transportDefaults.batchSize.toLocaleString('en-US')}, ${transportDefaults.concurrency} concurrent requests, ${transportDefaults.maxQueueDocs.toLocaleString('en-US')} documents in memory`;

export async function throughput(ctx: BenchContext): Promise<Table> {
  const { sizes } = ctx;
  const n = sizes.throughputDocs;
  const runs = new Map<Tool, ThroughputResult[]>();
  for (let r = 0; r < sizes.repeats; r++) {
    const order = [...TOOLS.slice(r % TOOLS.length), ...TOOLS.slice(0, r % TOOLS.length)];
    for (const tool of order) {
      ctx.log(`throughput: ${tool}, run ${r + 1}/${sizes.repeats}`);
      const res = await runWorker<ThroughputResult>(
        'throughput',
        { tool, url: ctx.url, runId: `${ctx.runId}tp${r}`, n, timeoutMs: sizes.throughputTimeoutMs },
        sizes.throughputTimeoutMs + 120_000,
      );
      runs.set(tool, [...(runs.get(tool) ?? []), res]);
    }
  }
  const of = (tool: Tool) => runs.get(tool) ?? [];
  // a run that never got every document in counts as no rate at all
  const rate = (tool: Tool) => spread(of(tool).map((x) => (x.ms === null ? Number.NaN : n / (x.ms / 1000))));
  const oursRate = rate('ours').median;
  const rows = TOOLS.map((tool) => {
    const rs = of(tool);
    const unfinished = rs.filter((x) => x.ms === null);
    const notes = unfinished.length
      ? `${unfinished.length} of ${rs.length} runs unfinished after ${sizes.throughputTimeoutMs / 1000} s (${unfinished.map((x) => x.count).join(', ')} searchable)`
      : '';
    const errors = [...new Set(rs.flatMap((x) => x.errors))].slice(0, 2).join('; ');
    return [
      tool,
      fmtSpread(spread(rs.map((x) => (x.ms === null ? Number.NaN : x.ms / 1000))), 1),
      fmtSpread(rate(tool), 0),
      fmtSpread(spread(rs.map((x) => x.cpuMs / 1000)), 1),
      fmtSpread(spread(rs.map((x) => x.maxRssMiB)), 0),
      fmt(spread(rs.map((x) => x.sourceBytes)).median, 0),
      tool === 'ours' ? '1.00×' : fmtRatio(oursRate / rate(tool).median),
      [notes, errors].filter(Boolean).join('; ') || '—',
    ];
  });
  const ratio = (tool: Tool) => oursRate / rate(tool).median;
  const ceilingOverWinston = rate('bulk-helper').median / rate('winston-elasticsearch').median;
  const bytesOf = (tool: Tool) => spread(of(tool).map((x) => x.sourceBytes)).median;
  const cpuPerDocUs = (tool: Tool) => (spread(of(tool).map((x) => x.cpuMs)).median * 1000) / n;
  const verdict = (met: boolean, text: string) => `${met ? 'MET' : 'MISSED'}: ${text}`;
  const w = ratio('winston-elasticsearch');
  const p = ratio('pino-elasticsearch');
  const b = ratio('bulk-helper');
  return {
    key: 'throughput',
    title: '2. Throughput',
    method: [
      `${n.toLocaleString('en-US')} predictions of about 1 KB (the payload is about 830 bytes of JSON; our stored document about`,
      `1.2 KB), logged as fast as the tool accepts them (the event loop gets a turn after every 1,000), timed from the first`,
      `log call until \`_count\` returns all of them (no forced refresh; the indices refresh every second). ${sizes.repeats} runs per tool.`,
      'The bulk helper (`client.helpers.bulk`, its defaults: 5 MB requests, 5 concurrent) is the ceiling: it is fed our',
      'exact documents, serialized before the clock starts, into a data stream with our template. Peers write',
      'their own document shape into an index whose template maps strings as keywords, as ours does. Peers get ours',
      'batch settings where they have one (pino-elasticsearch `flushBytes` 1 MB, both `flushInterval` 1 s); the rest',
      `are defaults, ours included (${OURS}, then the disk buffer).`,
      "CPU is the worker process's user + system time over the whole run. The ratio column is ours ÷ the tool in documents per second.",
    ].join('\n'),
    header: [
      'tool',
      'seconds',
      'docs/s',
      'CPU s',
      'peak RSS MiB',
      'stored _source bytes/doc',
      'ours ÷ tool (docs/s)',
      'notes',
    ],
    rows,
    verdicts: [
      verdict(
        w >= 3,
        `at least 3× winston-elasticsearch: ${fmtRatio(w)}.${w >= 3 ? '' : ` Why: on this node the ceiling itself, the bulk helper with ready documents, reaches only ${fmtRatio(ceilingOverWinston)} winston-elasticsearch's rate: the node's indexing (one node, 2 shared cores, 1 GiB heap) limits every tool, so no shipper can show 3× here. Per prediction, ours spends ${fmt(cpuPerDocUs('ours'), 0)} µs of CPU against winston-elasticsearch's ${fmt(cpuPerDocUs('winston-elasticsearch'), 0)} µs (CPU column), which is where a node with room to spare would show the difference.`}`,
      ),
      verdict(
        p >= 1,
        `at least pino-elasticsearch: ${fmtRatio(p)}.${p >= 1 ? '' : ` Why: pino-elasticsearch's documents are smaller and flatter (${fmt(bytesOf('pino-elasticsearch'), 0)} bytes of _source against our ${fmt(bytesOf('ours'), 0)}: our ECS fields and typed \`mlmon.features.<type>.<name>\` paths), so the node has less to index per document${rate('pino-elasticsearch').median > rate('bulk-helper').median ? '; it even passes the ceiling, which sends our documents' : ''}.`}`,
      ),
      verdict(
        b >= 0.8,
        `at least 80% of the bulk-helper ceiling: ${(b * 100).toFixed(0)}%.${b >= 0.8 ? '' : ` Why: the helper keeps 5 requests of 5 MB in flight with documents serialized before the clock starts; ours, with its defaults, keeps ${transportDefaults.concurrency} requests of ${transportDefaults.batchSize.toLocaleString('en-US')} documents (about ${(transportDefaults.batchSize * 1.2) / 1000} MB) in flight, and in a burst this size it writes everything past ${transportDefaults.maxQueueDocs.toLocaleString('en-US')} queued documents to its disk buffer and reads it back. The ratio moves between runs on this shared machine (see the ranges).`}`,
      ),
    ],
    notes: [
      ...(spread(of('ours').map((x) => x.maxRssMiB)).median >
      spread(of('bulk-helper').map((x) => x.maxRssMiB)).median
        ? [
            [
              "Ours' peak RSS in this burst is above the ceiling's, though the ceiling holds all its documents at once",
              'and ours holds at most 32 MiB in memory (table 3 measures what it holds after a collection). The cause of',
              'the peak was not investigated in this issue.',
            ].join('\n'),
          ]
        : []),
      ...(w >= 3 && p >= 1 && b >= 0.8
        ? []
        : [
            [
              '**What would close the gaps.**',
              ...(p >= 1
                ? []
                : [
                    'Against pino-elasticsearch: fewer bytes per document, e.g. leaving out',
                    'the fields that are constant per data stream (`data_stream.*`, `event.dataset`, `ecs.version`) and',
                    'adding them at query time, or as `constant_keyword` in the template where the cluster has it (this test',
                    'node lacks the mapper); the figures would need a new run to tell.',
                  ]),
              ...(w >= 3
                ? []
                : [
                    'Against the 3× goal: a node that is not the bottleneck; on this one the goal is out of reach for any',
                    'shipper, as the ceiling row shows.',
                  ]),
              ...(b >= 0.8
                ? []
                : [
                    'Against the ceiling: more requests in flight or larger batches (`concurrency`, `batchSize`, `batchBytes`),',
                    'at the cost of more memory in flight, and a larger in-memory queue before the disk buffer; this bench',
                    'runs ours with its defaults (2,000 × 4 was measured against 1,000 × 2, 58%, and 4,000 × 4, no better).',
                  ]),
            ].join('\n'),
          ]),
    ],
  };
}
