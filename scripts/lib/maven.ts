import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Artifact {
  groupId: string;
  artifactId: string;
  version: string;
  packaging?: string;
}

export function fileNameOf(a: Artifact): string {
  return `${a.artifactId}-${a.version}.${a.packaging ?? 'jar'}`;
}

/** Copies an artifact from Maven Central (through the local ~/.m2 cache) into `dir`, once. */
export function fetchArtifact(a: Artifact, dir: string): string {
  const target = join(dir, fileNameOf(a));
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const coords = `${a.groupId}:${a.artifactId}:${a.version}:${a.packaging ?? 'jar'}`;
  process.stderr.write(`fetching ${coords} with Maven\n`);
  try {
    execFileSync(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy',
        `-Dartifact=${coords}`,
        `-DoutputDirectory=${dir}`,
        '-Dmdep.overWriteReleases=false',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (err) {
    const out = err instanceof Error && 'stdout' in err ? String((err as { stdout: unknown }).stdout) : '';
    throw new Error(
      `Maven could not fetch ${coords}:\n${out
        .split('\n')
        .filter((l) => l.includes('ERROR'))
        .slice(0, 3)
        .join('\n')}`,
    );
  }
  if (!existsSync(target)) throw new Error(`Maven reported success but ${target} is missing`);
  return target;
}
