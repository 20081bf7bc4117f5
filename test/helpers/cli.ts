import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repoRoot = process.env.MLMON_REPO_ROOT ?? process.cwd();

/** Runs the `mlmon` command from source, as a user would run the built one. */
export function mlmon(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}) {
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), ...args],
    {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, ...opts.env },
      encoding: 'utf8',
      input: opts.input ?? '',
      timeout: 120_000,
    },
  );
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
