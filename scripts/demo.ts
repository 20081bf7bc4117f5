/**
 * `npm run demo`: starts the project's Elasticsearch node (unless ES_URL is set), logs predictions of
 * a toy churn model through the winston transport, and shows what Elasticsearch aggregates from them.
 * The node keeps running afterwards (`npm run es:stop` stops it).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import winston from 'winston';
import { createClient } from '../src/es/connection.js';
import { readJsonAsset } from '../src/setup/assets.js';
import { dataStreamName } from '../src/transport/document.js';
import { MlInputTransport } from '../src/transport/ml-input-transport.js';
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

const client = createClient();
const namespace = 'demo';
await client.indices.putIndexTemplate({
  ...readJsonAsset('ingest-pipelines/index-templates/mlmon-predictions.json'),
  name: 'mlmon-predictions',
});

const transport = new MlInputTransport({ client, namespace, model: 'churn', version: '3' });
const logger = winston.createLogger({
  transports: [new winston.transports.Console({ level: 'warn' }), transport],
});

// a deterministic toy model: older customers on the basic plan churn more
let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const plans = ['basic', 'gold', 'platinum'];
const n = 1000;
for (let i = 0; i < n; i++) {
  const age = Math.round(18 + random() * 60);
  const plan = plans[Math.floor(random() * plans.length)] as string;
  const score = Math.min(1, (age / 100) * (plan === 'basic' ? 1.4 : 0.8));
  logger.info('prediction', {
    features: { age, plan, tenure_months: Math.round(random() * 72) },
    prediction: score,
    latencyMs: 2 + random() * 8,
  });
}
await new Promise((r) => setImmediate(r));
await transport.flush();

const index = dataStreamName(namespace);
await client.indices.refresh({ index });
const res = await client.search({
  index,
  size: 0,
  query: { term: { 'mlmon.model.name': 'churn' } },
  aggs: {
    plans: { terms: { field: 'mlmon.features.cat.plan' } },
    age: { stats: { field: 'mlmon.features.num.age' } },
    latency: { percentiles: { field: 'mlmon.latency_ms', percents: [50, 95, 99] } },
  },
});
const aggs = res.aggregations as {
  plans: { buckets: { key: string; doc_count: number }[] };
  age: { count: number; min: number; max: number; avg: number };
  latency: { values: Record<string, number> };
};
console.log(
  `\nlogged ${n} predictions; stored ${transport.stats().indexed}, dead-lettered ${transport.stats().deadLettered}, dropped ${transport.stats().dropped}`,
);
console.log(
  `data stream ${index} on ${process.env.ES_URL ?? 'the local node'} now holds ${(res.hits.total as { value: number }).value} documents for model churn`,
);
console.log(`plan mix: ${aggs.plans.buckets.map((b) => `${b.key} ${b.doc_count}`).join(', ')}`);
console.log(`age: min ${aggs.age.min}, mean ${aggs.age.avg.toFixed(1)}, max ${aggs.age.max}`);
console.log(
  `latency ms: p50 ${aggs.latency.values['50.0']?.toFixed(2)}, p95 ${aggs.latency.values['95.0']?.toFixed(2)}, p99 ${aggs.latency.values['99.0']?.toFixed(2)}`,
);
console.log('\nthe node keeps running: `npm run es:stop` stops it');
logger.close();
await client.close();
