/**
 * For commands that write before `mlmon setup` ran (the job, the baseline store, the demo): install
 * one family's component and index template, or a plain index, when missing. `mlmon setup` manages
 * upgrades; this only fills a gap, with the same bodies.
 */
import type { Client } from '@elastic/elasticsearch';
import type { StreamFamily } from '../contract/streams.js';
import { type Body, elasticsearchAssets, familyNames } from './catalog.js';

export async function ensureStreamTemplates(client: Client, families: StreamFamily[]): Promise<void> {
  const assets = elasticsearchAssets();
  const bodyOf = (name: string): Body => {
    const asset = assets.find((a) => a.name === name);
    if (!asset) throw new Error(`no asset named ${name} in this package`);
    return asset.body;
  };
  for (const family of families) {
    const names = familyNames(family);
    const exists = await client.indices.existsIndexTemplate({ name: names.indexTemplate }, { ignore: [403] });
    // 403: a least-privilege user (the job role) may not look at templates; setup installs them
    if (exists !== false) continue;
    // the bodies as the installer sends them (raw PUTs: the typed API would move unknown keys to the query)
    for (const [path, name] of [
      ['_component_template', names.component],
      ['_index_template', names.indexTemplate],
    ] as const)
      await client.transport.request({
        method: 'PUT',
        path: `/${path}/${encodeURIComponent(name)}`,
        body: bodyOf(name),
      });
  }
}

/** Creates a plain index of the product when missing; another process creating it meanwhile is fine. */
export async function ensureIndex(client: Client, index: string, body: Body): Promise<void> {
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
