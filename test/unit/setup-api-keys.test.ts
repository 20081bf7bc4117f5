import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { ConfigError } from '../../src/contract/errors.js';
import type { Capabilities } from '../../src/es/capabilities.js';
import { requestViaFetch } from '../../src/es/raw-request.js';
import type { Planned } from '../../src/setup/installer.js';
import { type ApiKey, apiKeyEntries, validApiKeyExpiration } from '../../src/setup/security-assets.js';
import { mlmon } from '../helpers/cli.js';

/**
 * A loopback stand-in for Elasticsearch's API key endpoints, following the documented contract
 * (create: POST /_security/api_key -> { id, name, api_key, encoded, expiration }; get: GET
 * /_security/api_key?name=&active_only= -> { api_keys }; invalidate: DELETE /_security/api_key
 * { ids } -> { invalidated_api_keys, previously_invalidated_api_keys, error_count }). The test node
 * cannot store API keys (README, "What the test node can do"); its refusal is tested in
 * test/integration/setup-security.test.ts.
 */
interface StoredKey {
  id: string;
  name: string;
  creation: number;
  expiration?: number;
  invalidated: boolean;
  body: Record<string, unknown>;
}
const stored: StoredKey[] = [];
const requests: string[] = [];
let failLookups = false;
let url = '';
const DAY = 86_400_000;
const UNIT: Record<string, number> = { d: DAY, h: 3_600_000, m: 60_000, s: 1000 };

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  let text = '';
  for await (const chunk of req) text += chunk;
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  const u = new URL(req.url ?? '/', 'http://x');
  requests.push(`${req.method} ${u.pathname}`);
  if (u.pathname !== '/_security/api_key') return reply(res, 404, { error: 'no handler' });
  if (req.method === 'GET') {
    if (failLookups) return reply(res, 500, { error: { type: 'exception', reason: 'lookup failed' } });
    const now = Date.now();
    const active = u.searchParams.get('active_only') === 'true';
    const keys = stored.filter(
      (k) =>
        k.name === u.searchParams.get('name') &&
        (!active || (!k.invalidated && (k.expiration === undefined || k.expiration > now))),
    );
    return reply(res, 200, {
      api_keys: keys.map(({ body: _b, ...k }) => k),
    });
  }
  if (req.method === 'POST') {
    if (typeof body.name !== 'string')
      return reply(res, 400, { error: { type: 'action_request_validation_exception' } });
    const m = typeof body.expiration === 'string' ? /^(\d+)([dhms])$/.exec(body.expiration) : null;
    const id = `key${stored.length + 1}`;
    const key: StoredKey = { id, name: body.name, creation: Date.now(), invalidated: false, body };
    if (m) key.expiration = Date.now() + Number(m[1]) * (UNIT[m[2] as string] as number);
    stored.push(key);
    const apiKey = `secret-of-${id}`;
    return reply(res, 200, {
      id,
      name: body.name,
      api_key: apiKey,
      encoded: Buffer.from(`${id}:${apiKey}`).toString('base64'),
      ...(key.expiration ? { expiration: key.expiration } : {}),
    });
  }
  if (req.method === 'DELETE') {
    const ids = (body.ids as string[]) ?? [];
    const invalidated: string[] = [];
    const previously: string[] = [];
    for (const k of stored.filter((x) => ids.includes(x.id))) {
      (k.invalidated ? previously : invalidated).push(k.id);
      k.invalidated = true;
    }
    return reply(res, 200, {
      invalidated_api_keys: invalidated,
      previously_invalidated_api_keys: previously,
      error_count: 0,
    });
  }
  return reply(res, 405, {});
}

const server = createServer((req, res) => {
  void handle(req, res);
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const caps = { security: true } as Capabilities;

async function setupRun(o: { rotateApiKeys?: boolean; apiKeyExpiration?: string } = {}) {
  const keys: ApiKey[] = [];
  const entries = await apiKeyEntries(
    caps,
    { apiKeys: true, namespace: 'keys', ...o },
    requestViaFetch(url),
    keys,
  );
  const outcomes: string[] = [];
  for (const e of entries as Planned[]) {
    if (!e.apply) continue;
    try {
      outcomes.push((await e.apply()) ?? '');
    } catch (err) {
      outcomes.push(`failed: ${(err as Error).message}`);
    }
  }
  return { entries, keys, outcomes };
}
const active = () => stored.filter((k) => !k.invalidated);

test('first run: one key per role, named after it, expiring in 90 days by default', async () => {
  const { entries, keys } = await setupRun();
  assert.deepEqual(
    entries.map((e) => [e.name, e.action]),
    [
      ['mlmon-shipper-keys API key', 'create'],
      ['mlmon-job-keys API key', 'create'],
    ],
  );
  assert.equal(keys.length, 2);
  assert.deepEqual(
    stored.map((k) => k.name),
    ['mlmon-shipper-keys', 'mlmon-job-keys'],
  );
  for (const k of stored) {
    assert.equal(k.body.expiration, '90d');
    assert.ok(Math.abs((k.expiration ?? 0) - (k.creation + 90 * DAY)) < 1000);
  }
});

test('a rerun finds the active keys by name, keeps them and creates none', async () => {
  const before = requests.filter((r) => r.startsWith('POST')).length;
  const { entries, keys } = await setupRun();
  assert.deepEqual(
    entries.map((e) => e.action),
    ['unchanged', 'unchanged'],
  );
  assert.match(entries[0]?.reason ?? '', /active key key1 \(expires .*\) kept, no new key.*--rotate/);
  assert.equal(keys.length, 0);
  assert.equal(requests.filter((r) => r.startsWith('POST')).length, before);
  assert.equal(active().length, 2);
});

test('--rotate creates the new key, then invalidates the old one, and says so', async () => {
  const { entries, keys, outcomes } = await setupRun({ rotateApiKeys: true, apiKeyExpiration: '7d' });
  assert.deepEqual(
    entries.map((e) => e.action),
    ['update', 'update'],
  );
  assert.match(entries[0]?.reason ?? '', /rotate: a new key \(expires in 7d\), then key1 invalidated/);
  assert.deepEqual(outcomes, [
    'new key key3 (expires in 7d); invalidated key1',
    'new key key4 (expires in 7d); invalidated key2',
  ]);
  assert.deepEqual(
    keys.map((k) => k.id),
    ['key3', 'key4'],
  );
  assert.deepEqual(
    active().map((k) => [k.id, k.body.expiration]),
    [
      ['key3', '7d'],
      ['key4', '7d'],
    ],
  );
  // creation came before invalidation: the application never lacks a valid key
  const post = requests.lastIndexOf('POST /_security/api_key');
  assert.ok(requests.lastIndexOf('DELETE /_security/api_key') > post);
});

test('when the existing keys cannot be looked up, nothing is created', async () => {
  failLookups = true;
  try {
    const before = stored.length;
    const { outcomes, keys } = await setupRun();
    assert.equal(outcomes.length, 2);
    for (const o of outcomes) assert.match(o, /failed: looking up the API keys named mlmon-.*-keys.*500/);
    assert.equal(stored.length, before);
    assert.equal(keys.length, 0);
  } finally {
    failLookups = false;
  }
});

test('--api-key-expiration takes whole positive durations in days, hours, minutes or seconds', () => {
  assert.equal(validApiKeyExpiration('30d'), '30d');
  assert.equal(validApiKeyExpiration('12h'), '12h');
  for (const bad of ['0d', '1ms', '90', 'soon', '-1d'])
    assert.throws(() => validApiKeyExpiration(bad), ConfigError, bad);
});

test('the command line: --rotate without --api-keys is a usage error, a bad expiration a config error, before any request', () => {
  const rotate = mlmon(['setup', '--rotate', '--node', 'http://127.0.0.1:1']);
  assert.equal(rotate.code, 2, rotate.stderr);
  assert.match(rotate.stderr, /--rotate and --api-key-expiration go with --api-keys/);
  const bad = mlmon(['setup', '--api-keys', '--api-key-expiration', '1ms', '--node', 'http://127.0.0.1:1']);
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(bad.stderr, /invalid option --api-key-expiration: "1ms" is not a duration/);
});
