import type { Client } from '@elastic/elasticsearch';
import { ASSET_PATHS } from '../../src/assets/layout.js';
import { readJsonAsset } from '../../src/assets/package-files.js';
import { labelsStream } from '../../src/contract/streams.js';
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
  // the shipped component template's settings and mappings, inlined into a one-namespace template
  const predictions = readJsonAsset<{ template: { mappings: { properties: Record<string, unknown> } } }>(
    ASSET_PATHS.componentTemplate('predictions'),
  );
  Object.assign(predictions.template.mappings.properties, extraMappings);
  const deadLetters = readJsonAsset<{ template: unknown }>(ASSET_PATHS.componentTemplate('dead-letters'));
  const names = [`test-${namespace}`, `test-dl-${namespace}`];
  // exact-name patterns never overlap each other; 300 outranks the product's own 250
  await client.indices.putIndexTemplate({
    name: names[0] as string,
    index_patterns: [dataStreamName(namespace)],
    data_stream: {},
    template: predictions.template as Record<string, unknown>,
    priority: 300,
  });
  await client.indices.putIndexTemplate({
    name: names[1] as string,
    index_patterns: [`logs-mlmon.dead_letters-${namespace}`],
    data_stream: {},
    template: deadLetters.template as Record<string, unknown>,
    priority: 300,
  });
  return names;
}

/** The shipped labels template for one test's namespace only (as above). Returns its name for cleanup. */
export async function installLabelsTemplate(client: Client, namespace: string): Promise<string> {
  const labels = readJsonAsset<{ template: unknown }>(ASSET_PATHS.componentTemplate('labels'));
  const name = `test-labels-${namespace}`;
  await client.indices.putIndexTemplate({
    name,
    index_patterns: [labelsStream(namespace)],
    data_stream: {},
    template: labels.template as Record<string, unknown>,
    priority: 300,
  });
  return name;
}
