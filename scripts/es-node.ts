/**
 * Starts and stops the project's own search nodes on 127.0.0.1 for tests and the demo.
 *
 *   npm run es:start   fetch (Maven Central), unpack, start, wait until healthy, write .es/node.json
 *   npm run es:stop    stop them; no process is left behind
 *   npm run es:status  print what runs
 *
 * Both commands are idempotent. With ES_URL set nothing is started: tests and the CLI use that cluster.
 * Two nodes are started: Elasticsearch (the product's cluster) and an OpenSearch "ingest engine" that
 * carries the ingest-common and lang-painless modules the Elasticsearch test distribution lacks
 * (README, "What the test node can do"). `--only elasticsearch` starts the first alone.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { type EngineSpec, elasticsearchSpec, opensearchIngestSpec, prepareRunDir } from './lib/engines.js';
import { pickJdk } from './lib/jdk.js';
import { cacheDir, isRoot, repoRoot, stackVersions, stateFile } from './lib/paths.js';
import {
  choosePort,
  freePort,
  getJson,
  type HttpAccess,
  isAlive,
  pidsMentioning,
  terminate,
  waitFor,
} from './lib/proc.js';
import { prepareSecurity, securitySettings } from './lib/security.js';

export interface EngineState {
  url: string;
  /** present on a node started with --security */
  username?: string;
  password?: string;
  caFile?: string;
  caFingerprint?: string;
  pid: number;
  product: string;
  version: string;
  runDir: string;
  /** the unpacked distribution (its bin/ has the security CLIs tests use) */
  home: string;
  javaHome: string;
  startedAt: string;
}
export type NodeState = Partial<Record<EngineSpec['key'], EngineState>>;

// one run directory per state file, so two checkouts (or the lifecycle test) never share a node
const runRoot = join(cacheDir(), 'run', createHash('sha1').update(stateFile).digest('hex').slice(0, 10));

function readState(): NodeState {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as NodeState;
  } catch {
    return {};
  }
}

function writeState(state: NodeState): void {
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Elasticsearch refuses to run as root: as root we run it as a dedicated system user. */
function nodeUser(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const name = process.env.MLMON_ES_USER ?? 'mlmon-es';
  const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (!statSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid);
}

function accessOf(s: EngineState | undefined): HttpAccess {
  if (!s?.username) return {};
  return {
    username: s.username,
    password: s.password ?? '',
    ...(s.caFile ? { ca: readFileSync(s.caFile, 'utf8') } : {}),
  };
}

async function healthy(s: EngineState): Promise<boolean> {
  try {
    const res = await getJson(`${s.url}/_cluster/health`, accessOf(s), 3000);
    const status = (res.body as { status?: string } | undefined)?.status;
    return res.status === 200 && (status === 'green' || status === 'yellow');
  } catch {
    return false;
  }
}

function logTail(runDir: string, launcherLog: string): string {
  const files = [launcherLog];
  const logs = join(runDir, 'logs');
  if (existsSync(logs))
    files.push(
      ...readdirSync(logs)
        .filter((f) => f.endsWith('.log') && !f.includes('gc'))
        .map((f) => join(logs, f)),
    );
  return files
    .filter(existsSync)
    .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-25).join('\n')}`)
    .join('\n');
}

async function startEngine(
  spec: EngineSpec,
  previous: EngineState | undefined,
  preferredPort: number,
  keepData: boolean,
  security: boolean,
): Promise<EngineState> {
  if (previous && isAlive(previous.pid) && (await healthy(previous))) {
    console.log(`${spec.product} ${spec.version} already running at ${previous.url}`);
    return previous;
  }
  const runDir = join(runRoot, spec.key);
  // a node from an earlier start that lost its state file must not keep the port or the data dir
  await terminate(pidsMentioning(runDir));

  const jdk = pickJdk({ ...spec.jdk, what: `${spec.product} ${spec.version}` });
  mkdirSync(cacheDir(), { recursive: true, mode: 0o755 });
  const home = spec.install(cacheDir());
  const httpPort = await choosePort(preferredPort);
  const transportPort = await freePort();
  const conf = prepareRunDir(
    home,
    runDir,
    spec,
    {
      ...spec.settings({ httpPort, transportPort, runDir }),
      ...(security ? securitySettings(join(runDir, 'config')) : {}),
    },
    keepData,
  );
  const user = nodeUser();
  if (user) chownTree(runDir, user.uid, user.gid);

  const pidFile = join(runDir, 'node.pid');
  const launcherLog = join(runDir, 'logs', 'launcher.out');
  const out = openSync(launcherLog, 'a');
  if (user) chownSync(launcherLog, user.uid, user.gid);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: runDir,
    LANG: 'C.UTF-8',
    [spec.env.javaHome]: jdk.home,
    [spec.env.javaOpts]: `-Xms${spec.heap} -Xmx${spec.heap}`,
    [spec.env.pathConf]: conf,
    [spec.env.tmpDir]: join(runDir, 'tmp'),
  };
  const secured = security ? prepareSecurity(conf, home, env) : undefined;
  if (user && secured) chownTree(conf, user.uid, user.gid);
  const scheme = secured ? 'https' : 'http';
  console.log(
    `starting ${spec.product} ${spec.version} on ${scheme}://127.0.0.1:${httpPort} (Java ${jdk.major}, heap ${spec.heap}${secured ? ', security on' : ''})`,
  );
  const launcher = spawn(join(home, 'bin', spec.product), ['-d', '-p', pidFile], {
    cwd: runDir,
    env,
    stdio: ['ignore', out, out],
    ...(user ?? {}),
  });
  const code = await new Promise<number | null>((resolve) => launcher.on('exit', resolve));
  const url = `${scheme}://127.0.0.1:${httpPort}`;
  const state: EngineState = {
    url,
    pid: 0,
    product: spec.product,
    version: spec.version,
    runDir,
    home,
    javaHome: jdk.home,
    startedAt: '',
    ...(secured ?? {}),
  };
  try {
    if (code !== 0) throw new Error(`${spec.product} launcher exited with code ${code}`);
    // OpenSearch's launcher returns before the daemon has written its pid file
    const pid = await waitForPidFile(pidFile, 60_000);
    await waitFor(
      `${url}/_cluster/health?wait_for_status=yellow&timeout=1s`,
      (b) => ['green', 'yellow'].includes((b as { status?: string }).status ?? ''),
      { timeoutMs: 180_000, isDead: () => !isAlive(pid), access: accessOf(state) },
    );
    return { ...state, pid, startedAt: new Date().toISOString() };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await terminate(pidsMentioning(runDir));
    throw new Error(
      `${spec.product} ${spec.version} did not start: ${message}\n${logTail(runDir, launcherLog)}`,
    );
  }
}

async function waitForPidFile(pidFile: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no pid file ${pidFile} after ${timeoutMs / 1000}s`);
}

function specs(only: string | undefined): EngineSpec[] {
  const versions = stackVersions();
  const all = [
    // MLMON_ES_VERSION: another Elasticsearch for one test (e.g. an unsupported one)
    elasticsearchSpec(process.env.MLMON_ES_VERSION ?? versions.elasticsearch),
    opensearchIngestSpec(versions.ingestEngine.opensearch, join(repoRoot, 'scripts', 'ingest-engine')),
  ];
  return only ? all.filter((s) => s.key === only || s.product === only) : all;
}

async function start(only: string | undefined, keepData: boolean, security: boolean): Promise<void> {
  if (process.env.ES_URL) {
    console.log(`ES_URL is set (${process.env.ES_URL}): using that cluster, nothing started.`);
    return;
  }
  const state = readState();
  const chosen = specs(only);
  // install one after the other (Maven and unzip), then start both at once
  for (const spec of chosen)
    if (!(state[spec.key] && isAlive(state[spec.key]?.pid ?? -1))) spec.install(cacheDir());
  // MLMON_ES_PORT: a restarted node keeps its URL (the transport outage test restarts one)
  const preferred: Record<EngineSpec['key'], number> = {
    elasticsearch: Number(process.env.MLMON_ES_PORT ?? 9200),
    ingestEngine: Number(process.env.MLMON_INGEST_ENGINE_PORT ?? 9250),
  };
  const results = await Promise.allSettled(
    chosen.map((s) =>
      startEngine(s, state[s.key], preferred[s.key], keepData, security && s.key === 'elasticsearch'),
    ),
  );
  const failures: string[] = [];
  results.forEach((r, i) => {
    const spec = chosen[i] as EngineSpec;
    if (r.status === 'fulfilled') state[spec.key] = r.value;
    else failures.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
  });
  writeState(state);
  if (failures.length) throw new Error(failures.join('\n\n'));
  for (const spec of chosen) console.log(`${spec.key}: ${state[spec.key]?.url}`);
  console.log(`state written to ${stateFile}`);
}

async function stop(): Promise<void> {
  const state = readState();
  const pids = new Set<number>(pidsMentioning(runRoot));
  for (const s of Object.values(state)) if (s && isAlive(s.pid)) pids.add(s.pid);
  await terminate([...pids]);
  rmSync(stateFile, { force: true });
  console.log(pids.size ? `stopped ${pids.size} process(es)` : 'nothing was running');
}

async function status(): Promise<boolean> {
  if (process.env.ES_URL) {
    console.log(`ES_URL is set: ${process.env.ES_URL}`);
    return true;
  }
  const state = readState();
  let ok = Object.keys(state).length > 0;
  for (const [key, s] of Object.entries(state)) {
    const up = s ? isAlive(s.pid) && (await healthy(s)) : false;
    ok &&= up;
    console.log(
      `${key}: ${s?.product} ${s?.version} ${s?.url} pid ${s?.pid} ${up ? 'healthy' : 'NOT RUNNING'}`,
    );
  }
  if (!ok && Object.keys(state).length === 0) console.log('nothing started (npm run es:start)');
  return ok;
}

const [command, ...rest] = process.argv.slice(2);
const onlyIndex = rest.indexOf('--only');
const only = onlyIndex >= 0 ? rest[onlyIndex + 1] : undefined;
try {
  // --keep-data: restart on the data of the previous run instead of an empty directory
  // --security: HTTPS with a generated CA, and the `elastic` user with a generated password (in the state file)
  if (command === 'start') await start(only, rest.includes('--keep-data'), rest.includes('--security'));
  else if (command === 'stop') await stop();
  else if (command === 'status') process.exitCode = (await status()) ? 0 : 1;
  else {
    console.error(
      'usage: es-node.ts start [--only elasticsearch|opensearch] [--keep-data] [--security] | stop | status',
    );
    process.exitCode = 2;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
