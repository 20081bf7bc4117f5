/**
 * The one tokenizer, used identically when profiling training text, at log time and in the ingest
 * pipeline (a Painless port in assets/elasticsearch/painless/ follows the same rule).
 *
 * mlmon-word-v1: lowercase the text (locale-independent), then take each maximal run of code points
 * that are Unicode letters (L*), combining marks (M*) or numbers (N*). Everything else separates
 * tokens: spaces, punctuation, symbols, emoji, apostrophes ("don't" gives "don", "t").
 */
export const TOKENIZER_VERSION = 'mlmon-word-v1';

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}
