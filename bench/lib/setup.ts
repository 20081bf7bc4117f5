/** Index templates for the bench's destinations, installed on the bench node before any scenario. */
import type { Client } from '@elastic/elasticsearch';
import { requestViaClient } from '../../src/es/raw-request.js';
import { applySetup, planSetup } from '../../src/setup/setup-plan.js';

export async function installBenchTemplates(client: Client): Promise<void> {
  // ours: what `mlmon setup` installs on the bench node (templates for every namespace)
  const request = requestViaClient(client);
  const report = await applySetup(request, await planSetup(request, {}));
  if (report.error) throw report.error;
  // peers: strings as keywords like ours (dynamic mapping would index each as text and keyword),
  // one shard as for a data stream; otherwise their documents are mapped dynamically
  await client.indices.putIndexTemplate({
    name: 'bench-peers',
    index_patterns: ['bench-*'],
    priority: 300,
    template: {
      settings: { number_of_shards: 1 },
      mappings: {
        dynamic_templates: [
          { strings: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } },
        ],
      },
    },
  });
}
