import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Jdk {
  home: string;
  major: number;
}

function majorOf(home: string): number | undefined {
  const release = join(home, 'release');
  if (!existsSync(release) || !existsSync(join(home, 'bin', 'java'))) return undefined;
  const match = /^JAVA_VERSION="(\d+)(?:\.(\d+))?/m.exec(readFileSync(release, 'utf8'));
  if (!match?.[1]) return undefined;
  // Java 8 and older report "1.8"
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

/** JDKs installed under /usr/lib/jvm (Debian's and Temurin's layout), newest first. */
export function installedJdks(root = '/usr/lib/jvm'): Jdk[] {
  if (!existsSync(root)) return [];
  const seen = new Set<string>();
  const jdks: Jdk[] = [];
  for (const name of readdirSync(root)) {
    const home = join(root, name);
    const major = majorOf(home);
    if (major === undefined || seen.has(`${major}`)) continue;
    seen.add(`${major}`);
    jdks.push({ home, major });
  }
  return jdks.sort((a, b) => b.major - a.major);
}

/**
 * Picks the newest JDK in [min, max]; `envVar` (e.g. ES_JAVA_HOME) wins when set. The upper bound
 * exists because OpenSearch 2.x needs the security manager, which Java 24 removed.
 */
export function pickJdk(opts: { min: number; max?: number; envVar: string; what: string }): Jdk {
  const fromEnv = process.env[opts.envVar];
  if (fromEnv) {
    const major = majorOf(fromEnv);
    if (major === undefined)
      throw new Error(`${opts.envVar}=${fromEnv} is not a JDK (no release file or bin/java)`);
    return { home: fromEnv, major };
  }
  const fit = installedJdks().find(
    (j) => j.major >= opts.min && (opts.max === undefined || j.major <= opts.max),
  );
  if (!fit) {
    const range = opts.max === undefined ? `${opts.min} or newer` : `${opts.min} to ${opts.max}`;
    const found = installedJdks()
      .map((j) => `${j.major} (${j.home})`)
      .join(', ');
    throw new Error(
      `${opts.what} needs a JDK ${range}; found ${found || 'none'} in /usr/lib/jvm. Install one or set ${opts.envVar}.`,
    );
  }
  return fit;
}
