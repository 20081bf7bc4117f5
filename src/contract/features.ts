/**
 * The feature kinds, and where each is stored in a prediction document: one typed sub-object per
 * kind under `mlmon.features` (and `mlmon.prediction`), so a field has one mapping whatever the values.
 */
export const FEATURE_KINDS = ['numeric', 'categorical', 'text', 'boolean', 'datetime', 'identifier'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

/** The sub-object of each kind in `mlmon.features.<sub>.<name>` and `mlmon.prediction.<sub>`. */
export const KIND_FIELD = {
  numeric: 'num',
  categorical: 'cat',
  text: 'text',
  boolean: 'bool',
  datetime: 'date',
  // identifiers (names, ids) are keywords like categories: the same sub-object, no new mapping
  identifier: 'cat',
} as const satisfies Record<FeatureKind, string>;

export function isFeatureKind(v: unknown): v is FeatureKind {
  return typeof v === 'string' && (FEATURE_KINDS as readonly string[]).includes(v);
}
