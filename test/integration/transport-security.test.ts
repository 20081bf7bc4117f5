import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { createMonitor } from '../../src/transport/create-monitor.js';
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

/** Everything an object shows to util.inspect, however deep, hidden properties included. */
const deepInspect = (o: unknown) => inspect(o, { depth: Number.POSITIVE_INFINITY, showHidden: true });

function assertAbsent(text: string, secrets: Record<string, string>, where: string): void {
  for (const [name, secret] of Object.entries(secrets))
    assert.ok(!text.includes(secret), `${where} shows the ${name}`);
}

test('no secret in events, printed objects or stored documents; no feature value in events', async () => {
  const ns = await namespace();
  const hashSecret = `hash-secret-${process.pid}-${Date.now()}`;
  const apiKey = `bogus-api-key-${process.pid}-${Date.now()}`;
  const rawValue = `raw-feature-value-${process.pid}`;
  const email = `someone-${process.pid}@example.com`;
  const password = node.password as string;
  const secrets = {
    password,
    'password in the Authorization header': Buffer.from(`${node.username}:${password}`).toString('base64'),
    'API key': apiKey,
    'hash secret': hashSecret,
  };
  const saved = process.env.MLMON_HASH_SECRET;
  process.env.MLMON_HASH_SECRET = hashSecret;
  const events: unknown[] = [];
  const objects: [string, unknown][] = [];
  const features = { note: rawValue, email, n: 1 };
  try {
    const base = {
      namespace: ns,
      hash: ['email'],
      retryInitialMs: 20,
      retryMaxMs: 300,
      checkTemplate: false,
    };
    // (1) the cluster unavailable: the certificate is refused (no CA) with the right password
    const noCa = createMonitor({
      ...base,
      node: node.url,
      username: node.username,
      password,
      spillDir: false,
    });
    // (2) a wrong password (401), (3) an API key the node refuses (401)
    const wrong = createMonitor({
      ...base,
      node: node.url,
      username: node.username,
      password: `${password}-wrong`,
      caFile: node.caFile,
      spillDir: false,
    });
    const keyed = createMonitor({ ...base, node: node.url, apiKey, caFile: node.caFile, spillDir: false });
    const failing = { noCa, wrong, keyed };
    for (const [name, m] of Object.entries(failing)) {
      m.transport.on('warn', (p: unknown) => events.push(p));
      objects.push([name, m]);
      for (let i = 0; i < 5; i++) m.logPrediction({ features });
    }
    const codes = () => events.map((e) => (e as TransportProblem).code);
    await eventually(
      () => codes().includes('cluster_unavailable') && codes().filter((c) => c === 'auth_failed').length >= 2,
      'the TLS failure and both 401s are reported',
    );
    const unavailable = events.find((e) => (e as TransportProblem).code === 'cluster_unavailable') as Record<
      string,
      unknown
    >;
    // the event says what happened, in words and fields, without the client's error object
    assert.equal(unavailable.errorType, 'ConnectionError');
    assert.match(String(unavailable.reason), /certificate/i);
    assert.equal(unavailable.error, undefined);
    const denied = events.find((e) => (e as TransportProblem).code === 'auth_failed') as Record<
      string,
      unknown
    >;
    assert.equal(denied.status, 401);
    assert.equal(denied.errorType, 'security_exception');
    for (const m of Object.values(failing)) await m.shutdown({ timeoutMs: 50 });

    // (4) the right credentials: stored, the hashed feature hashed
    const good = createMonitor({
      ...base,
      node: node.url,
      username: node.username,
      password,
      caFile: node.caFile,
      spillDir: false,
    });
    good.transport.on('warn', (p: unknown) => events.push(p));
    for (let i = 0; i < 20; i++) good.logPrediction({ features });
    assert.equal(await good.flush(30_000), true, JSON.stringify(good.stats()));
    objects.push(['good', good], ['good.transport', good.transport], ['good.stats()', good.stats()]);
    await node.admin.indices.refresh({ index: dataStreamName(ns) });
    const stored = await node.admin.search({ index: dataStreamName(ns), size: 100 });
    assert.equal(stored.hits.hits.length, 20);
    const storedText = JSON.stringify(stored.hits.hits.map((h) => h._source));
    assertAbsent(storedText, secrets, 'a stored document');
    assert.ok(!storedText.includes(email), 'the hashed feature is stored hashed');
    assert.ok(storedText.includes(rawValue), 'the other feature is stored as is');

    assert.ok(events.length >= 3);
    for (const e of events) {
      const text = `${deepInspect(e)}\n${JSON.stringify(e)}`;
      assertAbsent(
        text,
        { ...secrets, 'feature value': rawValue, 'hashed feature': email },
        `the ${(e as TransportProblem).code} event`,
      );
    }
    for (const [name, o] of objects) {
      assertAbsent(deepInspect(o), secrets, `util.inspect(${name})`);
      const t = (o as { transport?: MlInputTransport }).transport ?? o;
      if (t instanceof MlInputTransport)
        assertAbsent(JSON.stringify(t.options), secrets, `JSON of ${name} options`);
    }
    await good.shutdown();
  } finally {
    if (saved === undefined) delete process.env.MLMON_HASH_SECRET;
    else process.env.MLMON_HASH_SECRET = saved;
  }
});
