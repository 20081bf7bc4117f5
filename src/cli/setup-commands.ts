import type { Command } from 'commander';
import {
  type AssetKind,
  type CatalogOptions,
  parseRetention,
  validateCatalogOptions,
} from '../assets/catalog.js';
import { allBaselines } from '../baseline/baseline-reader.js';
import { loadConfig, type MlmonConfig } from '../config/mlmon-config.js';
import { ConfigError, ExitCode, MlmonError } from '../contract/errors.js';
import { requestViaClient } from '../es/raw-request.js';
import type { AppliedEntry, PlanEntry, Planned, RemoveEntry } from '../setup/installer.js';
import { kibanaFromEnv } from '../setup/kibana.js';
import { checkLive, type LiveReport, problemLines } from '../setup/live-check.js';
import { type ReplaceReport, replacePlainIndex, rollOver, streamsToRollOver } from '../setup/repair.js';
import { type ApiKey, DEFAULT_API_KEY_EXPIRATION, validApiKeyExpiration } from '../setup/security-assets.js';
import { applySetup, drift, planSetup, type SetupOptions, teardown } from '../setup/setup-plan.js';
import { reportMalformed, table, withClient } from './context.js';

interface SetupFlags {
  dryRun?: boolean;
  check?: boolean;
  json?: boolean;
  namespace?: string;
  retention?: string;
  ilm?: boolean;
  rolesFile?: string;
  apiKeys?: boolean;
  apiKeyExpiration?: string;
  rotate?: boolean;
  kibana?: string;
  kibanaSpace?: string;
  baselineIndex?: string;
  only?: string;
  config?: string;
  repair?: boolean;
}

interface TeardownFlags {
  config?: string;
  baselineIndex?: string;
  keepData?: boolean;
  namespace?: string;
  json?: boolean;
  kibana?: string;
  kibanaSpace?: string;
}

const publicEntry = ({ asset: _a, apply: _f, ...e }: Planned): PlanEntry => e;

function versionCell(e: PlanEntry): string {
  if (e.version === undefined) return '';
  return e.installedVersion !== undefined && e.installedVersion !== e.version
    ? `${e.installedVersion} -> ${e.version}`
    : String(e.version);
}

function planTable(entries: PlanEntry[]): string {
  return table(
    ['KIND', 'NAME', 'ACTION', 'VERSION', 'NOTE'],
    entries.map((e) => [
      e.kind.replace('_', ' '),
      e.name,
      e.action,
      versionCell(e),
      e.reason ??
        (e.differences
          ? e.differences.slice(0, 2).join('; ') + (e.differences.length > 2 ? ' ...' : '')
          : ''),
    ]),
  );
}

function appliedTable(entries: AppliedEntry[]): string {
  return table(
    ['KIND', 'NAME', 'RESULT', 'VERSION', 'NOTE'],
    entries.map((e) => [
      e.kind.replace('_', ' '),
      e.name,
      e.outcome === 'applied' ? (e.action === 'create' ? 'created' : 'updated') : e.outcome,
      versionCell(e),
      e.error ??
        [e.note, e.rolledOver?.length ? `rolled over ${e.rolledOver.join(', ')}` : '', e.reason]
          .filter(Boolean)
          .join('; '),
    ]),
  );
}

function catalogOptions(o: { namespace?: string; retention?: string; ilm?: boolean }): CatalogOptions {
  const c: CatalogOptions = {
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.retention ? { retention: parseRetention(o.retention) } : {}),
    ...(o.ilm ? { ilm: true } : {}),
  };
  validateCatalogOptions(c);
  return c;
}

export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      'install the index templates, ingest pipelines, lifecycle, roles, watches and Kibana objects (idempotent)',
    )
    .option('--dry-run', 'print the plan (create / update / unchanged per asset) and change nothing')
    .option(
      '--check',
      'exit 1 naming each asset that differs from what this version installs, and each live stream whose mappings the job cannot use',
    )
    .option(
      '--repair',
      'replace a plain index that took a stream name by the data stream, moving every document (README, "Repair")',
    )
    .option('--json', 'print JSON')
    .option(
      '--namespace <ns>',
      'install for one data-stream namespace only (names and patterns end in -<ns>)',
    )
    .option('--retention <spec>', 'data retention per stream, e.g. predictions=7d,metrics=90d')
    .option('--ilm', 'manage retention with ILM policies where the cluster has ILM')
    .option('--roles-file <path>', 'write the roles in file-realm roles.yml format instead of the role API')
    .option(
      '--api-keys',
      'API keys for the shipper and the job: created once (printed once, never logged), kept on a rerun',
    )
    .option(
      '--api-key-expiration <duration>',
      `lifetime of a new API key (default ${DEFAULT_API_KEY_EXPIRATION})`,
    )
    .option('--rotate', 'with --api-keys: create new keys and invalidate the active ones')
    .option('--kibana <url>', 'Kibana for data views and dashboards (default: KIBANA_URL; none: skipped)')
    .option('--kibana-space <space>', 'a Kibana space other than the default')
    .option('--config <file>', "the job's mlmon.yml: the watches mirror its rules, namespace and webhook")
    .option(
      '--baseline-index <name>',
      'where the baselines are, one vocabulary pipeline each (default: from mlmon.yml, else mlmon-baselines)',
    )
    .option('--only <kinds>', `install only these kinds (comma-separated: ${ASSET_KINDS.join(', ')})`)
    .action(async (flags: SetupFlags, cmd: Command) => {
      if (flags.dryRun && flags.check)
        throw new MlmonError('choose one of --dry-run and --check', { exit: 'usage' });
      const options: SetupOptions = {
        ...catalogOptions(flags),
        ...(flags.rolesFile ? { rolesFile: flags.rolesFile } : {}),
        ...(flags.apiKeys ? { apiKeys: true } : {}),
        ...(flags.apiKeyExpiration
          ? { apiKeyExpiration: validApiKeyExpiration(flags.apiKeyExpiration) }
          : {}),
        ...(flags.rotate ? { rotateApiKeys: true } : {}),
      };
      if ((flags.rotate || flags.apiKeyExpiration) && !flags.apiKeys)
        throw new MlmonError('--rotate and --api-key-expiration go with --api-keys', { exit: 'usage' });
      const kibana = kibanaFromEnv(flags.kibana, process.env, flags.kibanaSpace);
      if (kibana) options.kibana = kibana;
      if (flags.only) options.only = parseKinds(flags.only);
      const config = loadConfig(flags.config);
      options.watches = watchOptions(config);
      const baselineIndex = flags.baselineIndex ?? config.baselineIndex;
      await withClient(cmd, async (client, where) => {
        const request = requestViaClient(client);
        options.baselines = await allBaselines(client, baselineIndex, reportMalformed);
        const keys: ApiKey[] = [];
        const plan = await planSetup(request, options, keys).catch((err: unknown) => {
          if (err instanceof MlmonError && !/nothing was applied/.test(`${err.message} ${err.fix}`))
            throw new MlmonError(`${err.message} (nothing was applied)`, {
              exit: exitName(err.exitCode),
              ...(err.fix ? { fix: err.fix } : {}),
            });
          throw err;
        });
        const caps = plan.capabilities;
        const header = [
          `${caps.engine} ${caps.version} at ${where}, license ${caps.license ?? 'n/a'}`,
          ...plan.notes.map((n) => `  ${n}`),
        ].join('\n');
        const entries = plan.entries.map(publicEntry);
        if (flags.dryRun || flags.check) {
          const differing = drift(plan).map(publicEntry);
          // what is live, not only the templates: streams created before setup, foreign templates
          const live: LiveReport | undefined =
            flags.check && caps.engine === 'elasticsearch'
              ? await checkLive(request, {
                  ...(options.namespace ? { namespace: options.namespace } : {}),
                  baselines: options.baselines ?? [],
                })
              : undefined;
          if (flags.json)
            console.log(
              JSON.stringify(
                {
                  capabilities: caps,
                  notes: plan.notes,
                  plan: entries,
                  ...(flags.check ? { differing } : {}),
                  ...(live ? { live } : {}),
                },
                null,
                2,
              ),
            );
          else {
            console.log(`${header}\n\n${planTable(entries)}`);
            if (flags.check)
              console.log(
                differing.length
                  ? `\n${differing.length} asset(s) differ from this version: ${differing.map((e) => `${e.kind.replace('_', ' ')} ${e.name} (${e.action === 'create' ? 'missing' : 'changed'})`).join(', ')}\n  fix: run \`mlmon setup\``
                  : '\nevery asset matches this version',
              );
            if (live)
              console.log(
                live.problems.length
                  ? `\n${live.problems.length} problem(s) with what is live:\n  ${problemLines(live.problems).join('\n  ')}`
                  : `\nlive streams: ${live.streams.length ? live.streams.map((s) => s.name).join(', ') : 'none yet'}, each as the templates make it`,
              );
          }
          if (flags.check && (differing.length || live?.problems.length)) process.exitCode = ExitCode.firing;
          return;
        }
        const report = await applySetup(request, plan);
        const repairs =
          !report.error && caps.engine === 'elasticsearch'
            ? await repairLive(client, request, options, Boolean(flags.repair))
            : undefined;
        if (flags.json) {
          console.log(
            JSON.stringify(
              {
                capabilities: caps,
                notes: plan.notes,
                applied: report.entries,
                ...(repairs ? { repairs } : {}),
                ...(keys.length ? { apiKeys: keys } : {}),
                ...(report.error ? { error: report.error.message } : {}),
              },
              null,
              2,
            ),
          );
        } else {
          console.log(`${header}\n\n${appliedTable(report.entries)}`);
          if (repairs) for (const line of repairLines(repairs)) console.log(line);
          for (const k of keys)
            console.log(`\nAPI key for ${k.role} (shown once; use as ES_API_KEY): ${k.encoded}`);
        }
        if (repairs?.remaining.length) process.exitCode = ExitCode.firing;
        if (report.error) {
          const notApplied = report.entries.filter(
            (e) => e.outcome === 'failed' || e.outcome === 'not attempted',
          ).length;
          throw new MlmonError(`${notApplied} asset(s) not applied: ${report.error.message}`, {
            exit: report.error.exitCode === ExitCode.firing ? 'partial' : exitName(report.error.exitCode),
            ...(report.error.fix ? { fix: report.error.fix } : {}),
          });
        }
      });
    });

  program
    .command('teardown')
    .description('remove what `mlmon setup` installed (with --keep-data: keep indices and data streams)')
    .option('--keep-data', 'keep the data streams and indices (and the templates they still use)')
    .option('--namespace <ns>', 'remove one namespace install (shared assets stay)')
    .option('--kibana <url>', 'also remove the Kibana objects and rules (default: KIBANA_URL)')
    .option('--kibana-space <space>', 'a Kibana space other than the default')
    .option('--config <file>', "the job's mlmon.yml (names the watches to remove)")
    .option('--baseline-index <name>', 'where the baselines are (their pipelines are removed)')
    .option('--json', 'print JSON')
    .action(async (flags: TeardownFlags, cmd: Command) => {
      const o = catalogOptions(flags);
      const kibana = kibanaFromEnv(flags.kibana, process.env, flags.kibanaSpace);
      const config = loadConfig(flags.config);
      await withClient(cmd, async (client) => {
        const result = await teardown(requestViaClient(client), {
          ...o,
          keepData: Boolean(flags.keepData),
          baselines: await allBaselines(client, flags.baselineIndex ?? config.baselineIndex, reportMalformed),
          watches: watchOptions(config),
          ...(kibana ? { kibana } : {}),
        });
        if (flags.json)
          console.log(
            JSON.stringify(
              { removed: result.entries, ...(result.error ? { error: result.error.message } : {}) },
              null,
              2,
            ),
          );
        else console.log(removeTable(result.entries));
        if (result.error) throw result.error;
      });
    });
}

interface Repairs {
  rolledOver: string[];
  replaced: ReplaceReport[];
  /** what is still wrong, with its fix (a plain index without --repair, a foreign template) */
  remaining: LiveReport['problems'];
}

/** After the assets: roll over streams whose write index predates our template; replace plain indices with --repair. */
async function repairLive(
  client: Parameters<typeof replacePlainIndex>[0],
  request: Parameters<typeof checkLive>[0],
  options: SetupOptions,
  replace: boolean,
): Promise<Repairs> {
  const o = {
    ...(options.namespace ? { namespace: options.namespace } : {}),
    baselines: options.baselines ?? [],
  };
  const before = await checkLive(request, o);
  const rolledOver = await rollOver(request, streamsToRollOver(before));
  const replaced: ReplaceReport[] = [];
  if (replace) {
    const plain = new Set(before.problems.filter((p) => p.repair === 'replace-index').map((p) => p.stream));
    for (const name of [...plain].sort()) replaced.push(await replacePlainIndex(client, request, name));
  }
  const after = rolledOver.length || replaced.length ? await checkLive(request, o) : before;
  return { rolledOver, replaced, remaining: after.problems };
}

function repairLines(r: Repairs): string[] {
  return [
    ...r.rolledOver.map((s) => `\nrolled over ${s}: its next backing index has this version's mappings`),
    ...r.replaced.map((x) => `\nrepaired ${x.stream}:\n  ${x.steps.join('\n  ')}`),
    ...(r.remaining.length
      ? [`\n${r.remaining.length} problem(s) with what is live:\n  ${problemLines(r.remaining).join('\n  ')}`]
      : []),
  ];
}

function watchOptions(config: MlmonConfig): NonNullable<SetupOptions['watches']> {
  const webhookUrl = config.notify.webhook?.url;
  return { rules: config.rules, namespace: config.namespace, ...(webhookUrl ? { webhookUrl } : {}) };
}

const ASSET_KINDS: AssetKind[] = [
  'component_template',
  'ilm_policy',
  'ingest_pipeline',
  'index_template',
  'index',
  'role',
  'watch',
  'kibana_objects',
];

function parseKinds(text: string): AssetKind[] {
  const kinds = text.split(',').map((k) => k.trim()) as AssetKind[];
  for (const k of kinds)
    if (!ASSET_KINDS.includes(k))
      throw new ConfigError('only', `unknown asset kind "${k}"`, `use ${ASSET_KINDS.join(', ')}`);
  return kinds;
}

function removeTable(entries: RemoveEntry[]): string {
  return table(
    ['KIND', 'NAME', 'RESULT', 'NOTE'],
    entries.map((e) => [e.kind.replace('_', ' '), e.name, e.outcome, e.reason ?? '']),
  );
}

function exitName(code: number): 'auth' | 'connection' | 'config' | 'partial' {
  if (code === ExitCode.auth) return 'auth';
  if (code === ExitCode.connection) return 'connection';
  if (code === ExitCode.config) return 'config';
  return 'partial';
}
