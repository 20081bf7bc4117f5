import type { Command } from 'commander';
import { allBaselines } from '../baseline/baseline-reader.js';
import { loadConfig } from '../config/mlmon-config.js';
import { ExitCode } from '../contract/errors.js';
import { validateNamespace } from '../contract/streams.js';
import { type Check, doctorPassed, runDoctor } from '../doctor/doctor.js';
import { requestViaClient } from '../es/raw-request.js';
import { kibanaFromEnv } from '../setup/kibana.js';
import { withClient } from './context.js';

const MARK = { pass: '✓', fail: '✗', skip: '-' } as const;

function lines(checks: Check[]): string {
  return checks
    .map(
      (c) =>
        `${MARK[c.status]} ${c.name}: ${c.status === 'skip' ? `skipped: ${c.detail}` : c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`,
    )
    .join('\n');
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'prove on this cluster that each installed piece works: a checklist (pass / fail with the fix / skipped with the reason)',
    )
    .option('--namespace <ns>', 'the data-stream namespace to check (default: default)')
    .option('--config <file>', "the job's mlmon.yml (its baseline index)")
    .option(
      '--baseline-index <name>',
      'where the baselines are (default: from mlmon.yml, else mlmon-baselines)',
    )
    .option(
      '--roles-file <path>',
      'the roles are in this file realm roles.yml (as setup --roles-file wrote them)',
    )
    .option('--kibana <url>', 'also check the Kibana objects and rules (default: KIBANA_URL)')
    .option('--kibana-space <space>', 'a Kibana space other than the default')
    .option('--json', 'print JSON')
    .action(
      async (
        o: {
          namespace?: string;
          config?: string;
          baselineIndex?: string;
          rolesFile?: string;
          kibana?: string;
          kibanaSpace?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (o.namespace) validateNamespace(o.namespace);
        const config = loadConfig(o.config);
        await withClient(cmd, async (client) => {
          const baselines = await allBaselines(client, o.baselineIndex ?? config.baselineIndex);
          const kibana = kibanaFromEnv(o.kibana, process.env, o.kibanaSpace);
          const checks = await runDoctor(client, requestViaClient(client), {
            ...(kibana ? { kibana } : {}),
            ...(o.namespace ? { namespace: o.namespace } : {}),
            ...(o.rolesFile ? { rolesFile: o.rolesFile } : {}),
            baselines,
          });
          const ok = doctorPassed(checks);
          if (o.json) console.log(JSON.stringify({ ok, checks }, null, 2));
          else
            console.log(
              `${lines(checks)}\n\n${ok ? 'every check that applies passed' : `${checks.filter((c) => c.status === 'fail').length} check(s) failed`}`,
            );
          if (!ok) process.exitCode = ExitCode.firing;
        });
      },
    );
}
