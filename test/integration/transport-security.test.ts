import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dataStreamName } from '../../src/transport/document.js';
import { MlInputTransport, type MlInputTransportOptions } from '../../src/transport/ml-input-transport.js';
import type { TransportProblem } from '../../src/transport/transport-stats.js';
import { FileRealm, type OwnNode, startOwnNode } from '../helpers/own-node.js';
import { eventually, storedSummary } from '../helpers/stored.js';
import { installPredictionTemplate } from '../helpers/templates.js';

// HTTPS with a private CA and authentication, as on a production cluster
let node: OwnNode;
let realm: FileRealm;
let counter = 0;

before(async () => {
  node = await startOwnNode({ security: true });
  realm = new FileRealm(node);
});
after(() => node.stop());

async function namespace(): Promise<string> {
  counter += 1;
  const ns = `sec${counter}`;
  await installPredictionTemplate(node.admin, ns);
  return ns;
}

function transport(opts: MlInputTransportOptions) {
  const tr = new MlInputTransport({ retryInitialMs: 20, retryMaxMs: 300, checkTemplate: false, ...opts });
  const problems: TransportProblem[] = [];
  tr.on('warn', (p: TransportProblem) => problems.push(p));
  return { tr, problems };
}

async function logAndCheck(tr: MlInputTransport, ns: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) tr.logPrediction({ features: { i } });
  assert.equal(await tr.flush(30_000), true, JSON.stringify(tr.stats()));
  assert.equal(tr.stats().indexed, n);
  assert.deepEqual(await storedSummary(node.admin, dataStreamName(ns)), { total: n, duplicates: [] });
}

test('basic auth over HTTPS with the CA file', async () => {
  const ns = await namespace();
  const { tr } = transport({
    node: node.url,
    namespace: ns,
    username: node.username,
    password: node.password,
    caFile: node.caFile,
    spillDir: false,
  });
  await logAndCheck(tr, ns, 50);
  await tr.shutdown();
});

test('a service-account bearer token with the CA fingerprint, both from the environment variables', async () => {
  const ns = await namespace();
  // elastic/fleet-server may create documents in logs-*-*: a real least-privilege writer
  const token = realm.serviceToken('elastic/fleet-server', `shipper-${ns}`);
  const saved = { ...process.env };
  Object.assign(process.env, {
    ES_URL: node.url,
    ES_BEARER_TOKEN: token,
    ES_CA_FINGERPRINT: node.caFingerprint as string,
  });
  try {
    const { tr } = transport({ namespace: ns, spillDir: false });
    await logAndCheck(tr, ns, 50);
    await tr.shutdown();
  } finally {
    process.env = saved;
  }
});

test('without the CA the certificate is refused: reported, kept, and sent once verification is off', async () => {
  const ns = await namespace();
  const { tr, problems } = transport({
    node: node.url,
    namespace: ns,
    username: node.username,
    password: node.password,
    spillDir: false,
  });
  for (let i = 0; i < 10; i++) tr.logPrediction({ features: { i } });
  await eventually(() => problems.some((p) => p.code === 'cluster_unavailable'), 'a TLS failure is reported');
  assert.match(problems.find((p) => p.code === 'cluster_unavailable')?.message ?? '', /certificate/i);
  assert.equal(tr.stats().indexed, 0);
  assert.equal(tr.stats().queued + tr.stats().inFlight, 10);
  await tr.shutdown({ timeoutMs: 100 });

  const { tr: insecure } = transport({
    node: node.url,
    namespace: ns,
    username: node.username,
    password: node.password,
    tlsVerify: false,
    spillDir: false,
  });
  await logAndCheck(insecure, ns, 10);
  await insecure.shutdown();
});

test('a wrong password keeps every document; after a restart with the right one, all arrive', async () => {
  const ns = await namespace();
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-auth-spill-'));
  try {
    const { tr, problems } = transport({
      node: node.url,
      namespace: ns,
      username: 'elastic',
      password: 'wrong',
      caFile: node.caFile,
      spillDir: dir,
    });
    for (let i = 0; i < 40; i++) tr.logPrediction({ features: { i } });
    await eventually(() => problems.some((p) => p.code === 'auth_failed'), 'a 401 is reported');
    assert.equal(problems.find((p) => p.code === 'auth_failed')?.severity, 'error');
    const report = await tr.shutdown({ timeoutMs: 200 });
    assert.equal(report.savedToDisk, 40);
    assert.equal(report.dropped + report.failed + report.indexed, 0);

    const { tr: fixed } = transport({
      node: node.url,
      namespace: ns,
      username: node.username,
      password: node.password,
      caFile: node.caFile,
      spillDir: dir,
    });
    assert.equal(await fixed.flush(30_000), true);
    assert.equal(fixed.stats().indexed, 40);
    assert.deepEqual(await storedSummary(node.admin, dataStreamName(ns)), { total: 40, duplicates: [] });
    await fixed.shutdown();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a user without write privileges: refused (403), reported with the missing privilege, and kept rather than dead-lettered', async () => {
  const ns = await namespace();
  realm.addRoles(`mlmon_test_reader:\n  indices:\n    - names: ['logs-mlmon.*']\n      privileges: ['read']`);
  realm.addUser('reader', 'reader-pass', ['mlmon_test_reader']);
  await realm.waitForUser(node, 'reader', 'reader-pass');
  const { tr, problems } = transport({
    node: node.url,
    namespace: ns,
    username: 'reader',
    password: 'reader-pass',
    caFile: node.caFile,
    spillDir: false,
  });
  for (let i = 0; i < 5; i++) tr.logPrediction({ features: { i } });
  // the node picks up new file-realm users and roles within seconds
  await eventually(
    () => problems.some((p) => p.code === 'auth_failed' && /403/.test(p.message)),
    'a 403 is reported',
    30_000,
  );
  const s = tr.stats();
  assert.equal(s.deadLettered + s.failed + s.dropped + s.indexed, 0);
  assert.equal(s.queued + s.inFlight, 5);
  await tr.shutdown({ timeoutMs: 100 });
});
