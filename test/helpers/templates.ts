import type { Client } from '@elastic/elasticsearch';
import { readJsonAsset } from '../../src/setup/assets.js';
import { dataStreamName } from '../../src/transport/document.js';

/**
 * Installs the shipped predictions template for one test's namespace only, under its own name,
 * so tests in parallel never replace or delete each other's templates.
 */
export async function installPredictionTemplate(client: Client, namespace: string): Promise<string> {
  const body = readJsonAsset<Record<string, unknown>>(
    'ingest-pipelines/index-templates/mlmon-predictions.json',
  );
  const name = `test-${namespace}`;
  // exact-name patterns never overlap each other; 300 outranks the product's own 250
  await client.indices.putIndexTemplate({
    name,
    ...body,
    index_patterns: [dataStreamName(namespace)],
    priority: 300,
  });
  return name;
}
