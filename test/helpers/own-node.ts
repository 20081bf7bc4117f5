/**
 * A node of a test's own, started with scripts/es-node.ts under a private state file: for tests
 * that stop the node or need security on, which would disturb the shared one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { freePort } from '../../scripts/lib/proc.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

export interface OwnNode {
  url: string;
  port: number;
  dir: string;
  username?: string;
  password?: string;
  caFile?: string;
  caFingerprint?: string;
  runDir: string;
  home: string;
  javaHome: string;
  /** a superuser client (the `elastic` user when secured) */
  admin: Client;
  run(...args: string[]): void;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on at the moment of the call (the node scripts' own). */
export { freePort };

/** Runs scripts/es-node.ts for the nodes of `stateFile` (never ES_URL's cluster); returns its output. */
export function esNode(stateFile: string, port: number | undefined, ...args: string[]): string {
  return esNodeWith({}, stateFile, port, ...args);
}

/** The same, with extra environment (e.g. MLMON_ES_VERSION for another Elasticsearch). */
export function esNodeWith(
  extraEnv: NodeJS.ProcessEnv,
  stateFile: string,
  port: number | undefined,
  ...args: string[]
): string {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, MLMON_STATE_FILE: stateFile };
  if (port !== undefined) env.MLMON_ES_PORT = String(port);
  delete env.ES_URL;
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts', 'es-node.ts'), ...args],
    {
      cwd: repoRoot,
      env,
      encoding: 'utf8',
    },
  );
  assert.equal(res.status, 0, `es-node ${args.join(' ')}:\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** `version`: another Elasticsearch than the pinned one (stack-versions.json). */
export async function startOwnNode(opts: { security?: boolean; version?: string } = {}): Promise<OwnNode> {
  const dir = mkdtempSync(join(tmpdir(), 'mlmon-own-node-'));
  const stateFile = join(dir, 'node.json');
  const port = await freePort();
  const run = (...args: string[]) => {
    esNodeWith(opts.version ? { MLMON_ES_VERSION: opts.version } : {}, stateFile, port, ...args);
  };
  run('start', '--only', 'elasticsearch', ...(opts.security ? ['--security'] : []));
  const s = JSON.parse(readFileSync(stateFile, 'utf8')).elasticsearch as Omit<
    OwnNode,
    'admin' | 'run' | 'stop' | 'dir' | 'port'
  >;
  const admin = new Client({
    node: s.url,
    ...(s.username ? { auth: { username: s.username, password: s.password as string } } : {}),
    ...(s.caFile ? { tls: { ca: readFileSync(s.caFile) } } : {}),
  });
  return {
    ...s,
    port,
    dir,
    admin,
    run,
    async stop() {
      await admin.close();
      run('stop');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * File-realm users and roles, and service-account tokens, on a secured own node. The test
 * distribution cannot create its `.security` index (its mapping needs the analysis-common module),
 * so native users, API keys and OAuth tokens are unavailable there; the file realm and service
 * tokens need no index and enforce privileges the same way.
 */
export class FileRealm {
  private readonly conf: string;
  private readonly env: NodeJS.ProcessEnv;
  constructor(private readonly state: { runDir: string; home: string; javaHome: string }) {
    this.conf = join(state.runDir, 'config');
    this.env = { ...process.env, ES_PATH_CONF: this.conf, ES_JAVA_HOME: state.javaHome };
  }

  private cli(tool: string, args: string[]): string {
    const res = spawnSync(join(this.state.home, 'bin', tool), args, { env: this.env, encoding: 'utf8' });
    assert.equal(res.status, 0, `${tool} ${args.join(' ')}: ${res.stdout}${res.stderr}`);
    // the node runs as another user: let it read what the tool wrote
    spawnSync('chmod', ['-R', 'a+r', this.conf]);
    return res.stdout;
  }

  /** Appends roles (YAML text in roles.yml format); the node reloads the file within seconds. */
  addRoles(yaml: string): void {
    appendFileSync(join(this.conf, 'roles.yml'), `\n${yaml}\n`);
    spawnSync('chmod', ['a+r', join(this.conf, 'roles.yml')]);
  }

  addUser(username: string, password: string, roles: string[]): void {
    this.cli('elasticsearch-users', ['useradd', username, '-p', password, '-r', roles.join(',')]);
  }

  /** Waits until the node has reloaded its users file and knows `username`. */
  async waitForUser(
    node: { url: string; caFile?: string },
    username: string,
    password: string,
  ): Promise<void> {
    const client = new Client({
      node: node.url,
      auth: { username, password },
      ...(node.caFile ? { tls: { ca: readFileSync(node.caFile) } } : {}),
    });
    const deadline = Date.now() + 30_000;
    try {
      while (Date.now() < deadline) {
        try {
          await client.security.authenticate();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      throw new Error(`user ${username} not known to the node after 30 s`);
    } finally {
      await client.close();
    }
  }

  /** A service-account token (Authorization: Bearer), e.g. for `elastic/fleet-server`, which may write `logs-*-*`. */
  serviceToken(account: string, name: string): string {
    const out = this.cli('elasticsearch-service-tokens', ['create', account, name]);
    const token = /=\s*(\S+)\s*$/m.exec(out)?.[1];
    assert.ok(token, `no token in: ${out}`);
    return token;
  }
}
