import type { Client } from '@elastic/elasticsearch';
import { readJsonAsset } from '../../src/setup/assets.js';
import { dataStreamName } from '../../src/transport/document.js';

/**
 * Installs the shipped predictions and dead-letter templates for one test's namespace only, under
 * their own names, so tests in parallel never replace or delete each other's templates. Returns the
 * template names for cleanup.
 */
export async function installPredictionTemplate(
  client: Client,
  namespace: string,
  extraMappings: Record<string, unknown> = {},
): Promise<string[]> {
  const predictions = readJsonAsset<{ template: { mappings: { properties: Record<string, unknown> } } }>(
    'ingest-pipelines/index-templates/mlmon-predictions.json',
  );
  Object.assign(predictions.template.mappings.properties, extraMappings);
  const deadLetters = readJsonAsset('ingest-pipelines/index-templates/mlmon-dead-letters.json');
  const names = [`test-${namespace}`, `test-dl-${namespace}`];
  // exact-name patterns never overlap each other; 300 outranks the product's own 250
  await client.indices.putIndexTemplate({
    ...(predictions as Record<string, unknown>),
    name: names[0] as string,
    index_patterns: [dataStreamName(namespace)],
    priority: 300,
  });
  await client.indices.putIndexTemplate({
    ...deadLetters,
    name: names[1] as string,
    index_patterns: [`logs-mlmon.dead_letters-${namespace}`],
    priority: 300,
  });
  return names;
}
