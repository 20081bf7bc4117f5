/**
 * The watch compare against what `GET _watcher/watch/<id>` returns: the stored watch re-serialized
 * by `Watch.toXContent` (x-pack/plugin/watcher/src/main/java/org/elasticsearch/xpack/watcher/):
 * `throttle_period_in_millis` instead of `throttle_period`, `op_type` upper-cased, a `status` added.
 * That is not a change (re-PUTting a watch resets its action state); a changed rule is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Body } from '../../src/assets/catalog.js';
import type { RawRequest } from '../../src/es/raw-request.js';
import { differences } from '../../src/setup/compare.js';
import { planAsset } from '../../src/setup/installer.js';
import { watchAssets } from '../../src/setup/setup-plan.js';

const MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What the cluster gives back for a watch PUT with `body`. */
function asWatcherReturnsIt(body: Body): Body {
  const w = structuredClone(body) as Body & { actions: Record<string, Body> };
  for (const action of Object.values(w.actions)) {
    const t = action.throttle_period as string | undefined;
    if (t) {
      delete action.throttle_period;
      action.throttle_period_in_millis = Number(t.slice(0, -1)) * (MS[t.slice(-1)] as number);
    }
    const index = action.index as Body | undefined;
    if (index?.op_type) index.op_type = String(index.op_type).toUpperCase();
  }
  return w;
}

function clusterWith(watch: Body): RawRequest {
  return async (method, path) => {
    assert.equal(method, 'GET');
    assert.match(path, /^\/_watcher\/watch\//);
    return {
      status: 200,
      body: { found: true, _id: 'x', _version: 3, status: { state: { active: true } }, watch },
    };
  };
}

test('a watch as GET _watcher/watch re-serializes it is unchanged; a changed threshold is an update', async () => {
  const [asset] = watchAssets({ namespace: 'p', watches: { namespace: 'p' } });
  assert.ok(asset);
  const returned = asWatcherReturnsIt(asset.body);
  // field by field, the cluster's normalizing alone would look like a change on every run
  assert.notDeepEqual(differences(asset.body, returned), []);
  assert.equal((await planAsset(clusterWith(returned), asset)).action, 'unchanged');

  const [changed] = watchAssets({
    namespace: 'p',
    watches: { namespace: 'p', interval: '1m' },
  });
  assert.ok(changed);
  assert.notEqual(changed.body.metadata, asset.body.metadata);
  const plan = await planAsset(clusterWith(returned), changed);
  assert.equal(plan.action, 'update');
  assert.ok(
    plan.differences?.some((d) => d.startsWith('trigger.schedule.interval')),
    JSON.stringify(plan),
  );
});

test('a watch installed without a hash (an older version) compares field by field', async () => {
  const [asset] = watchAssets({ namespace: 'p', watches: { namespace: 'p' } });
  assert.ok(asset);
  const { content_hash: _h, ...metadata } = asset.body.metadata as Body;
  const old = { ...asset.body, metadata };
  assert.equal((await planAsset(clusterWith(old), asset)).action, 'update');
});
