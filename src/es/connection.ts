import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { ConfigError } from '../contract/errors.js';

/** How to reach the cluster. Every field can also come from the environment (see `connectionFromEnv`). */
export interface ConnectionOptions {
  /** one URL, a comma-separated list, or an array */
  node?: string | string[];
  cloudId?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  bearerToken?: string;
  /** PEM file of the CA that signed the cluster's certificate */
  caFile?: string;
  /** SHA-256 fingerprint of the CA certificate (HTTPS only) */
  caFingerprint?: string;
  /** false accepts any certificate: for local experiments only */
  tlsVerify?: boolean;
  requestTimeoutMs?: number;
}

/** The documented environment variables (README, "Connecting"). */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const opts: ConnectionOptions = {};
  if (env.ES_URL) opts.node = env.ES_URL;
  if (env.ES_CLOUD_ID) opts.cloudId = env.ES_CLOUD_ID;
  if (env.ES_API_KEY) opts.apiKey = env.ES_API_KEY;
  if (env.ES_USERNAME) opts.username = env.ES_USERNAME;
  if (env.ES_PASSWORD) opts.password = env.ES_PASSWORD;
  if (env.ES_BEARER_TOKEN) opts.bearerToken = env.ES_BEARER_TOKEN;
  if (env.ES_CA_FILE) opts.caFile = env.ES_CA_FILE;
  if (env.ES_CA_FINGERPRINT) opts.caFingerprint = env.ES_CA_FINGERPRINT;
  if (env.ES_TLS_VERIFY !== undefined) {
    if (!['true', 'false'].includes(env.ES_TLS_VERIFY)) {
      throw new ConfigError('ES_TLS_VERIFY', `must be "true" or "false", got "${env.ES_TLS_VERIFY}"`);
    }
    opts.tlsVerify = env.ES_TLS_VERIFY === 'true';
  }
  return opts;
}

/**
 * Explicit options win over the environment. `fallbackNode` is used when neither names a cluster:
 * the command line passes the node `npm run es:start` started (a development convenience); the
 * library passes none, so an application never reads the repository's development files.
 */
export function resolveConnection(
  explicit: ConnectionOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  fallbackNode?: string,
): ConnectionOptions {
  const merged: ConnectionOptions = { ...connectionFromEnv(env), ...stripUndefined(explicit) };
  if (!merged.node && !merged.cloudId && fallbackNode) merged.node = fallbackNode;
  return merged;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function nodeList(node: string | string[]): string[] {
  const list = (Array.isArray(node) ? node : node.split(',')).map((n) => n.trim()).filter(Boolean);
  for (const url of list) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('node', `"${url}" is not a URL`, 'use a full URL such as http://127.0.0.1:9200');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError('node', `"${url}" must use http or https`);
    }
  }
  return list;
}

/** Validates the options (naming the bad one) and turns them into official-client options. */
export function toClientOptions(opts: ConnectionOptions): ClientOptions {
  const out: ClientOptions = {};
  if (opts.cloudId) out.cloud = { id: opts.cloudId };
  else if (opts.node) out.nodes = nodeList(opts.node);
  else {
    throw new ConfigError(
      'node',
      'no cluster given',
      'pass node (or client), set ES_URL or ES_CLOUD_ID, or run `npm run es:start` in the repository',
    );
  }
  const auths = [
    opts.apiKey && 'apiKey',
    opts.bearerToken && 'bearerToken',
    (opts.username || opts.password) && 'username/password',
  ].filter(Boolean);
  if (auths.length > 1) throw new ConfigError('auth', `choose one of ${auths.join(', ')}`);
  if (opts.apiKey) out.auth = { apiKey: opts.apiKey };
  else if (opts.bearerToken) out.auth = { bearer: opts.bearerToken };
  else if (opts.username || opts.password) {
    if (!opts.username || !opts.password)
      throw new ConfigError(
        opts.username ? 'password' : 'username',
        'basic auth needs both username and password',
      );
    out.auth = { username: opts.username, password: opts.password };
  }
  if (opts.caFingerprint) {
    if (!/^([0-9A-Fa-f]{2}:?){32}$/.test(opts.caFingerprint)) {
      throw new ConfigError('caFingerprint', 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)');
    }
    out.caFingerprint = opts.caFingerprint;
    // the pinned fingerprint replaces chain validation (the client's documented use, for self-signed CAs)
    if (!opts.caFile) out.tls = { ...(out.tls ?? {}), rejectUnauthorized: false };
  }
  if (opts.caFile || opts.tlsVerify === false) {
    out.tls = out.tls ?? {};
    if (opts.caFile) {
      try {
        out.tls.ca = readFileSync(opts.caFile);
      } catch (err) {
        throw new ConfigError('caFile', `cannot read ${opts.caFile}: ${(err as Error).message}`);
      }
    }
    if (opts.tlsVerify === false) out.tls.rejectUnauthorized = false;
  }
  if (opts.requestTimeoutMs !== undefined) {
    if (!Number.isFinite(opts.requestTimeoutMs) || opts.requestTimeoutMs <= 0) {
      throw new ConfigError('requestTimeoutMs', 'must be a positive number of milliseconds');
    }
    out.requestTimeout = opts.requestTimeoutMs;
  }
  return out;
}

/** The one client factory: a client for the resolved connection. The caller owns it and closes it. */
export function createClient(
  explicit: ConnectionOptions = {},
  extra: Partial<ClientOptions> = {},
  fallbackNode?: string,
): Client {
  return new Client({ ...toClientOptions(resolveConnection(explicit, process.env, fallbackNode)), ...extra });
}
