#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../assets/package-files.js';
import { ExitCode, MlmonError } from '../contract/errors.js';
import { detectCapabilities } from '../es/capabilities.js';
import { requestViaClient } from '../es/raw-request.js';
import { registerBaseline } from './baseline-commands.js';
import { withClient } from './context.js';
import { registerDashboard } from './dashboard-commands.js';
import { registerDoctor } from './doctor-commands.js';
import { registerLabels } from './labels-commands.js';
import { registerMonitor } from './monitor-commands.js';
import { registerSetup } from './setup-commands.js';

const program = new Command()
  .name('mlmon')
  .description('Monitor ML model inputs in Elasticsearch')
  .version(packageVersion())
  .option('--node <url>', 'Elasticsearch URL (default: ES_URL, else the node `npm run es:start` started)')
  // `mlmon baseline --version 3` is the model version; `mlmon --version` is ours
  .enablePositionalOptions()
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('capabilities')
  .description(
    'probe what the cluster can do: ingest processors, Painless, data streams, ILM, Watcher, security',
  )
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }, cmd: Command) => {
    const caps = await withClient(cmd, (client) => detectCapabilities(requestViaClient(client)));
    if (opts.json) {
      console.log(JSON.stringify(caps, null, 2));
      return;
    }
    console.log(`${caps.engine} ${caps.version}, license ${caps.license ?? 'n/a'}`);
    for (const key of ['painless', 'dataStreamApi', 'failureStore', 'ilm', 'watcher', 'security'] as const) {
      console.log(`  ${key.padEnd(14)} ${caps[key] ? 'yes' : 'no'}`);
    }
    console.log(`  processors     ${caps.ingestProcessors.join(', ') || 'none'}`);
  });

registerBaseline(program);
registerMonitor(program);
registerLabels(program);
registerSetup(program);
registerDashboard(program);
registerDoctor(program);

// every command takes --node too, and shares the error handling
const NODE_HELP = 'Elasticsearch URL (default: ES_URL, else the node `npm run es:start` started)';
const VERBOSE_HELP = "on an error, also print the cluster's raw answer";
for (const cmd of program.commands) {
  cmd.exitOverride().option('--node <url>', NODE_HELP).option('--verbose', VERBOSE_HELP);
  for (const sub of cmd.commands)
    sub.exitOverride().option('--node <url>', NODE_HELP).option('--verbose', VERBOSE_HELP);
}

/** The raw error under an explained one: the cluster's body when it answered. */
function rawCause(err: MlmonError): string | undefined {
  const cause = err.cause as { meta?: { body?: unknown }; message?: string } | undefined;
  if (!cause) return undefined;
  return cause.meta?.body !== undefined ? JSON.stringify(cause.meta.body) : cause.message;
}

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    process.exitCode = err.exitCode === ExitCode.ok ? ExitCode.ok : ExitCode.usage;
  } else if (err instanceof MlmonError) {
    console.error(`mlmon: ${err.message}${err.fix ? `\n  fix: ${err.fix}` : ''}`);
    const raw = process.argv.includes('--verbose') ? rawCause(err) : undefined;
    if (raw) console.error(`  raw error: ${raw}`);
    process.exitCode = err.exitCode;
  } else {
    console.error(`mlmon: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
