/**
 * The label join at scale (issue 15): one window of 1,000,000 predictions, then 20,000 and 200,000 of
 * them labelled, and a window of 100,000 predictions with 20,000 labels: the client's time, peak RSS
 * and the cluster's own time (`took`, summed) of `windowPerformance`, each in a fresh child process.
 *
 *   node --import tsx bench/labels-join.ts [--node <url>] [--scale 0.01]
 *
 * Against the node `npm run es:start` started (or --node; 127.0.0.1 only). Not part of `npm run bench`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ASSET_PATHS } from '../src/assets/layout.js';
import { readJsonAsset } from '../src/assets/package-files.js';
import { labelsStream, predictionsStream } from '../src/contract/streams.js';
import { createClient } from '../src/es/connection.js';
import { readLocalNodeState } from '../src/es/local-node.js';
import { windowPerformance } from '../src/metrics/window.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10);
const BULK = 5_000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const url = arg('--node') ?? readLocalNodeState()?.elasticsearch?.url;
if (!url || !/^https?:\/\/127\.0\.0\.1[:/]/.test(url))
  throw new Error('a node on 127.0.0.1: npm run es:start, or --node');
const client = createClient({ node: url });

/** The child: one join, measured. */
if (process.argv.includes('--child')) {
  const ns = arg('--ns') as string;
  const model = arg('--model') as string;
  const predictions = Number(arg('--predictions'));
  let took = 0;
  client.diagnostic.on('response', (_err, res) => {
    const body = res?.body as { took?: number } | undefined;
    if (typeof body?.took === 'number') took += body.took;
  });
  const start = performance.now();
  const p = await windowPerformance(
    client,
    { model, from: new Date(T0), to: new Date(T0 + HOUR), index: predictionsStream(ns) },
    predictions,
    'classification',
  );
  const ms = performance.now() - start;
  console.log(
    JSON.stringify({
      ms,
      took,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      labeled: p?.labeled,
      coverage: p?.coverage,
    }),
  );
  process.exit(0);
}

const scale = Number(arg('--scale') ?? '1');
const ns = `benchlabels_${randomBytes(3).toString('hex')}`;
for (const [family, index] of [
  ['predictions', predictionsStream(ns)],
  ['labels', labelsStream(ns)],
] as const) {
  const c = readJsonAsset<{ template: Record<string, unknown> }>(ASSET_PATHS.componentTemplate(family));
  await client.indices.putIndexTemplate({
    name: `bench-${family}-${ns}`,
    index_patterns: [index],
    data_stream: {},
    template: c.template,
    priority: 300,
  });
}

async function bulk(index: string, docs: (i: number) => Record<string, unknown>, from: number, to: number) {
  for (let s = from; s < to; s += BULK) {
    const operations: object[] = [];
    for (let i = s; i < Math.min(to, s + BULK); i++) operations.push({ create: { _index: index } }, docs(i));
    const res = await client.bulk({ operations });
    if (res.errors) throw new Error('bulk errors');
  }
}
const prediction = (model: string, n: number) => (i: number) => ({
  '@timestamp': new Date(T0 + Math.floor((i * HOUR) / n)).toISOString(),
  mlmon: {
    model: { name: model, version: '1' },
    prediction_id: `${model}-${i}`,
    prediction: { cat: i % 3 ? 'yes' : 'no' },
  },
});
// every k-th prediction labelled, an hour to a day later
const label = (model: string, every: number, offset: number) => (j: number) => ({
  '@timestamp': new Date(T0 + HOUR + j).toISOString(),
  mlmon: {
    model: { name: model },
    prediction_id: `${model}-${j * every + offset}`,
    label: { cat: j % 4 ? 'yes' : 'no', logged_at: new Date(T0 + HOUR + j).toISOString() },
  },
});

function measure(model: string, predictions: number) {
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/labels-join.ts',
      '--child',
      '--node',
      url as string,
      '--ns',
      ns,
      '--model',
      model,
      '--predictions',
      String(predictions),
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string) as {
    ms: number;
    took: number;
    maxRssMiB: number;
    labeled: number;
    coverage: number;
  };
}

const big = Math.round(1_000_000 * scale);
const small = Math.round(100_000 * scale);
const fewLabels = Math.round(20_000 * scale);
const manyLabels = Math.round(200_000 * scale);
let t = performance.now();
await bulk(predictionsStream(ns), prediction('big', big), 0, big);
await bulk(predictionsStream(ns), prediction('small', small), 0, small);
await bulk(labelsStream(ns), label('big', big / fewLabels, 0), 0, fewLabels);
await bulk(labelsStream(ns), label('small', small / fewLabels, 0), 0, fewLabels);
await client.indices.refresh({ index: [predictionsStream(ns), labelsStream(ns)] });
console.error(
  `indexed ${big + small} predictions and ${2 * fewLabels} labels in ${((performance.now() - t) / 1000).toFixed(0)} s`,
);
const rows: string[] = [];
const row = (predictions: number, labels: number, m: ReturnType<typeof measure>) =>
  rows.push(
    `| ${predictions.toLocaleString('en')} | ${labels.toLocaleString('en')} | ${m.labeled.toLocaleString('en')} | ${(m.ms / 1000).toFixed(2)} | ${(m.took / 1000).toFixed(2)} | ${m.maxRssMiB.toFixed(0)} |`,
  );
row(small, fewLabels, measure('small', small));
row(big, fewLabels, measure('big', big));
t = performance.now();
// 180,000 more labels of the big window, on other predictions (offset: none of the first 20,000's)
await bulk(labelsStream(ns), (j) => label('big', big / manyLabels, 1)(j), 0, manyLabels - fewLabels);
await client.indices.refresh({ index: labelsStream(ns) });
console.error(
  `indexed ${manyLabels - fewLabels} more labels in ${((performance.now() - t) / 1000).toFixed(0)} s`,
);
row(big, manyLabels, measure('big', big));
console.log(
  '| predictions in the window | labels | labelled (joined) | client s | cluster s (took, summed) | client peak RSS MiB |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
await client.close();
