import type { Baseline } from './baseline-document.js';
import { derivedField, FIELDS, featureField, predictionField } from './document-fields.js';
import type { FeatureKind } from './features.js';

/**
 * The mapped types the job's window query needs for each field it reads (the predictions
 * component template maps them so; a stream created without it has dynamic mappings: strings as
 * `text` + `.keyword`, a first integer as `long`). One rule, read by `setup --check`, the
 * transport's start check and the job's diagnosis of a failed window query.
 */
const KEYWORD = ['keyword', 'constant_keyword'];
const DECIMAL = ['double', 'float', 'half_float', 'scaled_float'];
const INTEGER = ['integer', 'long', 'short', 'byte', 'unsigned_long'];

export const KIND_TYPES: Record<FeatureKind, string[]> = {
  // a `long` feature field truncates decimals: numeric features must be decimal
  numeric: DECIMAL,
  categorical: KEYWORD,
  text: ['text', 'match_only_text'],
  boolean: ['boolean'],
  datetime: ['date', 'date_nanos'],
  // stored in the cat sub-object (features.ts)
  identifier: KEYWORD,
};

/** The fields every prediction document has, with their accepted types. */
export const FIXED_FIELD_TYPES: Record<string, string[]> = {
  [FIELDS.timestamp]: ['date', 'date_nanos'],
  [FIELDS.model]: KEYWORD,
  [FIELDS.version]: KEYWORD,
  [FIELDS.latencyMs]: [...DECIMAL, ...INTEGER],
  [FIELDS.na]: KEYWORD,
  [FIELDS.flags]: KEYWORD,
};

/** The fixed fields, then each baseline's feature, prediction and derived text fields. */
export function expectedFieldTypes(baselines: readonly Baseline[] = []): Record<string, string[]> {
  const out: Record<string, string[]> = { ...FIXED_FIELD_TYPES };
  for (const b of baselines) {
    for (const [name, p] of Object.entries(b.features)) {
      out[featureField(p.type, name)] = KIND_TYPES[p.type];
      if (p.type === 'text') {
        out[derivedField.tokens(name)] = INTEGER;
        out[derivedField.oov(name)] = INTEGER;
        out[derivedField.oovWords(name)] = KEYWORD;
      }
    }
    if (b.prediction && b.prediction.type !== 'text')
      out[predictionField(b.prediction.type)] = KIND_TYPES[b.prediction.type];
  }
  return out;
}

/** One field mapped with a type the job cannot use, in the indices that map it so. */
export interface FieldTypeMismatch {
  field: string;
  /** the type it has there */
  type: string;
  expected: string[];
  /** the indices with that type (all the queried ones when the cluster does not list them) */
  indices: string[];
}

/** The `_field_caps` response's shape that matters here. */
export interface FieldCapsBody {
  indices?: string[] | string;
  fields?: Record<string, Record<string, { indices?: string[] | string }>>;
}

/** Compares a `_field_caps` answer with the expected types; fields not mapped yet are fine. */
export function fieldTypeMismatches(
  caps: FieldCapsBody,
  expected: Record<string, string[]>,
): FieldTypeMismatch[] {
  const all = caps.indices === undefined ? [] : [caps.indices].flat();
  const out: FieldTypeMismatch[] = [];
  for (const [field, types] of Object.entries(caps.fields ?? {})) {
    const accepted = expected[field];
    if (!accepted) continue;
    for (const [type, info] of Object.entries(types)) {
      if (type === 'unmapped' || accepted.includes(type)) continue;
      // `object` under a feature sub-object is how a stream without `subobjects: false` stores dots
      out.push({
        field,
        type,
        expected: accepted,
        indices: info.indices === undefined ? all : [info.indices].flat(),
      });
    }
  }
  return out.sort((a, b) => a.field.localeCompare(b.field));
}

/** The fix for a type the job cannot use, in words. */
export function mismatchText(m: FieldTypeMismatch): string {
  return `${m.field} is mapped as ${m.type} in ${m.indices.join(', ')} (the job needs ${m.expected.join(' or ')})`;
}
