/**
 * For commands that write before `mlmon setup` ran (the job, the demo): install one family's
 * component and index template when its index template is missing. `mlmon setup` manages upgrades.
 */
import type { Client } from '@elastic/elasticsearch';
import { requestViaClient } from '../es/raw-request.js';
import { kinds } from '../setup/kinds.js';
import { elasticsearchAssets, familyNames, type StreamFamily } from './catalog.js';

export async function ensureStreamTemplates(client: Client, families: StreamFamily[]): Promise<void> {
  const request = requestViaClient(client);
  const assets = elasticsearchAssets();
  for (const family of families) {
    const names = familyNames(family);
    const exists = await client.indices.existsIndexTemplate({ name: names.indexTemplate }, { ignore: [403] });
    // 403: a least-privilege user (the job role) may not look at templates; setup installs them
    if (exists !== false) continue;
    for (const name of [names.component, names.indexTemplate]) {
      const asset = assets.find((a) => a.name === name);
      if (asset && asset.kind !== 'kibana_objects') await kinds[asset.kind].create(request, asset);
    }
  }
}

/** Creates a plain index of the product when missing; another process creating it meanwhile is fine. */
export async function ensureIndex(
  client: Client,
  index: string,
  body: Record<string, unknown>,
): Promise<void> {
  if (await client.indices.exists({ index })) return;
  try {
    await client.indices.create({ index, ...body });
  } catch (err) {
    if (
      (err as { body?: { error?: { type?: string } } }).body?.error?.type !==
      'resource_already_exists_exception'
    )
      throw err;
  }
}
