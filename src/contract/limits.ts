/**
 * Field limits shared by the transport's sanitizer, the ingest pipelines and the templates: a value
 * cut here is flagged rather than rejected by the cluster.
 */
export const FIELD_LIMITS = {
  /** longest string kept (characters) */
  maxStringLength: 4096,
  /** most features kept per prediction */
  maxFeatures: 1000,
  /** longest array kept */
  maxArrayLength: 1000,
  /** deepest nesting flattened into dotted names */
  maxDepth: 5,
  /** most out-of-vocabulary words kept per text feature and document */
  maxOovWords: 50,
} as const;

/**
 * What the predictions template (component `mlmon-predictions@package`) tells Elasticsearch; the
 * transport flags a value these would make unsearchable. test/unit/field-limits.test.ts checks the
 * numbers equal the template's.
 */
export const INDEX_LIMITS = {
  /** `index.mapping.total_fields.limit`: fields past it go to `_ignored` (kept in `_source`, not indexed) */
  totalFields: 10_000,
  /** fields of the template itself and room for the rest of the document, outside the features' budget */
  reservedFields: 200,
  /** `ignore_above` of `mlmon.features.cat.*`: a longer value is not indexed, so it is cut to this */
  categoryIgnoreAbove: 1024,
  /** `ignore_above` of `mlmon.derived.oov_words.*` */
  oovWordIgnoreAbove: 256,
} as const;

/** "" counts as missing unless a baseline or option says otherwise (README, "NA rate"). */
export const EMPTY_STRING_IS_NA = true;

/**
 * The shortest monitoring window (`window.every`, `mlmon run --every`): a shorter one runs a search
 * per model more often than a cluster should answer it, with too few documents per window to judge.
 */
export const MIN_WINDOW_EVERY_MS = 10_000;

/** The label join (README, "Labels and realized performance"). */
export const LABEL_LIMITS = {
  /** labels per page of the join, and prediction ids per terms lookup */
  joinBatch: 1000,
  /** a label may be timestamped this long before its prediction (clocks of two machines) and still join */
  clockSkewMs: 60 * 60 * 1000,
  /** longest label string kept (characters): the keyword's ignore_above */
  maxLabelLength: 1024,
  /** |y| below this is left out of MAPE (counted in `mape_excluded`): a relative error needs a non-zero truth */
  mapeMinAbsTruth: 1e-9,
} as const;
