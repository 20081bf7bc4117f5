import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ExitCode } from '../../src/contract/errors.js';
import { connectionFromEnv, resolveConnection, toClientOptions } from '../../src/es/connection.js';

function configError(fn: () => unknown, option: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.option, option);
    assert.equal(err.exitCode, ExitCode.config);
    return true;
  });
}

test('environment variables map to connection options', () => {
  assert.deepEqual(
    connectionFromEnv({
      ES_URL: 'http://a:9200,http://b:9200',
      ES_API_KEY: 'key',
      ES_CA_FILE: '/ca.pem',
      ES_CA_FINGERPRINT: 'AA',
      ES_TLS_VERIFY: 'false',
    }),
    {
      node: 'http://a:9200,http://b:9200',
      apiKey: 'key',
      caFile: '/ca.pem',
      caFingerprint: 'AA',
      tlsVerify: false,
    },
  );
  configError(() => connectionFromEnv({ ES_TLS_VERIFY: 'no' }), 'ES_TLS_VERIFY');
});

test('explicit options win over the environment', () => {
  const resolved = resolveConnection(
    { node: 'http://explicit:9200', username: undefined },
    { ES_URL: 'http://env:9200', ES_USERNAME: 'u' },
  );
  assert.equal(resolved.node, 'http://explicit:9200');
  assert.equal(resolved.username, 'u');
});

test('a comma-separated node list becomes the client node list', () => {
  const opts = toClientOptions({ node: ' http://a:9200 , https://b:9243 ' });
  assert.deepEqual(opts.nodes, ['http://a:9200', 'https://b:9243']);
  assert.equal(opts.auth, undefined);
});

test('each authentication method maps to the client auth option', () => {
  assert.deepEqual(toClientOptions({ node: 'http://a', apiKey: 'k' }).auth, { apiKey: 'k' });
  assert.deepEqual(toClientOptions({ node: 'http://a', bearerToken: 't' }).auth, { bearer: 't' });
  assert.deepEqual(toClientOptions({ node: 'http://a', username: 'u', password: 'p' }).auth, {
    username: 'u',
    password: 'p',
  });
  assert.deepEqual(toClientOptions({ cloudId: 'name:abc' }).cloud, { id: 'name:abc' });
});

test('invalid options fail with the name of the option', () => {
  configError(() => toClientOptions({}), 'node');
  configError(() => toClientOptions({ node: 'not a url' }), 'node');
  configError(() => toClientOptions({ node: 'ftp://a:21' }), 'node');
  configError(() => toClientOptions({ node: 'http://a', apiKey: 'k', username: 'u', password: 'p' }), 'auth');
  configError(() => toClientOptions({ node: 'http://a', username: 'u' }), 'password');
  configError(() => toClientOptions({ node: 'http://a', caFingerprint: 'xyz' }), 'caFingerprint');
  configError(() => toClientOptions({ node: 'http://a', caFile: '/does/not/exist.pem' }), 'caFile');
  configError(() => toClientOptions({ node: 'http://a', requestTimeoutMs: -1 }), 'requestTimeoutMs');
});

test('tlsVerify false turns certificate checks off; a fingerprint passes through', () => {
  const fp = `${'AB:'.repeat(31)}AB`;
  const opts = toClientOptions({ node: 'https://a', tlsVerify: false, caFingerprint: fp });
  assert.equal(opts.tls?.rejectUnauthorized, false);
  assert.equal(opts.caFingerprint, fp);
});
