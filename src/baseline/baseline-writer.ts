import type { Client } from '@elastic/elasticsearch';
import { indexBody } from '../assets/catalog.js';
import { ensureIndex } from '../assets/ensure.js';
import type { Baseline } from '../contract/baseline-document.js';
import { MlmonError } from '../contract/errors.js';
import { BASELINES_INDEX } from '../contract/streams.js';
import { baselineId } from './baseline-reader.js';

/** Stores baselines: one document per model and version in a plain index (re-profiling replaces it). */
export function validateName(what: 'model' | 'version', value: string): string {
  if (!value || value.length > 200 || /[\s@/\\]/.test(value)) {
    throw new MlmonError(`invalid ${what} "${value}"`, {
      exit: 'usage',
      fix: `a ${what} is 1 to 200 characters without spaces, "@", "/" or "\\"`,
    });
  }
  return value;
}

export async function ensureBaselineIndex(client: Client, index: string): Promise<void> {
  await ensureIndex(client, index, indexBody('baselines'));
}

export async function saveBaseline(
  client: Client,
  baseline: Baseline,
  index = BASELINES_INDEX,
): Promise<{ id: string; replaced: boolean }> {
  await ensureBaselineIndex(client, index);
  const id = baselineId(baseline.model, baseline.version);
  const res = await client.index({
    index,
    id,
    refresh: 'wait_for',
    document: {
      model: baseline.model,
      version: baseline.version,
      created_at: baseline.created_at,
      rows: baseline.source.rows,
      features: Object.keys(baseline.features),
      tokenizer: baseline.tokenizer,
      source: { file: baseline.source.file, format: baseline.source.format },
      profile: baseline,
    },
  });
  return { id, replaced: res.result === 'updated' };
}
