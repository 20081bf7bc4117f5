/**
 * The package as a user gets it: `npm pack`, installed into an empty application without the
 * project's dev dependencies. A TypeScript file using the documented API (README, "Logging
 * predictions") compiles with `strict` and `skipLibCheck: false` against the installed types; the
 * installed `mlmon --help` runs; the compiled file logs predictions into the test node, where they are
 * found. Installing runs no build (the package is built when packed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, testClient, uniqueName, uniqueNamespace } from '../helpers/cluster.js';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();
const client = testClient();
const url = client.connectionPool.connections[0]?.url.origin as string;
const dir = mkdtempSync(join(tmpdir(), 'mlmon-tarball-'));
const ns = uniqueNamespace('pkg');
const model = uniqueName('pkgm').replaceAll('-', '_');

after(async () => {
  await cleanup(client, { dataStreams: [`logs-mlmon.predictions-${ns}`] });
  rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const res = spawnSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: res.status, out: `${res.stdout}\n${res.stderr}` };
}

test('the packed tarball installs without a build, its types compile strictly, its CLI runs and it logs', {
  timeout: 600_000,
}, async () => {
  const pack = run('npm', ['pack', '--pack-destination', dir, '--silent'], repoRoot);
  assert.equal(pack.code, 0, pack.out);
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, pack.out);

  const app = join(dir, 'app');
  run('mkdir', ['-p', app], dir);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const install = run('npm', ['install', '--no-audit', '--no-fund', join(dir, tarball)], app);
  assert.equal(install.code, 0, install.out);
  assert.doesNotMatch(install.out, /prepare|tsc|npm run build/, 'installing runs no build');

  writeFileSync(
    join(app, 'app.ts'),
    `import { createMonitor, installShutdownHooks, type PredictionLog, type TransportStats } from 'ml-input-monitor';

const monitor = createMonitor({ model: '${model}', version: '1', namespace: '${ns}', spillDir: false });
const remove = installShutdownHooks(monitor, { exit: false });
const p: PredictionLog = { features: { age: 42, plan: 'gold' }, prediction: 0.87, latencyMs: 12, id: 'p-1' };
monitor.logPrediction(p);
monitor.logPrediction({ features: { age: 31, plan: 'basic' }, prediction: 0.12, id: 'p-2', timestamp: new Date() });
const ok: boolean = await monitor.flush(60_000);
const stats: TransportStats = monitor.stats();
remove();
await monitor.shutdown({ timeoutMs: 10_000 });
console.log(JSON.stringify({ ok, indexed: stats.indexed }));
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        types: [],
        outDir: 'out',
      },
      files: ['app.ts'],
    }),
  );
  // the compiler of the project (the app has no dev dependencies of its own)
  const tsc = run(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
    app,
  );
  assert.equal(tsc.code, 0, tsc.out);

  const help = run(join(app, 'node_modules', '.bin', 'mlmon'), ['--help'], app);
  assert.equal(help.code, 0, help.out);
  assert.match(help.out, /Usage: mlmon/);
  assert.match(help.out, /setup/);

  const logged = run(process.execPath, [join(app, 'out', 'app.js')], app, { ES_URL: url });
  assert.equal(logged.code, 0, logged.out);
  assert.match(logged.out, /\{"ok":true,"indexed":2\}/);
  await client.indices.refresh({ index: `logs-mlmon.predictions-${ns}` });
  // no `mlmon setup` here, so no template maps the ids as keywords: look at the documents themselves
  const found = await client.search({ index: `logs-mlmon.predictions-${ns}`, size: 10 });
  assert.deepEqual(
    found.hits.hits
      .map((h) => (h._source as { mlmon: { prediction_id: string } }).mlmon.prediction_id)
      .sort(),
    ['p-1', 'p-2'],
  );
});
