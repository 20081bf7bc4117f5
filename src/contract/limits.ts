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

/** "" counts as missing unless a baseline or option says otherwise (README, "NA rate"). */
export const EMPTY_STRING_IS_NA = true;

/**
 * The shortest monitoring window (`window.every`, `mlmon run --every`): a shorter one runs a search
 * per model more often than a cluster should answer it, with too few documents per window to judge.
 */
export const MIN_WINDOW_EVERY_MS = 10_000;
