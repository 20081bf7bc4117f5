import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ProfileType } from '../contract/baseline-document.js';
import { ConfigError } from '../contract/errors.js';
import { FEATURE_KINDS } from '../contract/features.js';
import type { ValueRules } from './values.js';

/** The optional YAML schema of `mlmon baseline --schema` (README, "Baselines"). */
export interface FeatureSchema {
  type?: ProfileType;
  /** ids and other columns that are not model inputs */
  ignore?: boolean;
  missing_values?: string[];
}
export interface BaselineSchema {
  missing_values?: string[];
  features?: Record<string, FeatureSchema>;
  prediction_column?: string;
  label_column?: string;
}

const TYPES: readonly ProfileType[] = FEATURE_KINDS;

function stringList(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) {
    throw new ConfigError(path, 'must be a list of strings');
  }
  return v.map(String);
}

export function parseSchema(text: string, file = 'schema'): BaselineSchema {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConfigError(file, `not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(file, 'must be a mapping');
  const out: BaselineSchema = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (key === 'missing_values') out.missing_values = stringList(value, key);
    else if (key === 'prediction_column' || key === 'label_column') {
      if (typeof value !== 'string') throw new ConfigError(key, 'must be a column name');
      out[key] = value;
    } else if (key === 'features') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ConfigError('features', 'must be a mapping of column names');
      out.features = {};
      for (const [name, spec] of Object.entries(value as Record<string, unknown>)) {
        const path = `features.${name}`;
        if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
          throw new ConfigError(path, 'must be a mapping');
        const f: FeatureSchema = {};
        for (const [k, v] of Object.entries(spec as Record<string, unknown>)) {
          if (k === 'type') {
            if (!TYPES.includes(v as ProfileType))
              throw new ConfigError(`${path}.type`, `must be one of ${TYPES.join(', ')}`);
            f.type = v as ProfileType;
          } else if (k === 'ignore') {
            if (typeof v !== 'boolean') throw new ConfigError(`${path}.ignore`, 'must be true or false');
            f.ignore = v;
          } else if (k === 'missing_values') f.missing_values = stringList(v, `${path}.missing_values`);
          else
            throw new ConfigError(`${path}.${k}`, 'unknown key', 'known keys: type, ignore, missing_values');
        }
        out.features[name] = f;
      }
    } else {
      throw new ConfigError(
        key,
        'unknown key',
        'known keys: features, missing_values, prediction_column, label_column',
      );
    }
  }
  return out;
}

export function loadSchema(file: string): BaselineSchema {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('--schema', `cannot read ${file}: ${(err as Error).message}`);
  }
  return parseSchema(text, file);
}

/** A column's missing-value rules: the schema's global `missing_values` plus the column's own. */
export function valueRules(schema: BaselineSchema, column: string, emptyStringIsNa: boolean): ValueRules {
  return {
    emptyStringIsNa,
    missingValues: new Set([
      ...(schema.missing_values ?? []),
      ...(schema.features?.[column]?.missing_values ?? []),
    ]),
  };
}
