/** The machine and the versions of every tool, for the report's header. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

function packageVersion(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export function machineDescription(): string {
  const c = cpus();
  return `${c.length} cores (${c[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${process.platform} ${process.arch}, Node.js ${process.version}`;
}

export function shortMachine(): string {
  return `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
}

export function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

/** `name version` pairs without the remarks, for one line under each table. */
export function shortVersions(versions: Record<string, string>): string {
  return Object.entries(versions)
    .map(([k, v]) => `${k.replace(/ \(.*\)$/, '')} ${v.split(' ')[0]}`)
    .join(', ');
}

export function toolVersions(esVersion: string, extra: Record<string, string> = {}): Record<string, string> {
  const nm = join(repoRoot, 'node_modules');
  return {
    'ml-input-monitor (ours)': packageVersion(repoRoot),
    'winston-elasticsearch': `${packageVersion(join(nm, 'winston-elasticsearch'))} (its own @elastic/elasticsearch ${packageVersion(join(nm, 'winston-elasticsearch', 'node_modules', '@elastic', 'elasticsearch'))})`,
    winston: packageVersion(join(nm, 'winston')),
    'pino-elasticsearch': packageVersion(join(nm, 'pino-elasticsearch')),
    pino: packageVersion(join(nm, 'pino')),
    '@elastic/elasticsearch (ours, bulk helper)': packageVersion(join(nm, '@elastic', 'elasticsearch')),
    Elasticsearch: `${esVersion} (test distribution from Maven Central, heap 1 GiB, one node)`,
    ...extra,
  };
}
