/** Index templates for the bench's destinations, installed on the bench node before any scenario. */
import type { Client } from '@elastic/elasticsearch';
import { readJsonAsset } from '../../src/setup/assets.js';

export async function installBenchTemplates(client: Client): Promise<void> {
  // ours: the product's own template, for the bench's namespaces
  const predictions = readJsonAsset<Record<string, unknown>>(
    'ingest-pipelines/index-templates/mlmon-predictions.json',
  );
  await client.indices.putIndexTemplate({
    ...predictions,
    name: 'bench-mlmon-predictions',
    index_patterns: ['logs-mlmon.predictions-bench_*'],
    priority: 300,
  });
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
