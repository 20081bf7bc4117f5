/**
 * Setup's ingest-pipeline part on a real ingest engine (the test Elasticsearch has no ingest
 * processors, so this runs on the OpenSearch engine `npm run es:start` starts, through the same
 * installer): plan, install, unchanged on a second run, a hand edit detected, removal, and a
 * document through the installed default pipeline getting the derived fields.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { elasticsearchAssets } from '../../src/assets/catalog.js';
import { pipelineCheck } from '../../src/doctor/pipeline-check.js';
import { requestViaClient } from '../../src/es/raw-request.js';
import { installBaselinePipelines } from '../../src/setup/baseline-pipelines.js';
import { hasIngest } from '../../src/setup/cluster-support.js';
import { applySetup, planSetup, teardown } from '../../src/setup/setup-plan.js';
import { ingestEngine, testClient, uniqueNamespace } from '../helpers/cluster.js';
import { ingestTestBaseline } from '../helpers/ingest-baseline.js';

const ns = uniqueNamespace('pipe');
const model = `pm_${ns}`;
const baseline = ingestTestBaseline(model, '1');
const options = { namespace: ns, baselines: [baseline], only: ['ingest_pipeline' as const] };

after(async () => {
  const { request } = await ingestEngine();
  await request('DELETE', `/${ns}-target`);
});

describe('setup on an ingest engine', () => {
  it('installs the pipelines once, then reports them unchanged; a hand edit shows in the plan', async () => {
    const { request, capabilities } = await ingestEngine();
    assert.ok(hasIngest(capabilities), 'the ingest engine has script + Painless');
    const plan = await planSetup(request, options);
    const names = plan.entries.map((e) => e.name);
    assert.deepEqual(names, [
      `mlmon-${ns}-predictions-raw`,
      `mlmon-${ns}-predictions`,
      `mlmon-${ns}-baseline-${model}@1`,
      `mlmon-${ns}-baseline-${model}`,
    ]);
    assert.ok(plan.entries.every((e) => e.action === 'create'));
    const applied = await applySetup(request, plan);
    assert.equal(applied.error, undefined, applied.error?.message);
    assert.ok(applied.entries.every((e) => e.outcome === 'applied'));

    const again = await planSetup(request, options);
    assert.deepEqual(
      again.entries.map((e) => e.action),
      ['unchanged', 'unchanged', 'unchanged', 'unchanged'],
      JSON.stringify(again.entries.map((e) => e.differences)),
    );

    // someone edits the raw pipeline's description by hand
    const id = `mlmon-${ns}-predictions-raw`;
    const current = (await request('GET', `/_ingest/pipeline/${id}`)).body as Record<
      string,
      Record<string, unknown>
    >;
    await request('PUT', `/_ingest/pipeline/${id}`, { ...current[id], description: 'changed by hand' });
    const changed = (await planSetup(request, options)).entries.find((e) => e.name === id);
    assert.equal(changed?.action, 'update');
    assert.ok(changed?.differences?.some((d) => d.startsWith('description:')));
    await applySetup(request, await planSetup(request, options));
  });

  it('the predictions template names the pipeline as its default where the cluster has ingest', async () => {
    const { request } = await ingestEngine();
    const plan = await planSetup(request, { ...options, only: ['index_template'] });
    const tpl = plan.entries.find((e) => e.name === `mlmon-predictions-${ns}`);
    const settings = (tpl?.asset?.body.template as { settings?: Record<string, unknown> } | undefined)
      ?.settings;
    assert.equal(settings?.['index.default_pipeline'], `mlmon-${ns}-predictions`);
    // and not where it has none
    const plain = elasticsearchAssets({ namespace: ns }).find((a) => a.name === `mlmon-predictions-${ns}`);
    assert.ok(plain);
    assert.equal((plain.body.template as { settings?: unknown }).settings, undefined);
  });

  it('a raw document through the installed pipelines gets the derived fields', async () => {
    const { request } = await ingestEngine();
    const index = `${ns}-target`;
    const res = await request('PUT', `/${index}/_doc/1?pipeline=mlmon-${ns}-predictions&refresh=true`, {
      '@timestamp': '2026-11-27T10:00:00Z',
      model,
      version: '1',
      features: { age: 41, plan: 'gold', comment: 'the cat sat on the sofa' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const doc = ((await request('GET', `/${index}/_doc/1`)).body as { _source: Record<string, unknown> })
      ._source;
    const text = JSON.stringify(doc);
    // one OOV word ("sofa") among six tokens
    assert.match(text, /"sofa"/);
    assert.match(text, /"event":\{[^}]*"ingested"/);
  });

  it('a stored baseline gets its vocabulary pipelines at once, where the cluster has ingest', async () => {
    const { request } = await ingestEngine();
    const other = ingestTestBaseline(`${model}_b`, '2');
    const res = await installBaselinePipelines(request, other);
    assert.deepEqual(res, { installed: [`mlmon-baseline-${model}_b@2`, `mlmon-baseline-${model}_b`] });
    const got = await request('GET', `/_ingest/pipeline/mlmon-baseline-${model}_b@2`);
    assert.equal(got.status, 200);
    await request('DELETE', `/_ingest/pipeline/mlmon-baseline-${model}_b*`);
    // the Elasticsearch test node has no ingest: nothing installed, and the reason
    const es = await installBaselinePipelines(requestViaClient(testClient()), other);
    assert.deepEqual(es, { skipped: 'no ingest script processor with Painless on this cluster' });
  });

  it("doctor's pipeline line: the samples through the installed pipeline give the transport's documents; a hand-edited processor turns it red", async () => {
    const { request } = await ingestEngine();
    const plan = await planSetup(request, options);
    const ok = await pipelineCheck(request, plan, ns);
    assert.equal(ok.status, 'pass', `${ok.detail} ${ok.fix ?? ''}`);
    assert.match(ok.detail, /^3 sample raw predictions through mlmon-.*-predictions give the documents/);

    // someone adds a processor that renames a derived field: the derived documents differ
    const id = `mlmon-${ns}-predictions`;
    const current = (await request('GET', `/_ingest/pipeline/${id}`)).body as Record<
      string,
      { processors: unknown[] }
    >;
    const body = current[id] as { processors: unknown[] };
    await request('PUT', `/_ingest/pipeline/${id}`, {
      ...body,
      processors: [...body.processors, { set: { field: 'mlmon.model.version', value: 'edited' } }],
    });
    const edited = await pipelineCheck(request, await planSetup(request, options), ns);
    assert.equal(edited.status, 'fail');
    assert.match(
      edited.detail,
      /sample 1 .* differs .* at mlmon\.model\.version: pipeline "edited", transport "canary"/,
    );
    assert.match(edited.fix ?? '', /mlmon setup/);
    await applySetup(request, await planSetup(request, options));
    assert.equal((await pipelineCheck(request, await planSetup(request, options), ns)).status, 'pass');

    // a cluster without pipelines (the Elasticsearch test node): skipped with the reason
    const esRequest = requestViaClient(testClient());
    const esPlan = await planSetup(esRequest, options);
    const skipped = await pipelineCheck(esRequest, esPlan, ns);
    assert.equal(skipped.status, 'skip');
    assert.match(skipped.detail, /ingest/);
  });

  it('teardown removes the pipelines', async () => {
    const { request } = await ingestEngine();
    const result = await teardown(request, { namespace: ns, keepData: true, baselines: [baseline] });
    const pipelines = result.entries.filter((e) => e.kind === 'ingest_pipeline');
    assert.deepEqual(
      pipelines.map((e) => e.outcome),
      ['removed', 'removed', 'removed', 'removed'],
    );
    const left = await request('GET', `/_ingest/pipeline/mlmon-${ns}-*`);
    assert.deepEqual(left.body, {});
  });
});
