import { basename } from 'node:path';
import type { Baseline, FeatureProfile } from '../contract/baseline-document.js';
import { TOKENIZER_VERSION } from '../contract/tokenizer.js';
import type { InputFormat } from './readers.js';

export interface BaselineParts {
  model: string;
  version: string;
  file: string;
  format: InputFormat;
  rows: number;
  skippedRows: number;
  sampled: boolean;
  settings: Baseline['settings'];
  /** every profiled column by name, the prediction and label columns included */
  profiles: Map<string, FeatureProfile>;
  predictionColumn?: string;
  labelColumn?: string;
  warnings: string[];
}

/** The baseline document from the profiled columns: features by name, prediction and label apart. */
export function assembleBaseline(parts: BaselineParts, now = new Date()): Baseline {
  const baseline: Baseline = {
    schema_version: 1,
    model: parts.model,
    version: parts.version,
    created_at: now.toISOString(),
    source: {
      file: basename(parts.file),
      format: parts.format,
      rows: parts.rows,
      skipped_rows: parts.skippedRows,
      sampled: parts.sampled,
    },
    settings: parts.settings,
    tokenizer: TOKENIZER_VERSION,
    features: {},
    warnings: parts.warnings,
  };
  const names = [...parts.profiles.keys()].sort((a, b) => (a < b ? -1 : 1));
  for (const name of names) {
    const p = parts.profiles.get(name) as FeatureProfile;
    if (name === parts.predictionColumn) baseline.prediction = { ...p, column: name };
    else if (name === parts.labelColumn) baseline.label = { ...p, column: name };
    else baseline.features[name] = p;
  }
  return baseline;
}
