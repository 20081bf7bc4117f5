#!/usr/bin/env node
import { Command } from 'commander';
import { MlmonError } from '../errors.js';
import { createClient } from '../es/connection.js';
import { requestViaClient } from '../es/raw-request.js';
import { detectCapabilities } from '../setup/capabilities.js';

const program = new Command()
  .name('mlmon')
  .description('Monitor ML model inputs in Elasticsearch')
  .version('0.1.0')
  .option('--node <url>', 'Elasticsearch URL (default: ES_URL, else the node `npm run es:start` started)');

program
  .command('capabilities')
  .description(
    'probe what the cluster can do: ingest processors, Painless, data streams, ILM, Watcher, security',
  )
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const client = createClient({ node: program.opts<{ node?: string }>().node });
    try {
      const caps = await detectCapabilities(requestViaClient(client));
      if (opts.json) {
        console.log(JSON.stringify(caps, null, 2));
        return;
      }
      console.log(`${caps.engine} ${caps.version}, license ${caps.license ?? 'n/a'}`);
      for (const key of [
        'painless',
        'dataStreamApi',
        'failureStore',
        'ilm',
        'watcher',
        'security',
      ] as const) {
        console.log(`  ${key.padEnd(14)} ${caps[key] ? 'yes' : 'no'}`);
      }
      console.log(`  processors     ${caps.ingestProcessors.join(', ') || 'none'}`);
    } finally {
      await client.close();
    }
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof MlmonError) {
    console.error(`mlmon: ${err.message}${err.fix ? `\n  fix: ${err.fix}` : ''}`);
    process.exitCode = err.exitCode;
  } else {
    console.error(`mlmon: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
