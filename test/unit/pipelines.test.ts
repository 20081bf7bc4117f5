import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ECS_VERSION } from '../../src/contract/document-fields.js';
import { TOKENIZER_VERSION } from '../../src/contract/tokenizer.js';
import {
  baselinePipelines,
  INGEST_LIMITS,
  newestBaselinePipeline,
  type PipelineAsset,
  pipelineAssets,
  predictionsPipelineId,
  vocabularyPipeline,
} from '../../src/setup/pipelines.js';
import { resolveTransportOptions, transportDefaults } from '../../src/transport/options.js';
import { ingestTestBaseline } from '../helpers/ingest-baseline.js';

type Processor = Record<string, Record<string, unknown>>;

function scripts(asset: PipelineAsset): Record<string, unknown>[] {
  const all = [...asset.body.processors, ...(asset.body.on_failure ?? [])] as Processor[];
  return all.flatMap((p) => (p.script ? [p.script] : []));
}

const baseline = ingestTestBaseline('churn', '3');
const everyAsset = [...pipelineAssets(), vocabularyPipeline(baseline), newestBaselinePipeline(baseline)];

test('the pipelines have stable ids, a version and _meta.managed_by, and no marker is left unfilled', () => {
  assert.deepEqual(
    everyAsset.map((a) => a.id),
    ['mlmon-predictions-raw', 'mlmon-predictions', 'mlmon-baseline-churn@3', 'mlmon-baseline-churn'],
  );
  assert.equal(predictionsPipelineId(), 'mlmon-predictions');
  for (const { id, body } of everyAsset) {
    assert.equal(typeof body.version, 'number', id);
    assert.equal(body._meta?.managed_by, 'mlmon', id);
    assert.ok(body.description.length > 20, id);
    assert.doesNotMatch(JSON.stringify(body), /"\$\{[a-z_]+:/, `${id} has an unfilled marker`);
  }
});

test('for OpenSearch the bodies leave out _meta, which it refuses', () => {
  for (const { body } of pipelineAssets({ engine: 'opensearch' })) assert.equal('_meta' in body, false);
});

test('scripts are inlined from the .painless files and stay under the default script size limit', () => {
  const sources = everyAsset.flatMap(scripts).map((s) => s.source as string);
  // stage, derive without a baseline, dead letter; derive with the baseline
  assert.equal(sources.length, 4);
  for (const source of sources) {
    // Elasticsearch's script.max_size_in_bytes defaults to 65,535
    assert.ok(Buffer.byteLength(source) < 65_535, `${Buffer.byteLength(source)} bytes`);
    assert.match(source, /String mlmonJsTrim\(String s\)/);
  }
  const derive = sources.filter((s) => s.includes('List mlmonTokenize(String text)'));
  assert.equal(derive.length, 2);
  assert.equal(derive[0], derive[1], 'one script source: compiled once for every baseline');
});

test("the scripts' parameters come from the transport's own constants", () => {
  const [raw] = pipelineAssets();
  const derive = scripts(raw as PipelineAsset).find((s) => s.tag === 'derive_without_baseline');
  const params = derive?.params as Record<string, unknown>;
  assert.equal(params.ecs_version, ECS_VERSION);
  assert.equal(params.baseline, null);
  assert.deepEqual(INGEST_LIMITS, {
    max_string_length: transportDefaults.maxStringLength,
    max_category_length: resolveTransportOptions({}).sanitize.maxCategoryLength,
    max_features: transportDefaults.maxFeatures,
    max_array_length: transportDefaults.maxArrayLength,
    max_depth: transportDefaults.maxDepth,
    empty_string_is_na: transportDefaults.emptyStringIsNa,
  });
  assert.deepEqual(params.limits, INGEST_LIMITS);
});

test('a baseline pipeline carries the types, the feature list and the vocabularies of text features', () => {
  const asset = vocabularyPipeline(baseline);
  const params = scripts(asset)[0]?.params as { baseline: Record<string, unknown> };
  assert.equal(params.baseline.id, 'churn@3');
  assert.deepEqual(params.baseline.features, Object.keys(baseline.features));
  assert.equal((params.baseline.kinds as Record<string, string>).comment, 'text');
  const vocabularies = params.baseline.vocabularies as Record<string, Record<string, number>>;
  assert.deepEqual(Object.keys(vocabularies).sort(), ['comment', 'title']);
  assert.ok('straße' in (vocabularies.comment ?? {}));
  assert.equal(asset.body._meta?.baseline_id, 'churn@3');
  assert.equal(asset.body._meta?.baseline_created_at, baseline.created_at);
});

test('the newest-baseline pipeline of a model calls the version pipeline', () => {
  const asset = newestBaselinePipeline(baseline, { prefix: 'p' });
  assert.equal(asset.id, 'p-baseline-churn');
  assert.deepEqual((asset.body.processors[0] as Processor).pipeline?.name, 'p-baseline-churn@3');
});

test('a prefix renames every pipeline and every reference to one', () => {
  const [raw, main] = pipelineAssets({ prefix: 'test-x', fallbackDeadLetterIndex: 'dl-x' }) as [
    PipelineAsset,
    PipelineAsset,
  ];
  assert.equal(main.id, 'test-x-predictions');
  assert.equal((main.body.processors[0] as Processor).pipeline?.name, 'test-x-predictions-raw');
  const stage = scripts(raw).find((s) => s.tag === 'stage');
  assert.deepEqual(stage?.params, { baseline_prefix: 'test-x-baseline-' });
  const deadLetter = scripts(main).find((s) => s.tag === 'dead_letter');
  assert.equal((deadLetter?.params as Record<string, unknown> | undefined)?.fallback_index, 'dl-x');
});

test('a baseline profiled with another tokenizer version is refused', () => {
  assert.throws(
    () => vocabularyPipeline({ ...baseline, tokenizer: 'mlmon-word-v2' }),
    new RegExp(`mlmon-word-v2.*${TOKENIZER_VERSION}`),
  );
});

test('baselinePipelines: one pipeline per baseline, and the newest per model by created_at', () => {
  const older = { ...ingestTestBaseline('churn', '2'), created_at: '2026-01-01T00:00:00.000Z' };
  const newer = { ...ingestTestBaseline('churn', '10'), created_at: '2026-06-01T00:00:00.000Z' };
  const other = ingestTestBaseline('fraud', '1');
  const assets = baselinePipelines([newer, older, other]);
  assert.deepEqual(
    assets.map((a) => a.id),
    [
      'mlmon-baseline-churn@10',
      'mlmon-baseline-churn@2',
      'mlmon-baseline-fraud@1',
      'mlmon-baseline-churn',
      'mlmon-baseline-fraud',
    ],
  );
  const churnNewest = assets.find((a) => a.id === 'mlmon-baseline-churn');
  assert.equal(
    (churnNewest?.body.processors[0] as Processor | undefined)?.pipeline?.name,
    'mlmon-baseline-churn@10',
  );
});
