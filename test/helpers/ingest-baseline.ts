import type { Baseline, FeatureProfile, ProfileType } from '../../src/contract/baseline-document.js';
import { TOKENIZER_VERSION } from '../../src/contract/tokenizer.js';

function feature(type: ProfileType, extra: Partial<FeatureProfile> = {}): FeatureProfile {
  return { type, count: 100, na_count: 0, na_rate: 0, invalid_count: 0, ...extra };
}

function text(words: string[]): Partial<FeatureProfile> {
  return {
    text: {
      tokenizer: TOKENIZER_VERSION,
      tokens_total: words.length,
      tokens_per_doc: { mean: 5, std: 1, min: 1, max: 9 },
      vocabulary: Object.fromEntries(words.map((w, i) => [w, words.length - i])),
      vocabulary_seen: words.length,
      vocabulary_limit: 50_000,
      vocabulary_truncated: false,
      approximate: false,
    },
  };
}

/** A baseline with every feature type, two text features and a small vocabulary with Unicode words. */
export function ingestTestBaseline(model: string, version: string): Baseline {
  return {
    schema_version: 1,
    model,
    version,
    created_at: '2026-11-01T00:00:00.000Z',
    source: { file: 'train.csv', format: 'csv', rows: 100, skipped_rows: 0, sampled: false },
    settings: {
      bins: 10,
      category_limit: 10_000,
      vocabulary_limit: 50_000,
      empty_string_is_na: true,
      exact_quantile_limit: 200_000,
    },
    tokenizer: TOKENIZER_VERSION,
    features: {
      age: feature('numeric'),
      income: feature('numeric'),
      plan: feature('categorical'),
      city: feature('categorical'),
      zip: feature('categorical'),
      comment: feature(
        'text',
        text(['the', 'cat', 'sat', 'on', 'mat', 'again', 'straße', 'café', '東京', 'οδος', 'don', 't', '42']),
      ),
      title: feature('text', text(['hello', 'world'])),
      active: feature('boolean'),
      signup: feature('datetime'),
    },
    warnings: [],
  };
}
