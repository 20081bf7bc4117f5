/** 3. Peak RSS while the node is down and predictions keep arriving. */

import { transportDefaults } from '../../src/transport/options.js';
import type { BenchContext } from '../lib/context.js';
import { fmt, fmtSpread, type Table } from '../lib/report.js';
import { spread } from '../lib/stats.js';
import { LOGGERS, type LoggerTool } from '../lib/tools.js';
import { runWorker } from '../lib/worker-client.js';
import type { OutageMemoryResult } from '../lib/worker-types.js';

const MiB = 2 ** 20;

export async function memoryOutage(ctx: BenchContext): Promise<Table> {
  const { sizes } = ctx;
  const runs = new Map<LoggerTool, OutageMemoryResult[]>();
  for (let r = 0; r < sizes.memoryRepeats; r++) {
    const order = [...LOGGERS.slice(r % LOGGERS.length), ...LOGGERS.slice(0, r % LOGGERS.length)];
    for (const tool of order) {
      ctx.log(`memory under outage: ${tool}, run ${r + 1}/${sizes.memoryRepeats}`);
      const res = await runWorker<OutageMemoryResult>(
        'outage-memory',
        {
          tool,
          url: ctx.deadUrl,
          runId: `${ctx.runId}mo${r}`,
          n: sizes.memoryDocs,
          arrivalMs: sizes.memoryArrivalMs,
        },
        300_000,
      );
      runs.set(tool, [...(runs.get(tool) ?? []), res]);
    }
  }
  const bound = transportDefaults.maxQueueBytes;
  // the bound counts serialized document bytes; each held document also has a small entry object
  const allowance = 1.25 * bound;
  const retained = (tool: LoggerTool) => spread((runs.get(tool) ?? []).map((x) => x.retainedGrowthMiB));
  const growth = (tool: LoggerTool) =>
    spread((runs.get(tool) ?? []).map((x) => x.maxRssMiB - x.rssBeforeMiB));
  const rows = LOGGERS.map((tool) => {
    const rs = runs.get(tool) ?? [];
    const crashed = rs.filter((x) => x.crashed).map((x) => x.crashed);
    const ours = rs[0]?.spilledDocs !== undefined;
    const note = [
      ours
        ? `on disk at the end: ${fmt(spread(rs.map((x) => x.spilledDocs ?? 0)).median, 0)} documents; in memory: ${fmt(spread(rs.map((x) => x.queued ?? 0)).median, 0)}`
        : '',
      crashed.length ? `crashed: ${crashed[0]}` : '',
      [...new Set(rs.flatMap((x) => x.errors))].slice(0, 2).join('; '),
    ]
      .filter(Boolean)
      .join('; ');
    return [
      tool,
      fmtSpread(spread(rs.map((x) => x.rssBeforeMiB)), 0),
      fmtSpread(spread(rs.map((x) => x.maxRssMiB)), 0),
      fmtSpread(growth(tool), 0),
      fmtSpread(retained(tool), 1),
      note || '—',
    ];
  });
  const oursRetained = retained('ours').max;
  return {
    key: 'memory-outage',
    title: '3. Memory under outage',
    method: [
      `The node is down (nothing listens on its port) while ${sizes.memoryDocs.toLocaleString('en-US')} predictions arrive over ${sizes.memoryArrivalMs / 1000} s, then 2 s more`,
      `pass. Peak RSS is the worker process's maximum resident set size; "before" is its RSS after the tool is set up and`,
      `has logged one prediction; growth is the difference. "Held" is what the process still holds at the end: the growth of
the JavaScript heap in use plus memory outside it (buffers), each measured after a full garbage collection
(\`--expose-gc\`); peak RSS also counts garbage not yet collected and the heap's headroom. ${sizes.memoryRepeats} runs per tool. Ours runs with its defaults:`,
      `\`maxQueueBytes\` ${bound / MiB} MiB in memory (in flight included), then the disk buffer.`,
    ].join('\n'),
    header: ['tool', 'RSS before MiB', 'peak RSS MiB', 'RSS growth MiB', 'held at the end MiB', 'notes'],
    rows,
    verdicts: [
      `${oursRetained * MiB <= allowance ? 'MET' : 'MISSED'}: ours stays within its configured bound: it holds at most ${fmt(oursRetained, 1)} MiB more at the end of any run, against \`maxQueueBytes\` ${bound / MiB} MiB of serialized documents (the check allows ${allowance / MiB} MiB: each held document also has a small entry object). Its peak RSS growth, ${fmt(growth('ours').median, 0)} MiB, is mostly garbage from logging ${sizes.memoryDocs.toLocaleString('en-US')} predictions in ${sizes.memoryArrivalMs / 1000} s that V8 had not yet returned.`,
      "REPORTED: the peers' figures are in the table; neither has a disk buffer.",
    ],
    notes: [],
  };
}
