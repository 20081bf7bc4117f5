/**
 * `npm run demo`: the whole loop on a local Elasticsearch the project starts itself (unless ES_URL is set):
 * profile a training set into a baseline, log predictions whose inputs drift through the winston
 * transport, and compute the window's metrics and alerts from Elasticsearch aggregations.
 * The node keeps running afterwards (`npm run es:stop` stops it).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { saveBaseline } from '../src/baseline/baseline-writer.js';
import { profileFile } from '../src/baseline/profiler.js';
import { loadSchema } from '../src/baseline/schema.js';
import { summaryTable } from '../src/cli/baseline-commands.js';
import { createClient } from '../src/es/connection.js';
import { readLocalNodeState } from '../src/es/local-node.js';
import { requestViaClient } from '../src/es/raw-request.js';
import { computeWindow } from '../src/metrics/window.js';
import { defaultRules } from '../src/rules/rule-table.js';
import { applySetup, planSetup } from '../src/setup/setup-plan.js';
import { createMonitor } from '../src/transport/create-monitor.js';
import { dataStreamName } from '../src/transport/document.js';
import { repoRoot } from './lib/paths.js';

if (!process.env.ES_URL) {
  const started = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts', 'es-node.ts'), 'start', '--only', 'elasticsearch'],
    {
      stdio: 'inherit',
    },
  );
  if (started.status !== 0) process.exit(started.status ?? 1);
}

const client = createClient({}, {}, readLocalNodeState()?.elasticsearch?.url);
const namespace = 'demo';
// 0. what `mlmon setup` installs: templates, lifecycle, indices (roles, watches, Kibana where available)
const setupPlan = await planSetup(requestViaClient(client), {});
const setupReport = await applySetup(requestViaClient(client), setupPlan);
const counts = new Map<string, number>();
for (const e of setupReport.entries) counts.set(e.outcome, (counts.get(e.outcome) ?? 0) + 1);
console.log(`\n0. mlmon setup: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`);

// 1. the training baseline
const fixtures = join(repoRoot, 'test', 'fixtures', 'baseline');
const baseline = await profileFile({
  file: join(fixtures, 'train.csv'),
  model: 'churn',
  version: '1',
  schema: loadSchema(join(fixtures, 'schema.yml')),
});
await saveBaseline(client, baseline);
console.log(`\n1. baseline churn@1 from ${baseline.source.rows} training rows:\n`);
console.log(summaryTable(baseline));

// 2. production predictions, through the winston transport: incomes rise, a new plan appears, some ages go missing
const monitor = createMonitor({ client, namespace, model: 'churn', version: '1' });
await monitor.transport.baselineReady();
let seed = 7;
const random = () => {
  seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
  return seed / 2 ** 32;
};
const plans = ['basic', 'gold', 'platinum', 'enterprise'];
const words = [
  'the',
  'app',
  'crashed',
  'again',
  'support',
  'helpful',
  'price',
  'too',
  'high',
  'checkout',
  'broken',
  'payment',
  'failed',
];
const start = Date.now() - 60_000;
const n = 1500;
for (let i = 0; i < n; i++) {
  monitor.logPrediction({
    features: {
      age: random() < 0.15 ? null : Math.round(18 + random() * 60),
      income: Math.round(20000 * Math.exp(random() * 1.5)),
      plan: plans[Math.floor(random() * (random() < 0.8 ? 3 : 4))],
      city: `city${String(Math.floor(random() * 30)).padStart(2, '0')}`,
      comment: Array.from({ length: 6 }, () => words[Math.floor(random() * words.length)]).join(' '),
      active: random() > 0.3,
      signup: '2024-06-01',
    },
    prediction: random() * 0.6,
    latencyMs: 2 + random() * 8,
    timestamp: start + i * 30,
  });
}
await monitor.flush();
const stats = monitor.stats();
console.log(
  `\n2. logged ${n} predictions: stored ${stats.indexed}, dead-lettered ${stats.deadLettered}, dropped ${stats.dropped}`,
);

// 3. the window's metrics, from Elasticsearch aggregations
await client.indices.refresh({ index: dataStreamName(namespace) });
const m = await computeWindow(
  client,
  {
    model: 'churn',
    from: new Date(start),
    to: new Date(start + n * 30 + 1),
    index: dataStreamName(namespace),
  },
  baseline,
  defaultRules,
);
console.log(`\n3. metrics of the window (${m.docs} documents):\n`);
for (const [name, f] of Object.entries(m.features)) {
  const parts = [`na ${f.na_rate?.toFixed(3) ?? '-'}`];
  if (f.unseen_rate !== undefined) parts.push(`unseen ${f.unseen_rate.toFixed(3)}`);
  if (f.oov_rate !== undefined) parts.push(`oov ${f.oov_rate.toFixed(3)}`);
  if (f.psi !== undefined) parts.push(`psi ${f.psi.toFixed(3)} (KS p ${f.ks_p_value?.toExponential(1)})`);
  if (f.js !== undefined && f.psi === undefined) parts.push(`js ${f.js.toFixed(3)}`);
  console.log(`  ${name.padEnd(8)} ${f.status.padEnd(9)} ${parts.join('  ')}`);
}
console.log(
  `\n   latency ms p50 ${m.latency_ms.p50?.toFixed(2)}, p95 ${m.latency_ms.p95?.toFixed(2)}, p99 ${m.latency_ms.p99?.toFixed(2)}`,
);
console.log(
  `\n4. alerts:\n${m.alerts.map((a) => `  ${a.severity.toUpperCase().padEnd(8)} ${a.feature} ${a.rule}: ${a.metric} ${typeof a.value === 'number' ? a.value.toFixed(3) : a.value}`).join('\n') || '  none'}`,
);
console.log(
  '\nthe node keeps running: `npm run es:stop` stops it; try `npx tsx src/cli/main.ts metrics --model churn --from now-1h --to now`',
);
await monitor.shutdown();
await client.close();
